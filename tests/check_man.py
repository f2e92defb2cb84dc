"""The man page renders without warnings and documents every long option the binary has.

Usage: check_man.py MAN_PAGE   (CRYPTOCHAT names the binary)
"""
import os
import re
import shutil
import subprocess
import sys

SUBCOMMANDS = ["keygen", "serve", "connect"]


def main():
    page = sys.argv[1]
    binary = os.environ["CRYPTOCHAT"]
    failures = []

    groff = shutil.which("groff")
    if groff is None:
        failures.append("groff is not installed")
    else:
        out = subprocess.run([groff, "-man", "-ww", "-z", page], capture_output=True, text=True)
        if out.returncode != 0 or out.stderr.strip():
            failures.append(f"groff warnings: {out.stderr.strip()}")

    with open(page, encoding="utf-8") as f:
        # roff escapes '-' as '\-'; undo that to search for option names.
        text = f.read().replace("\\-", "-")
    for sub in [None, *SUBCOMMANDS]:
        args = [binary, "--help"] if sub is None else [binary, sub, "--help"]
        help_text = subprocess.run(args, capture_output=True, text=True, check=True).stdout
        for option in sorted(set(re.findall(r"--[a-z][a-z0-9-]*", help_text))):
            if option not in text:
                failures.append(f"{option} (from {' '.join(args[1:])}) is not in the man page")

    for failure in failures:
        print("FAIL:", failure)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
