"""keygen and connect asking for passphrases at a real terminal (a pseudo-terminal): asked
twice for a new key, never echoed, and a mismatch writes nothing."""
import os
import select
import signal
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BINARY, CryptochatTestCase, main, write_bytes  # noqa: E402


class Terminal:
    """A process whose stdin and stderr are a pseudo-terminal; stdout is a pipe."""

    def __init__(self, test, args, env, job_control=False):
        """job_control: the process gets a process group of its own in this session (not a
        session of its own), so SIGTSTP can stop it: the kernel ignores SIGTSTP's default action
        in an orphaned process group."""
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen([BINARY, *args], stdin=slave, stdout=subprocess.PIPE,
                                     stderr=slave, env=env, start_new_session=not job_control,
                                     process_group=0 if job_control else None)
        os.close(slave)
        test.addCleanup(self.close)
        self.screen = b""

    def expect(self, text, timeout=30):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.screen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{text!r} never appeared; screen: {self.screen!r}")
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"terminal closed before {text!r}: {self.screen!r}")
                self.screen += chunk

    def type(self, text):
        os.write(self.master, text.encode())

    def echo(self):
        """Whether the terminal echoes (the master side shows the slave's settings)."""
        return termios.tcgetattr(self.master)[3] & termios.ECHO != 0

    def wait_until(self, predicate, what, timeout=10):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"never {what}; screen: {self.screen!r}")
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if ready:
                try:
                    self.screen += os.read(self.master, 4096)
                except OSError:
                    pass

    def state(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]

    def finish(self, timeout=60):
        out, _ = self.proc.communicate(timeout=timeout)
        while True:  # whatever else reached the terminal
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if not ready:
                break
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.screen += chunk
        return self.proc.returncode, out

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        try:
            os.close(self.master)
        except OSError:
            pass


class PassphrasePromptTest(CryptochatTestCase):
    def keygen_at_terminal(self, key, first, second=None):
        """Starts keygen of a new key at `key` on a terminal, answers its passphrase prompt with
        `first` and, if `second` is given, the prompt for the same passphrase again with
        `second`; returns the Terminal."""
        term = Terminal(self, ["keygen", "--bits", "2048", "--out", key], self.env)
        term.expect("Passphrase for the new key")
        term.type(first + "\n")
        if second is not None:
            term.expect("Same passphrase again")
            term.type(second + "\n")
        return term

    def test_new_key_asks_twice_without_echo(self):
        key = self.path("k")
        term = self.keygen_at_terminal(key, "tty-secret-42", "tty-secret-42")
        code, out = term.finish()
        self.assertEqual(code, 0, term.screen)
        self.assertIn(b"(encrypted)", out)
        self.assertNotIn(b"tty-secret-42", term.screen)  # never echoed
        with open(key, "rb") as f:
            self.assertIn(b"ENCRYPTED PRIVATE KEY", f.read())
        self.openssl("pkey", "-in", key, "-noout", "-passin", "pass:tty-secret-42")

    def test_mismatched_answers_write_nothing(self):
        key = self.path("k")
        term = self.keygen_at_terminal(key, "one", "two")
        code, _ = term.finish()
        self.assertEqual(code, 1, term.screen)
        self.assertIn(b"do not match", term.screen)
        self.assertFalse(os.path.exists(key))
        self.assertFalse(os.path.exists(key + ".pub"))

    def test_empty_answer_means_no_passphrase(self):
        key = self.path("k")
        term = self.keygen_at_terminal(key, "")  # an empty answer is not asked again
        code, out = term.finish()
        self.assertEqual(code, 0, term.screen)
        self.assertNotIn(b"encrypted", out)
        with open(key, "rb") as f:
            self.assertIn(b"BEGIN PRIVATE KEY", f.read())

    def test_show_asks_for_the_passphrase_of_an_encrypted_key(self):
        key = self.path("k")
        write_bytes(self.path("pass"), b"file-pass\n")  # 0600, or it is refused
        self.run_cc("keygen", "--bits", "2048", "--out", key, "--passphrase-file",
                    self.path("pass"), check=0)
        for answer, expected in (("file-pass", 0), ("bad-answer-77", 1)):
            term = Terminal(self, ["keygen", "--show", key], self.env)
            term.expect("Passphrase for")
            term.type(answer + "\n")
            code, out = term.finish()
            self.assertEqual(code, expected, term.screen)
            self.assertNotIn(answer.encode(), term.screen)
            if expected == 0:
                self.assertIn(b"SHA256:", out)


