"""The bash and zsh completion scripts load, offer the subcommands and options, complete file
names where an option takes a file, and know every long option the binary's --help lists (so the
scripts and the command line cannot drift apart).

Usage: check_completion.py BASH_SCRIPT ZSH_SCRIPT   (CRYPTOCHAT names the binary)
The zsh checks run only where zsh is installed; CI does not need it.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

from cli_help import SUBCOMMANDS, finish, long_options
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
# Options whose value is a file name, per subcommand ("" is the top level).
FILE_OPTIONS = {
    "": ["--config"],
    "keygen": ["--out", "-o", "--passphrase-file"],
    "serve": ["--key", "-k", "--passphrase-file", "--authorized-keys"],
    "connect": ["--key", "-k", "--passphrase-file"],
}

failures = []

# Runs an interactive zsh on a pseudo-terminal (zsh/zpty), types each line and TAB, and prints
# every candidate the completion system adds, then "@@done" after each line.
# Arguments: FPATH_DIR DUMP_FILE LINE...  The markers are split in two so that the echo of the
# typed commands never matches them.
ZSH_CAPTURE = r"""
zmodload zsh/zpty
local fdir=$1 dump=$2
shift 2
zpty z zsh -f -i
zpty -w z "PROMPT= ; fpath=($fdir \$fpath); autoload -Uz compinit; compinit -u -d $dump"
zpty -w z 'compprefuncs=( _capture_setup ); _capture_setup() { compadd () { local -a __hits __dscr; builtin compadd -A __hits -D __dscr "$@"; local r=$?; local h; for h in $__hits; do print -r -- "<hi""t>$h</hi""t>"; done; return $r } }'
zpty -w z 'bindkey "^I" complete-word; capture_done() { print -r -- "<do""ne>"; BUFFER=; zle reset-prompt }; zle -N capture_done; bindkey "^X" capture_done'
local typed line
for typed in "$@"; do
  zpty -w -n z "$typed"$'\t'$'\C-x'
  while zpty -r z line; do
    [[ $line == *'<done>'* ]] && break
    [[ $line == *'<hit>'* ]] && print -r -- ${${line#*<hit>}%%</hit>*}
  done
  print -r -- @@done
done
zpty -d z
"""


def check(condition, message):
    if not condition:
        failures.append(message)


def mentions(script_text, option):
    return re.search(r"(?<![\w-])" + re.escape(option) + r"(?![\w-])", script_text) is not None


def bash_complete(script, lines, env, preamble):
    """Completes each list of words (the last is the word under the cursor) in one bash --norc;
    returns a list of candidate lists, and bash's stderr."""
    program = [
        *preamble,
        f"source {sh_quote(script)} || exit 9",
        "run() { COMP_WORDS=(\"$@\"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1));"
        " COMP_LINE=\"$*\"; COMP_LINE=${COMP_LINE// = /=}; COMP_POINT=${#COMP_LINE}; COMPREPLY=();"
        " _cryptochat cryptochat \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\";"
        " printf '%s\\n' \"${COMPREPLY[@]}\"; echo '@@end'; }",
    ]
    for words in lines:
        program.append("run " + " ".join(sh_quote(w) for w in words))
    out = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(program)],
                         capture_output=True, text=True, env=env, timeout=30)
    check(out.returncode == 0, f"bash exited {out.returncode}: {out.stderr.strip()}")
    results = [[w for w in chunk.split("\n") if w] for chunk in out.stdout.split("@@end\n")]
    return results[:len(lines)], out.stderr


def sh_quote(word):
    return "'" + word.replace("'", "'\\''") + "'"


