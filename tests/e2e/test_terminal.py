"""End-to-end tests of the interactive chat: cryptochat with a real terminal on stdin and stdout.

Each test runs one cryptochat in a tmux pane (its own tmux server on a private socket, 120x30,
killed by `tmux -L <socket> kill-server` in cleanup), types into it with `send-keys` and reads
the screen with `capture-pane`; the other side is a real process on loopback fed from a pipe.
Checked: a message that arrives while a line is half typed is shown above it, and the prompt,
the half line and the cursor are intact below; lines arrive whole; /who, /fingerprint, /help,
unknown commands (a hint, never sent), "//" for a literal "/", colours on and off (NO_COLOR,
--no-color), a paste of several lines, sair, /quit and Ctrl-C; the terminal's modes put back
(stty -g before and after) on every way out, an error included; plain lines on TERM=dumb; and a
room: the newcomer's /who lists who was already there, and the operator's /who the clients.

Exits 77 (skipped, for meson) when tmux is not installed.

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_terminal.py
"""
import itertools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    BINARY, CONNECTED_RE, JOINED_RE, RUN_TIMEOUT, START_TIMEOUT, SessionTestCase, main, read_bytes,
    write_bytes)

TMUX = shutil.which("tmux")
WIDTH, HEIGHT = 120, 30
PROMPT = "> "
STAMP = r"\[\d\d:\d\d:\d\d\] "
_sockets = itertools.count()


