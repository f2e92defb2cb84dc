"""What the checkers of the docs (man page, shell completion) share: the long options each
--help lists, and the one summary line and exit status every check ends with."""
import re
import subprocess
import sys

SUBCOMMANDS = ["keygen", "serve", "connect", "known-hosts"]


def long_options(binary, sub):
    """The long options `binary [sub] --help` lists; sub "" (or None) is the top level."""
    args = [binary, "--help"] if not sub else [binary, sub, "--help"]
    text = subprocess.run(args, capture_output=True, text=True, check=True, timeout=30).stdout
    return sorted(set(re.findall(r"--[a-z][a-z0-9-]*", text)))


def finish(failures):
    """Prints every failure and the summary line, and exits 1 if there was any."""
    for failure in failures:
        print("FAIL:", failure)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    sys.exit(1 if failures else 0)
