"""A lower layer never includes a higher one: each folder of src/ may include only the layers
listed for it here (README.md, "Layout"). Fails naming every include that breaks the rule."""
import pathlib
import re
import sys

ALLOWED = {
    "util": {"util"},
    "wire": {"util", "wire"},
    "crypto": {"util", "wire", "crypto"},
    "trust": {"util", "wire", "crypto", "trust"},
    "net": {"util", "net"},
    # the terminal's line editor and colours: beside the protocol, used by the chat layer
    "term": {"util", "wire", "term"},
    "chat": {"util", "wire", "crypto", "trust", "net", "term", "chat"},
    "cli": {"util", "wire", "crypto", "trust", "net", "term", "chat", "cli"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/', re.MULTILINE)


def main():
    src = pathlib.Path(sys.argv[1])
    problems = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".hpp", ".cpp", ".in"):
            continue
        rel = path.relative_to(src)
        layer = rel.parts[0] if len(rel.parts) > 1 else "main"
        allowed = ALLOWED.get(layer, {"cli"})
        for used in INCLUDE.findall(path.read_text(encoding="utf-8")):
            if used not in allowed:
                problems.append(f"{rel}: the {layer} layer includes {used}/")
    for p in problems:
        print("FAIL:", p)
    if layer_missing := sorted(set(d.name for d in src.iterdir() if d.is_dir()) - set(ALLOWED)):
        problems.append(f"folders without a layer rule: {layer_missing}")
        print("FAIL:", problems[-1])
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
