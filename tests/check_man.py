"""The man page renders without warnings, has the sections a man page needs (each saying what
it must), and documents every long option the binary has.

Usage: check_man.py MAN_PAGE   (CRYPTOCHAT names the binary)
"""
import os
import re
import shutil
import subprocess
import sys

from cli_help import SUBCOMMANDS, finish, long_options
# Each section the page must have, with words it must contain.
REQUIRED_SECTIONS = {
    "NAME": [],
    "SYNOPSIS": [],
    "DESCRIPTION": [],
    "FILES": ["identity", "0600", "known_hosts", "config.toml", "--authorized-keys"],
    "ENVIRONMENT": ["XDG_CONFIG_HOME", "CRYPTOCHAT_PASSPHRASE", "NO_COLOR"],
    "EXIT STATUS": [".B 0", ".B 1", ".B 2", ".B 3"],
    "SECURITY": ["forward secrecy", "first contact", "Metadata", "PROTOCOL.md"],
    "EXAMPLES": ["--progress", "--config"],
    "SEE ALSO": ["ncat (1)", "socat (1)", "ssh (1)"],
    "WHEN A SESSION ENDS": ["Each direction ends on its own", "both directions have ended"],
}


def sections(text):
    """{name: body} for every .SH of the page."""
    found = {}
    parts = re.split(r"^\.SH +(.*)$", text, flags=re.MULTILINE)
    for name, body in zip(parts[1::2], parts[2::2]):
        found[name.strip().strip('"')] = body
    return found


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
    found = sections(text)
    for name, words in REQUIRED_SECTIONS.items():
        if name not in found:
            failures.append(f"no {name} section")
            continue
        if not found[name].strip():
            failures.append(f"the {name} section is empty")
        for word in words:
            if word not in found[name]:
                failures.append(f"the {name} section does not mention {word!r}")

    synopsis = found.get("SYNOPSIS", "")
    for sub in [None, *SUBCOMMANDS]:
        for option in long_options(binary, sub):
            if option not in text:
                failures.append(f"{option} (from {sub or 'cryptochat'} --help) is not in the man page")
            if not re.search(re.escape(option) + r"(?![a-z0-9-])", synopsis):
                failures.append(f"{option} (from {sub or 'cryptochat'} --help) is not in the SYNOPSIS")

    finish(failures)


if __name__ == "__main__":
    main()