class Pane:
    """One command in a detached tmux session on a private tmux server."""

    def __init__(self, test, argv, env_extra=None, env_unset=("NO_COLOR",), stdin=None):
        """stdin: a file to read standard input from instead of the terminal."""
        self.test = test
        self.socket = f"cryptochat-test-{os.getpid()}-{next(_sockets)}"
        self.status_file = test.path(f"{self.socket}.status")
        env_args = [f"-u{name}" for name in env_unset]
        env_args += [f"{k}={v}" for k, v in {**test.env, **(env_extra or {})}.items()]
        command = shlex.join(["env", *env_args, BINARY, *map(str, argv)])
        if stdin is not None:
            command += " < " + shlex.quote(stdin)
        # The terminal's modes before and after (stty -g), to check they are put back; the pane
        # stays open after the program ends, so its last screen can still be read.
        self.modes = [test.path(f"{self.socket}.{when}") for when in ("before", "after")]
        before, after = map(shlex.quote, self.modes)
        script = (f"stty -g > {before}; {command}; echo $? > {shlex.quote(self.status_file)}; "
                  f"stty -g > {after}; exec sleep 120")
        self.socket_path = None
        test.addCleanup(self.kill)
        self.tmux("new-session", "-d", "-x", str(WIDTH), "-y", str(HEIGHT), script)
        self.socket_path = self.tmux("display-message", "-p", "#{socket_path}").strip()

    def tmux(self, *args):
        proc = subprocess.run([TMUX, "-u", "-L", self.socket, *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=10)
        self.test.assertEqual(proc.returncode, 0, f"tmux {args}: {proc.stderr!r}")
        return proc.stdout.decode("utf-8", "replace")

    def kill(self):
        subprocess.run([TMUX, "-L", self.socket, "kill-server"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=10)
        if self.socket_path:  # the server is gone; its socket file would stay behind
            try:
                os.unlink(self.socket_path)
            except FileNotFoundError:
                pass

    def type(self, text):
        self.tmux("send-keys", "-l", text)

    def keys(self, *keys):
        self.tmux("send-keys", *keys)

    def line(self, text):
        self.type(text)
        self.keys("Enter")

    def screen(self, escapes=False):
        return self.tmux("capture-pane", "-p", *(["-e"] if escapes else []))

    def lines(self):
        """The screen's lines without trailing spaces, up to the last one that is not empty."""
        lines = [ln.rstrip() for ln in self.screen().split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    def cursor(self):
        x, y = self.tmux("display-message", "-p", "#{cursor_x} #{cursor_y}").split()
        return int(x), int(y)

    def wait_for(self, regex, timeout=START_TIMEOUT):
        """Waits until the screen matches regex (a str); returns the match."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            m = re.search(regex, screen, re.MULTILINE)
            if m:
                return m
            if time.monotonic() > deadline:
                self.test.fail(f"the screen never showed {regex!r}; it shows:\n{screen}")
            time.sleep(0.05)

    def exit_status(self, timeout=RUN_TIMEOUT):
        deadline = time.monotonic() + timeout
        while not os.path.exists(self.status_file) or not read_bytes(self.status_file).strip():
            if time.monotonic() > deadline:
                self.test.fail(f"the program did not end; the screen shows:\n{self.screen()}")
            time.sleep(0.05)
        status = int(read_bytes(self.status_file))
        deadline = time.monotonic() + 5
        while not os.path.exists(self.modes[1]) or not read_bytes(self.modes[1]).strip():
            if time.monotonic() > deadline:
                self.test.fail("stty did not record the terminal's modes")
            time.sleep(0.05)
        self.test.assertEqual(read_bytes(self.modes[1]), read_bytes(self.modes[0]),
                              "the terminal was not put back as it was")
        return status


class TerminalChatTest(SessionTestCase):
    """A client at a terminal against `serve --once` fed from a pipe."""

    def start_pair(self, *client_args, env_extra=None, env_unset=("NO_COLOR",)):
        s_in_r, self.s_in_w = self.pipe()
        self.s_out = self.path("server.out")
        server = self.start_server(stdin=s_in_r, stdout=self.s_out)
        os.close(s_in_r)
        pane = Pane(self, ["connect", f"127.0.0.1:{server.port}", "--key", self.keys["client"],
                           "--name", "bob", "--peer-fingerprint", server.fingerprint,
                           *client_args],
                    env_extra={"XDG_CONFIG_HOME": self.client_config, **(env_extra or {})},
                    env_unset=env_unset)
        pane.wait_for(r"^cryptochat: connected to srv")
        server.wait_for(JOINED_RE)
        return server, pane

    def server_says(self, text):
        os.write(self.s_in_w, text.encode() + b"\n")

    def test_message_arrives_above_the_half_typed_line(self):
        server, pane = self.start_pair()
        pane.type("half a li")
        pane.wait_for("^" + re.escape(PROMPT + "half a li") + "$")
        self.server_says("hello from srv")
        pane.wait_for(STAMP + "srv: hello from srv$")
        time.sleep(0.2)  # the redraw follows the message in the same write burst
        lines = pane.lines()
        said = [i for i, ln in enumerate(lines) if ln.endswith("srv: hello from srv")]
        self.assertEqual(len(said), 1, "\n".join(lines))
        # The message is on the line just above the prompt, the half line intact on the last.
        self.assertEqual(said[0], len(lines) - 2, "\n".join(lines))
        self.assertEqual(lines[-1], PROMPT + "half a li")
        self.assertEqual(pane.cursor(), (len(PROMPT + "half a li"), len(lines) - 1))

        # The cursor in the middle of the line stays there across a message, and editing goes on.
        pane.keys("Left", "Left", "Left")
        self.server_says("second")
        pane.wait_for(STAMP + "srv: second$")
        time.sleep(0.2)
        lines = pane.lines()
        self.assertEqual(lines[-1], PROMPT + "half a li", "\n".join(lines))
        self.assertEqual(pane.cursor(), (len(PROMPT + "half a") , len(lines) - 1))
        pane.keys("End")
        pane.line("ne")
        self.wait_file(self.s_out, lambda d: d == b"half a line\n", what="the whole line")
        # The typed line is shown as a message of its own, and a fresh prompt waits.
        pane.wait_for(STAMP + "bob: half a line$")
        pane.wait_for("^" + re.escape(PROMPT.rstrip()) + "$")  # capture-pane trims spaces

        pane.line("sair")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        server.finish(0)
        self.assertIn(b"bob ended the chat", server.stderr)
        self.assertEqual(read_bytes(self.s_out), b"half a line\n")

    def test_progress_lines_go_above_the_half_typed_line(self):
        # --progress in the interactive chat: no line redrawn in place (it would break the
        # typed one); a plain progress line at most every 5 s, when bytes move, printed above
        # the typed line like every notice.
        server, pane = self.start_pair("--progress")
        pane.line("one")
        self.wait_file(self.s_out, lambda d: d == b"one\n", what="the first line")
        pane.type("still typ")
        time.sleep(5.5)
        self.server_says("ping")
        pane.wait_for(r"^cryptochat: progress: sent 4 B .*received 5 B")
        time.sleep(0.2)
        lines = pane.lines()
        self.assertEqual(lines[-1], PROMPT + "still typ", "\n".join(lines))
        self.assertEqual(pane.cursor(), (len(PROMPT + "still typ"), len(lines) - 1))
        pane.line("ing")
        self.wait_file(self.s_out, lambda d: d == b"one\nstill typing\n", what="the whole line")
        pane.line("sair")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        server.finish(0)
        pane.wait_for(r"^cryptochat: sent 17 bytes .*, received 5 bytes")

    def test_a_resized_terminal_wraps_the_typed_line_at_its_new_width(self):
        server, pane = self.start_pair()
        pane.type("x")  # the editor has read a key at the old width
        pane.wait_for("^" + re.escape(PROMPT + "x") + "$")
        pane.tmux("resize-window", "-x", "40")
        time.sleep(0.3)
        pane.type("y" * 49)  # prompt + 50 characters: two rows at 40 columns
        pane.wait_for("^" + "y" * 12 + "$")
        pane.keys("Home")  # libedit moves up a row only if it knows the line wrapped
        time.sleep(0.3)
        lines = pane.lines()
        self.assertEqual(lines[-2:], [PROMPT + "x" + "y" * 37, "y" * 12], "\n".join(lines))
        self.assertEqual(pane.cursor(), (len(PROMPT), len(lines) - 2), "\n".join(lines))
        pane.keys("End")
        pane.keys("Enter")
        self.wait_file(self.s_out, lambda d: d == b"x" + b"y" * 49 + b"\n", what="the line")
        pane.line("sair")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        server.finish(0)

    def test_commands_are_run_here_and_never_sent(self):
        server, pane = self.start_pair()
        client_fp = self.fingerprints["client"]
        pane.line("/who")
        pane.wait_for("^you:  bob " + re.escape(f"({client_fp})") + "$")
        pane.wait_for("^peer: srv " + re.escape(f"({server.fingerprint})") + "$")
        pane.line("/fingerprint")
        pane.wait_for("^your fingerprint: " + re.escape(client_fp) + "$")
        pane.wait_for("^srv's fingerprint: " + re.escape(server.fingerprint) + "$")
        pane.line("/help")
        pane.wait_for(r"^/who +who is in the chat")
        pane.line("/foo bar")
        pane.wait_for(r"^unknown command /foo; /help lists them$")
        pane.line("//etc/passwd is a path")
        pane.line("plain")
        self.wait_file(self.s_out, lambda d: d == b"/etc/passwd is a path\nplain\n",
                       what="only the two messages")
        # A paste of several lines at once: each is a line of its own, none lost.
        pane.type("pasted 1\npasted 2\n/foo\npasted 3\n")
        said = b"/etc/passwd is a path\nplain\npasted 1\npasted 2\npasted 3\n"
        self.wait_file(self.s_out, lambda d: d == said, what="the pasted lines")
        pane.line("/quit")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        server.finish(0)
        self.assertEqual(read_bytes(self.s_out), said)

    def coloured_name(self, pane, name, text):
        """Whether the screen line with `name: text` has escape codes (colour) in it."""
        pane.wait_for(STAMP + f"{name}: {text}$")
        for line in pane.screen(escapes=True).split("\n"):
            if text in line:
                return "\x1b[" in line
        self.fail(f"no line with {text!r}")

    def test_colour_by_default_on_a_terminal(self):
        server, pane = self.start_pair()
        self.server_says("in colour")
        self.assertTrue(self.coloured_name(pane, "srv", "in colour"), pane.screen(escapes=True))
        pane.line("sair")
        self.assertEqual(pane.exit_status(), 0)
        server.finish(0)

    def test_no_colour_with_NO_COLOR(self):
        server, pane = self.start_pair(env_extra={"NO_COLOR": "1"}, env_unset=())
        self.server_says("plain text")
        self.assertFalse(self.coloured_name(pane, "srv", "plain text"), pane.screen(escapes=True))
        pane.line("own line")
        self.assertFalse(self.coloured_name(pane, "bob", "own line"))
        pane.line("sair")
        self.assertEqual(pane.exit_status(), 0)
        server.finish(0)

    def test_no_colour_with_the_option(self):
        server, pane = self.start_pair("--no-color")
        self.server_says("plain text")
        self.assertFalse(self.coloured_name(pane, "srv", "plain text"), pane.screen(escapes=True))
        pane.line("sair")
        self.assertEqual(pane.exit_status(), 0)
        server.finish(0)

    def test_a_dumb_terminal_gets_plain_lines(self):
        server, pane = self.start_pair(env_extra={"TERM": "dumb"})
        self.server_says("plain text")
        self.assertFalse(self.coloured_name(pane, "srv", "plain text"), pane.screen(escapes=True))
        pane.line("/foo")  # no commands either: the line is a message, as before this chat
        self.wait_file(self.s_out, lambda d: d == b"/foo\n", what="the typed line")
        self.assertNotIn(PROMPT.rstrip(), [ln[:1] for ln in pane.lines()])
        pane.line("sair")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        server.finish(0)

    def test_the_peer_interrupted_ends_the_chat_at_the_terminal_in_error(self):
        server, pane = self.start_pair()
        pane.type("never sent")
        # The server's input is a pipe still open: interrupted, it aborts (never a QUIT).
        server.signal(signal.SIGTERM)
        server.finish(143)
        self.assertEqual(pane.exit_status(), 1, pane.screen())  # and the modes are back
        pane.wait_for(r"^cryptochat: error: the peer aborted the session: interrupted$")
        self.assertEqual(read_bytes(self.s_out), b"")


    def test_ctrl_c_ends_the_chat_and_restores_the_terminal(self):
        server, pane = self.start_pair()
        pane.type("half")
        pane.keys("C-c")  # SIGINT: QUIT to the peer, then exit 0 once it confirmed
        self.assertEqual(pane.exit_status(), 0, pane.screen())  # and the modes are back
        server.finish(0)
        self.assertIn(b"bob ended the chat", server.stderr)

    def test_an_error_restores_the_terminal(self):
        server, pane = self.start_pair()
        pane.type("half")
        server.kill()  # the connection is cut: the client fails with one line
        self.assertEqual(pane.exit_status(), 1, pane.screen())  # and the modes are back
        pane.wait_for(r"^cryptochat: .*truncated")


class FirstContactTest(SessionTestCase):
    """At a terminal, a server's new key is asked about (ssh's yes/no/[fingerprint]) after the
    handshake and before anything is recorded or sent; --strict refuses it without asking."""

    QUESTION = r"Are you sure you want to continue connecting \(yes/no/\[fingerprint\]\)\?"

    def start(self, *client_args, stdin=None):
        s_in_r, self.s_in_w = self.pipe()
        self.s_out = self.path("server.out")
        server = self.start_server(stdin=s_in_r, stdout=self.s_out)
        os.close(s_in_r)
        self.address = f"127.0.0.1:{server.port}"
        pane = Pane(self, ["connect", self.address, "--key", self.keys["client"], "--name", "bob",
                           *client_args],
                    env_extra={"XDG_CONFIG_HOME": self.client_config}, stdin=stdin)
        return server, pane

    def asked(self, pane, server):
        pane.wait_for(re.escape(f"The authenticity of server '{self.address}' can't be "
                                "established."))
        pane.wait_for("^" + re.escape(f"Its key fingerprint is {server.fingerprint}.") + "$")
        pane.wait_for(self.QUESTION)
        self.assertFalse(os.path.exists(self.known_hosts), "recorded before the answer")
        # The handshake is complete (the server proved its key), but no data was sent.
        self.assertEqual(read_bytes(self.s_out) if os.path.exists(self.s_out) else b"", b"")

    def recorded(self, server):
        self.assertEqual(read_bytes(self.known_hosts).decode(),
                         f"{self.address} {server.fingerprint}\n")

    def test_yes_after_an_answer_that_is_none(self):
        server, pane = self.start()
        self.asked(pane, server)
        pane.line("maybe")
        pane.wait_for(re.escape("Please type 'yes', 'no' or the fingerprint:"))
        self.assertFalse(os.path.exists(self.known_hosts))
        pane.line("YES")
        pane.wait_for(r"^cryptochat: first contact with " + re.escape(self.address))
        pane.wait_for(r"^cryptochat: connected to srv")
        self.recorded(server)
        pane.line("hello after yes")
        self.wait_file(self.s_out, lambda d: d == b"hello after yes\n", what="the line")
        pane.line("/quit")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        server.finish(0)

    def test_the_right_fingerprint_is_a_yes(self):
        server, pane = self.start()
        self.asked(pane, server)
        pane.line(" " + server.fingerprint + " ")
        pane.wait_for(r"^cryptochat: connected to srv")
        self.recorded(server)
        pane.line("/quit")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        server.finish(0)

    def refused(self, pane, server, answer_keys, reason):
        self.asked(pane, server)
        answer_keys()
        self.assertEqual(pane.exit_status(), 3, pane.screen())
        self.assertIn(f"cryptochat: error: the key {server.fingerprint} of {self.address} was "
                      f"not accepted ({reason}); nothing was recorded in {self.known_hosts}",
                      "".join(pane.lines()))  # joined: the long line wraps
        self.assertFalse(os.path.exists(self.known_hosts), "recorded anyway")
        # The server is told why, in an ABORT, and ends (--once) with that error.
        server.finish(1)
        self.assertIn(b"the client does not trust this server's key", server.stderr)
        self.assertEqual(read_bytes(self.s_out), b"")

    def test_no_refuses(self):
        server, pane = self.start()
        self.refused(pane, server, lambda: pane.line("no"), "you answered no")

    def test_a_wrong_fingerprint_refuses(self):
        server, pane = self.start()
        self.refused(pane, server, lambda: pane.line(self.fingerprints["other"]),
                     "the fingerprint typed is not the server's")

    def test_end_of_input_and_ctrl_c_refuse(self):
        server, pane = self.start()
        self.refused(pane, server, lambda: pane.keys("C-d"), "no answer at the terminal")
        server, pane = self.start()
        self.refused(pane, server, lambda: pane.keys("C-c"),
                     "interrupted by SIGINT at the question")

    def test_piped_input_is_asked_on_the_terminal(self):
        # stdin is a file, stderr the terminal: the question goes to the terminal, and the
        # file is sent only after the answer.
        data = write_bytes(self.path("in.txt"), b"piped line\n")
        server, pane = self.start(stdin=data)
        self.asked(pane, server)
        pane.line("yes")
        os.close(self.s_in_w)  # the server ends its side too
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        server.finish(0)
        self.assertEqual(read_bytes(self.s_out), b"piped line\n")
        self.recorded(server)

    def test_strict_refuses_without_asking(self):
        server, pane = self.start("--strict")
        self.assertEqual(pane.exit_status(), 3, pane.screen())
        screen = pane.screen().replace("\n", "")  # long lines wrap
        self.assertIn("--strict refuses unknown keys", screen)
        self.assertNotIn("Are you sure", screen)
        self.assertFalse(os.path.exists(self.known_hosts))
        # The server saw only the alert: no handshake completed, so it still waits.
        self.assertIsNone(server.popen.poll(), server.describe())
        self.assertNotIn(b"joined", server.stderr)
        server.signal(signal.SIGTERM)
        server.wait(10)


class TerminalRoomTest(SessionTestCase):
    """A room: a client at a terminal joins where someone is already; the operator at one."""

    KEY_NAMES = ("server", "client", "other", "third")

    def start_listener(self, server, name, key):
        """A client that says what the test writes to its pipe; its output goes to a file."""
        r, w = self.pipe()
        out = self.path(f"{name}.out")
        proc = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                 server.fingerprint, key=key, name=name, stdin=r, stdout=out)
        os.close(r)
        proc.wait_for(CONNECTED_RE)
        return proc, w, out

    def test_newcomer_sees_who_is_there(self):
        s_in_r, s_in_w = self.pipe()
        server = self.start_server(once=False, stdin=s_in_r, stdout=self.path("server.out"))
        os.close(s_in_r)
        alice, alice_in, alice_out = self.start_listener(server, "alice", "other")
        server.wait_for(JOINED_RE)
        pane = Pane(self, ["connect", f"127.0.0.1:{server.port}", "--key", self.keys["client"],
                           "--name", "bob", "--peer-fingerprint", server.fingerprint],
                    env_extra={"XDG_CONFIG_HOME": self.client_config})
        pane.wait_for(r"^cryptochat: connected to srv")
        alice.wait_for(re.compile(rb"^cryptochat: bob \(SHA256:\S+\) joined the room$"))
        pane.line("/who")
        pane.wait_for("^room: alice " + re.escape(f"({self.fingerprints['other']})") + "$")
        # alice was there before: listed, not announced as joining.
        self.assertNotIn("alice", "\n".join(
            ln for ln in pane.lines() if "joined" in ln))
        os.write(alice_in, b"hey bob\n")
        pane.wait_for(STAMP + "alice: hey bob$")
        pane.line("hi alice")
        self.wait_file(alice_out, lambda d: d == b"hi alice\n", what="bob's line")
        pane.line("/quit")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        alice.wait_for(re.compile(rb"^cryptochat: bob \(SHA256:\S+\) left the room$"))
        os.close(alice_in)  # her input ends: she leaves
        alice.finish(0)
        server.signal(signal.SIGTERM)
        server.finish(0)

    def test_a_padded_message_cannot_forge_a_line_and_who_shows_verified(self):
        keys = self.path("team.keys")
        with open(keys, "w") as f:
            for name in ("client", "other", "third"):
                f.write(self.fingerprints[name] + "\n")
        os.chmod(keys, 0o600)
        s_in_r, s_in_w = self.pipe()
        server = self.start_server("--authorized-keys", keys, once=False, stdin=s_in_r,
                                   stdout=self.path("server.out"))
        os.close(s_in_r)
        alice, alice_in, _ = self.start_listener(server, "alice", "other")
        pane = Pane(self, ["connect", f"127.0.0.1:{server.port}", "--key", self.keys["client"],
                           "--name", "bob", "--peer-fingerprint", server.fingerprint],
                    env_extra={"XDG_CONFIG_HOME": self.client_config})
        pane.wait_for(r"^cryptochat: connected to srv")
        mallory, mallory_in, _ = self.start_listener(server, "mallory", "third")
        pane.wait_for(r"^cryptochat: mallory \(SHA256:[A-Za-z0-9+/]{16}\) joined the room$")
        pane.line("/who")
        pane.wait_for("^room: alice " + re.escape(f"({self.fingerprints['other']}) [verified]") +
                      "$")
        pane.wait_for("^room: mallory " + re.escape(f"({self.fingerprints['third']}) [verified]"))
        # The forgery of issue 16: padding to the width puts a fake line at a row's start.
        fake = "[12:00:00] alice: yes, I sent her the password"
        os.write(mallory_in, ("ok" + " " * (WIDTH - len("[00:00:00] mallory: ok")) + fake +
                              "\n").encode())
        m = pane.wait_for(r"^(.*)\[12:00:00\] alice: yes, I sent her the password")
        self.assertRegex(m.group(1), r"^  \| *$", pane.screen())
        # Bidi, format characters and tabs in a message are shown, not obeyed.
        os.write(mallory_in, "x\u202ey\u200bz\u2028w\tend\n".encode())
        pane.wait_for(STAMP + re.escape("mallory: x<U+202E>y<U+200B>z<U+2028>w    end") + "$")
        for row in pane.lines():
            self.assertFalse(row.startswith("[12:00:00]"), pane.screen())
        pane.line("/quit")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        for proc, w in ((alice, alice_in), (mallory, mallory_in)):
            os.close(w)
            proc.finish(0)
        server.signal(signal.SIGTERM)
        server.finish(0)

    def test_operator_at_a_terminal(self):
        server = Pane(self, ["serve", "--port", "0", "--key", self.keys["server"], "--name", "hub"],
                      env_extra={"XDG_CONFIG_HOME": self.server_config})
        m = server.wait_for(r"listening on \S+:(\d+) as hub \((SHA256:\S+)\)")
        server.port, server.fingerprint = int(m.group(1)), m.group(2)
        pane = server
        pane.line("hello?")
        pane.wait_for(r"^nobody is in the room to hear it; not sent$")
        alice, alice_in, alice_out = self.start_listener(server, "alice", "other")
        pane.wait_for(r"alice \(SHA256:\S+\) joined from")
        pane.line("/who")
        pane.wait_for("^you:    hub " + re.escape(f"({server.fingerprint})") + "$")
        pane.wait_for("^client: alice " + re.escape(f"({self.fingerprints['other']})") + "$")
        pane.type("half")
        os.write(alice_in, b"hi hub\n")
        pane.wait_for(STAMP + "alice: hi hub$")
        time.sleep(0.2)
        self.assertEqual(pane.lines()[-1], PROMPT + "half")
        pane.line(" done")
        self.wait_file(alice_out, lambda d: d == b"half done\n", what="the operator's line")
        pane.line("/quit")
        self.assertEqual(pane.exit_status(), 0, pane.screen())
        alice.finish(0)
        self.assertIn(b"hub ended the chat", alice.stderr)


if __name__ == "__main__":
    if TMUX is None:
        print("tmux is not installed: skipped")
        sys.exit(77)
    main()
