"""keygen and connect asking for passphrases at a real terminal (a pseudo-terminal): asked
twice for a new key, never echoed, and a mismatch writes nothing."""
import os
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BINARY, CryptochatTestCase, main  # noqa: E402


class Terminal:
    """A process whose stdin and stderr are a pseudo-terminal; stdout is a pipe."""

    def __init__(self, test, args, env):
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen([BINARY, *args], stdin=slave, stdout=subprocess.PIPE,
                                     stderr=slave, env=env, start_new_session=True)
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
        with open(self.path("pass"), "w") as f:
            f.write("file-pass\n")
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


if __name__ == "__main__":
    main()