class PromptSignalTest(CryptochatTestCase):
    """Signals at the passphrase prompt, sent by PID (readpassphrase(3)'s behaviour)."""

    def test_ctrl_z_restores_echo_and_fg_asks_again_without_echo(self):
        key = self.path("k")
        term = Terminal(self, ["keygen", "--bits", "2048", "--out", key], self.env,
                        job_control=True)
        term.expect("Passphrase for the new key")
        term.wait_until(lambda: not term.echo(), "echo off")
        term.type("half")
        time.sleep(0.2)
        term.proc.send_signal(signal.SIGTSTP)
        term.wait_until(lambda: term.state() == "T", "stopped")
        self.assertTrue(term.echo(), "echo stayed off while suspended")
        term.proc.send_signal(signal.SIGCONT)
        term.wait_until(lambda: term.screen.count(b"Passphrase for the new key") == 2,
                        "asked again")
        term.wait_until(lambda: not term.echo(), "echo off again")
        term.type("after-fg-7\n")  # what was typed before Ctrl-Z is dropped
        term.expect("Same passphrase again")
        term.type("after-fg-7\n")
        code, _ = term.finish()
        self.assertEqual(code, 0, term.screen)
        self.assertNotIn(b"after-fg-7", term.screen)
        self.openssl("pkey", "-in", key, "-noout", "-passin", "pass:after-fg-7")

    def test_stop_signals_restore_the_terminal_and_exit_128_plus_n(self):
        for sig, code in ((signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)):
            with self.subTest(signal=sig.name):
                key = self.path(f"k-{sig.name}")
                term = Terminal(self, ["keygen", "--bits", "2048", "--out", key], self.env)
                term.expect("Passphrase for the new key")
                term.wait_until(lambda: not term.echo(), "echo off")
                term.type("typed")
                time.sleep(0.2)
                term.proc.send_signal(sig)
                rc, _ = term.finish()
                self.assertEqual(rc, code, term.screen)
                self.assertTrue(term.echo(), "the terminal was left without echo")
                self.assertIn(f"cryptochat: error: interrupted by {sig.name}".encode(),
                              term.screen)
                self.assertEqual(term.screen.count(b"cryptochat: error:"), 1, term.screen)
                self.assertFalse(os.path.exists(key))

    def test_sigint_after_the_passphrase_still_ends_the_chat_in_order(self):
        # The prompt puts the stop handlers back: SIGINT then ends the chat (QUIT), it does not
        # kill the process.
        write_bytes(self.path("pass"), b"conn-pass\n")  # 0600, or it is refused
        key, server_key = self.path("k"), self.path("server")
        self.run_cc("keygen", "--bits", "2048", "--out", key, "--passphrase-file",
                    self.path("pass"), check=0)
        self.run_cc("keygen", "--bits", "2048", "--out", server_key, check=0)
        server = subprocess.Popen([BINARY, "serve", "--once", "--port", "0", "--key", server_key],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, env=self.env)
        self.addCleanup(server.stderr.close)
        self.addCleanup(server.wait, 10)
        self.addCleanup(server.kill)
        line = server.stderr.readline().decode()
        port = line.split(" as ")[0].rsplit(":", 1)[1]
        term = Terminal(self, ["connect", f"127.0.0.1:{port}", "--key", key], self.env)
        term.expect("Passphrase for")
        term.type("conn-pass\n")
        term.expect("connected to")
        term.proc.send_signal(signal.SIGINT)
        rc, _ = term.finish(timeout=15)
        self.assertEqual(rc, 0, term.screen)  # a typed chat ends politely
        self.assertEqual(server.wait(15), 0)


if __name__ == "__main__":
    main()