def check_bash(script, options, tmp, preamble, label):
    with open(script, encoding="utf-8") as f:
        text = f.read()
    for sub, opts in options.items():
        for option in opts:
            check(mentions(text, option),
                  f"{label}: {option} (from {sub or 'cryptochat'} --help) is not in {script}")

    tmp = tempfile.mkdtemp(dir=tmp)
    config = os.path.join(tmp, "config")
    os.makedirs(os.path.join(config, "cryptochat"))
    with open(os.path.join(config, "cryptochat", "known_hosts"), "w", encoding="utf-8") as f:
        f.write("# seen servers\nhub.example.org:5000 SHA256:" + "A" * 43 + "\n"
                "|1|AQIDBAUGBwgJCgsMDQ4PEBESExQ=|HsT3jGX2hzlyZmEdVzshrPoKBHA= SHA256:" + "B" * 43 +
                "\n")
    some_file = os.path.join(tmp, "some-key-file")
    open(some_file, "w", encoding="utf-8").close()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": tmp,
           "XDG_CONFIG_HOME": config, "LC_ALL": "C.UTF-8"}

    cases = [(["cryptochat", ""], "subcommands"), (["cryptochat", "--"], "global options")]
    for sub in SUBCOMMANDS:
        cases.append((["cryptochat", sub, "--"], f"{sub} options"))
        cases.append((["cryptochat", "-v", sub, "--"], f"{sub} options after a global flag"))
    for sub, opts in FILE_OPTIONS.items():
        for option in opts:
            words = ["cryptochat", sub, option] if sub else ["cryptochat", option]
            if sub == "" and option == "--config":
                words = ["cryptochat", "--config"]
            cases.append((words + [os.path.join(tmp, "some-k")],
                          f"file after {' '.join(words[1:])}"))
    # bash splits "--key=FILE" into "--key" "=" "FILE".
    cases.append((["cryptochat", "connect", "--key", "=", os.path.join(tmp, "some-k")],
                  "file after --key="))
    cases.append((["cryptochat", "keygen", "--bits", ""], "key sizes"))
    cases.append((["cryptochat", "connect", "hub"], "known hosts"))
    cases.append((["cryptochat", "known-hosts", ""], "known-hosts actions"))
    cases.append((["cryptochat", "known-hosts", "remove", "hub"], "known-hosts remove HOST:PORT"))
    cases.append((["cryptochat", "-v", "known-hosts", "list", "h"], "known-hosts list HOST:PORT"))
    cases.append((["cryptochat", "serve", "--port", ""], "nothing for a port"))
    results, stderr = bash_complete(script, [words for words, _ in cases], env, preamble)
    check(stderr.strip() == "", f"{label}: the script wrote to stderr: {stderr.strip()}")
    got = dict(zip((what for _, what in cases), results))

    check(sorted(got.get("subcommands", [])) == sorted(SUBCOMMANDS),
          f"{label}: `cryptochat ` offers {got.get('subcommands')}")
    check(set(options[""]) <= set(got.get("global options", [])),
          f"{label}: `cryptochat --` offers {got.get('global options')}")
    for sub in SUBCOMMANDS:
        for what in (f"{sub} options", f"{sub} options after a global flag"):
            missing = set(options[sub]) - set(got.get(what, []))
            check(not missing, f"{label}: {what}: {sorted(missing)} missing")
        offered = set(got.get(f"{sub} options", []))
        others = {o for s in SUBCOMMANDS if s != sub for o in options[s]} - set(options[sub])
        check(not offered & others,
              f"{label}: `cryptochat {sub} --` offers other subcommands' "
              f"{sorted(offered & others)}")
    for sub, opts in FILE_OPTIONS.items():
        for option in opts:
            what = f"file after {sub} {option}" if sub else f"file after {option}"
            check(got.get(what) == [some_file], f"{label}: {what}: {got.get(what)}")
    check(got.get("key sizes") == ["2048", "3072", "4096"],
          f"{label}: --bits: {got.get('key sizes')}")
    check(got.get("file after --key=") == [some_file],
          f"{label}: --key=: {got.get('file after --key=')}")
    check(got.get("known hosts") == ["hub.example.org:5000"],
          f"{label}: connect HOST:PORT: {got.get('known hosts')}")
    check(got.get("nothing for a port") == [], f"{label}: --port: {got.get('nothing for a port')}")
    check(got.get("known-hosts actions") == ["hash", "list", "remove"],
          f"{label}: known-hosts: {got.get('known-hosts actions')}")
    for what in ("known-hosts remove HOST:PORT", "known-hosts list HOST:PORT"):
        check(got.get(what) == ["hub.example.org:5000"], f"{label}: {what}: {got.get(what)}")


def check_zsh(script, options, tmp):
    with open(script, encoding="utf-8") as f:
        text = f.read()
    check(text.startswith("#compdef cryptochat"), f"zsh: {script} does not start with #compdef")
    for sub, opts in options.items():
        for option in opts:
            check(mentions(text, option),
                  f"zsh: {option} (from {sub or 'cryptochat'} --help) is not in {script}")
    zsh = shutil.which("zsh")
    if zsh is None:
        print("SKIP: zsh is not installed: only the option names were checked")
        return
    out = subprocess.run([zsh, "-n", script], capture_output=True, text=True, timeout=30)
    check(out.returncode == 0 and not out.stderr, f"zsh -n: {out.stderr.strip()}")
    # compinit finds the function on $fpath by its #compdef line, as after `meson install`.
    folder = os.path.join(tmp, "site-functions")
    os.makedirs(folder)
    shutil.copy(script, os.path.join(folder, "_cryptochat"))
    program = (f"fpath=({sh_quote(folder)} $fpath); autoload -Uz compinit;"
               f" compinit -u -d {sh_quote(os.path.join(tmp, 'zcompdump'))};"
               " print -r -- $_comps[cryptochat]")
    out = subprocess.run([zsh, "-f", "-c", program], capture_output=True, text=True,
                         env={"HOME": tmp, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
                         timeout=30)
    check(out.stdout.strip() == "_cryptochat",
          f"zsh: compinit did not register _cryptochat: {out.stdout!r} {out.stderr!r}")

    some_file = os.path.join(tmp, "some-key-file")
    open(some_file, "w", encoding="utf-8").close()
    capture = os.path.join(tmp, "capture.zsh")
    with open(capture, "w", encoding="utf-8") as f:
        f.write(ZSH_CAPTURE)

    lines = ["cryptochat ", *(f"cryptochat {sub} --" for sub in SUBCOMMANDS),
             "cryptochat keygen --bits ", "cryptochat known-hosts "]
    file_lines = ["cryptochat connect --key ", "cryptochat serve --authorized-keys ",
                  "cryptochat --config "]
    lines += [line + os.path.join(tmp, "some-k") for line in file_lines]
    # One zsh for every line: compinit on a loaded machine takes seconds.
    out = subprocess.run([zsh, "-f", capture, folder, os.path.join(tmp, "zcompdump"), *lines],
                         capture_output=True, text=True, timeout=60,
                         env={"HOME": tmp, "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
    results = dict(zip(lines, (set(chunk.split()) for chunk in out.stdout.split("@@done\n"))))

    def complete(line):
        return results.get(line, set())

    got = complete("cryptochat ")
    check(got == set(SUBCOMMANDS), f"zsh: `cryptochat ` offers {sorted(got)}")
    for sub in SUBCOMMANDS:
        got = complete(f"cryptochat {sub} --")
        missing = set(options[sub]) - got
        check(not missing, f"zsh: `cryptochat {sub} --` does not offer {sorted(missing)}")
    got = {w for w in complete("cryptochat known-hosts ") if not w.startswith("-")}
    check(got == {"hash", "list", "remove"}, f"zsh: `cryptochat known-hosts ` offers {sorted(got)}")
    got = complete("cryptochat keygen --bits ")
    check(got == {"2048", "3072", "4096"}, f"zsh: --bits offers {sorted(got)}")
    for line in ("cryptochat connect --key ", "cryptochat serve --authorized-keys ",
                 "cryptochat --config "):
        got = complete(line + os.path.join(tmp, "some-k"))
        check("some-key-file" in got, f"zsh: `{line}` does not complete a file name: {sorted(got)}")


def main():
    bash_script, zsh_script = sys.argv[1], sys.argv[2]
    binary = os.environ["CRYPTOCHAT"]
    options = {sub: long_options(binary, sub) for sub in ["", *SUBCOMMANDS]}
    with tempfile.TemporaryDirectory(prefix="cryptochat-completion-") as tmp:
        # Plain bash, as when the script is sourced from ~/.bashrc, and with the bash-completion
        # package's helpers (_init_completion, _filedir) when it is installed.
        check_bash(bash_script, options, tmp, [], "bash")
        if os.path.exists(BASH_COMPLETION):
            check_bash(bash_script, options, tmp, [f"source {BASH_COMPLETION}"],
                       "bash with bash-completion")
        else:
            print(f"SKIP: {BASH_COMPLETION} is not installed: checked without it only")
        check_zsh(zsh_script, options, tmp)
    finish(failures)


if __name__ == "__main__":
    main()
