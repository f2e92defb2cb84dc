"""End-to-end tests of the rules for the files that decide trust or hold secrets (ssh's
StrictModes): the key file, the passphrase file, --authorized-keys, known_hosts and the
configuration file are opened without blocking and refused, in one line naming the file and the
fix, when they are not regular files (a FIFO hung forever before), when they belong to another
user than the caller or root, when a trust file is group- or world-writable, or when a secret is
readable by anybody else.

The tests run as root or as any user; a file of another user is made with chown when the tests
run as root (else that test is skipped).

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_trust_files.py
"""
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import SessionTestCase, closed_port, main, read_bytes, write_bytes  # noqa: E402

NOBODY = 65534
# A refusal is immediate; a hang is cut off by the timeout and fails the test.
REFUSE_WITHIN = 1.0
TIMEOUT = 10


class TrustFilesTest(SessionTestCase):

    def fifo(self, name):
        path = self.path(name)
        os.mkfifo(path, 0o600)
        return path

    def run_timed(self, *args, env_extra=None):
        start = time.monotonic()
        proc = self.run_cc(*args, env_extra=env_extra, timeout=TIMEOUT)
        return proc, time.monotonic() - start

    def assert_refused(self, proc, elapsed, code, *fragments):
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, code, err)
        self.assertTrue(err.startswith("cryptochat: error: "), err)
        self.assertEqual(err.count("\n"), 1, f"more than one line: {err!r}")
        for fragment in fragments:
            self.assertIn(fragment, err)
        self.assertLess(elapsed, REFUSE_WITHIN, err)
        return err

    def connect_args(self, *args):
        return ("connect", f"127.0.0.1:{closed_port()}", "--key", self.keys["client"], *args)

    def authorized_keys(self, mode=0o600):
        return write_bytes(self.path("authorized_keys"), read_bytes(self.keys["client"] + ".pub"),
                           mode)

    def serve_args(self, keys):
        return ("serve", "--port", "0", "--once", "--key", self.keys["server"],
                "--authorized-keys", keys)

    def known_hosts_path(self):
        folder = os.path.join(self.config, "cryptochat")
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, "known_hosts")

    # -- FIFOs: refused at once, never a hang --------------------------------------------------

    def test_fifo_as_key_file(self):
        fifo = self.fifo("key")
        proc, elapsed = self.run_timed("connect", f"127.0.0.1:{closed_port()}", "--key", fifo)
        self.assert_refused(proc, elapsed, 1, "not a regular file", fifo)
        proc, elapsed = self.run_timed("keygen", "--show", fifo)
        self.assert_refused(proc, elapsed, 1, "not a regular file", fifo)

    def test_fifo_as_passphrase_file(self):
        fifo = self.fifo("pass")
        proc, elapsed = self.run_timed("keygen", "--bits", "2048", "--out", self.path("new"),
                                       "--passphrase-file", fifo)
        self.assert_refused(proc, elapsed, 1, "passphrase file", "not a regular file", fifo)
        self.assertFalse(os.path.exists(self.path("new")))

    def test_fifo_as_known_hosts(self):
        path = self.known_hosts_path()
        os.mkfifo(path, 0o600)
        proc, elapsed = self.run_timed(*self.connect_args())
        self.assert_refused(proc, elapsed, 1, "known_hosts file", "not a regular file", path)

    def test_fifo_as_authorized_keys(self):
        fifo = self.fifo("authorized_keys")
        proc, elapsed = self.run_timed(*self.serve_args(fifo))
        self.assert_refused(proc, elapsed, 1, "authorized keys file", "not a regular file", fifo)

    def test_fifo_as_config_file(self):
        fifo = self.fifo("config.toml")
        proc, elapsed = self.run_timed("--config", fifo, "keygen", "--show", self.keys["client"])
        self.assert_refused(proc, elapsed, 2, "configuration file", "not a regular file", fifo)
        # The default file too.
        folder = os.path.join(self.config, "cryptochat")
        os.makedirs(folder)
        default = os.path.join(folder, "config.toml")
        os.mkfifo(default, 0o600)
        proc, elapsed = self.run_timed("keygen", "--show", self.keys["client"])
        self.assert_refused(proc, elapsed, 2, "configuration file", "not a regular file", default)

    # -- modes ---------------------------------------------------------------------------------

    def test_group_writable_authorized_keys_refused(self):
        for mode in (0o620, 0o602, 0o666):
            with self.subTest(mode=oct(mode)):
                keys = self.authorized_keys(mode)
                proc, elapsed = self.run_timed(*self.serve_args(keys))
                self.assert_refused(proc, elapsed, 1, f"permissions {mode:04o}", keys,
                                    f"chmod go-w '{keys}'")
        # Readable by all is fine: it names public keys only.
        keys = self.authorized_keys(0o644)
        server = self.start_server("--authorized-keys", keys)
        self.stop_server(server)

    def stop_server(self, server):
        server.signal(15)
        server.wait(timeout=15)

    def test_group_writable_known_hosts_refused(self):
        path = self.known_hosts_path()
        write_bytes(path, b"", 0o664)
        proc, elapsed = self.run_timed(*self.connect_args())
        self.assert_refused(proc, elapsed, 1, "permissions 0664", path, f"chmod go-w '{path}'")
        # 0644 (as cryptochat writes it) is read: the connection then fails for want of a server.
        os.chmod(path, 0o644)
        proc, _ = self.run_timed(*self.connect_args())
        self.assertNotIn(b"permissions", proc.stderr)
        self.assertIn(b"connect", proc.stderr)

    def test_known_hosts_writes_obey_the_same_rule(self):
        # remove and hash read and rewrite the file: a file others can write is refused with
        # the message a read gives, and left as it is.
        path = self.known_hosts_path()
        text = f"a.example:1 {self.fingerprints['server']}\n".encode()
        write_bytes(path, text, 0o664)
        for args in (("known-hosts", "remove", "a.example:1"), ("known-hosts", "hash")):
            with self.subTest(args=args):
                proc, elapsed = self.run_timed(*args)
                self.assert_refused(proc, elapsed, 1, "permissions 0664", path,
                                    f"chmod go-w '{path}'")
                self.assertEqual(read_bytes(path), text)
        # So is a lock file others can write: whoever can write it could hold the lock.
        os.chmod(path, 0o600)
        lock = write_bytes(path + ".lock", b"", 0o666)
        for args in (("known-hosts", "remove", "a.example:1"), ("known-hosts", "hash")):
            with self.subTest(args=args, lock="0666"):
                proc, elapsed = self.run_timed(*args)
                self.assert_refused(proc, elapsed, 1, f"permissions 0666 for '{lock}'",
                                    "known_hosts lock file", f"chmod go-w '{lock}'")
                self.assertEqual(read_bytes(path), text)

    def test_first_contact_not_recorded_with_a_lock_file_others_can_write(self):
        lock = write_bytes(self.known_hosts_path() + ".lock", b"", 0o666)
        out = self.path("server.out")
        server = self.start_server(stdout=out, config=self.server_config)
        client = self.spawn(["connect", f"127.0.0.1:{server.port}", "--key",
                             self.keys["client"]], self.config,
                            stdin=write_bytes(self.path("in"), b"not sent\n"))
        err = client.finish(1, timeout=TIMEOUT).decode()
        self.assertIn(f"permissions 0666 for '{lock}'", err.splitlines()[-1])
        self.assertFalse(os.path.exists(self.known_hosts_path()))
        # The server was told (an ABORT), and nothing of the data reached it.
        server.finish(1, timeout=TIMEOUT)
        self.assertIn(b"a local input or output failed", server.stderr)
        self.assertEqual(read_bytes(out), b"")

    def test_group_writable_config_refused(self):
        config = write_bytes(self.path("c.toml"), b"[keygen]\nbits = 2048\n", 0o660)
        proc, elapsed = self.run_timed("--config", config, "keygen", "--show",
                                       self.keys["client"])
        self.assert_refused(proc, elapsed, 2, "permissions 0660", config,
                            f"chmod go-w '{config}'")
        os.chmod(config, 0o644)
        self.run_cc("--config", config, "keygen", "--show", self.keys["client"], check=0)

    def test_group_readable_passphrase_file_refused(self):
        for mode in (0o640, 0o604, 0o620):
            with self.subTest(mode=oct(mode)):
                pass_file = write_bytes(self.path("pass"), b"secret words\n", mode)
                proc, elapsed = self.run_timed("keygen", "--bits", "2048", "--out",
                                               self.path("new"), "--passphrase-file", pass_file)
                self.assert_refused(proc, elapsed, 1, f"permissions {mode:04o}", pass_file,
                                    "readable by its owner only", f"chmod go-rwx '{pass_file}'")
                self.assertFalse(os.path.exists(self.path("new")))
        # 0400 and 0600 are accepted.
        pass_file = write_bytes(self.path("pass"), b"secret words\n", 0o400)
        self.run_cc("keygen", "--bits", "2048", "--out", self.path("new"), "--passphrase-file",
                    pass_file, check=0)

    # -- owners --------------------------------------------------------------------------------

    @unittest.skipUnless(os.geteuid() == 0, "chown to another user needs root")
    def test_files_of_another_user_refused(self):
        keys = self.authorized_keys(0o644)
        os.chown(keys, NOBODY, -1)
        proc, elapsed = self.run_timed(*self.serve_args(keys))
        self.assert_refused(proc, elapsed, 1, "bad ownership", f"user {NOBODY}", keys)

        path = self.known_hosts_path()
        write_bytes(path, b"", 0o644)
        os.chown(path, NOBODY, -1)
        proc, elapsed = self.run_timed(*self.connect_args())
        self.assert_refused(proc, elapsed, 1, "bad ownership", path)

        config = write_bytes(self.path("c.toml"), b"", 0o644)
        os.chown(config, NOBODY, -1)
        proc, elapsed = self.run_timed("--config", config, "keygen", "--show",
                                       self.keys["client"])
        self.assert_refused(proc, elapsed, 2, "bad ownership", config)

        pass_file = write_bytes(self.path("pass"), b"secret words\n", 0o600)
        os.chown(pass_file, NOBODY, -1)
        proc, elapsed = self.run_timed("keygen", "--bits", "2048", "--out", self.path("new"),
                                       "--passphrase-file", pass_file)
        self.assert_refused(proc, elapsed, 1, "bad ownership", pass_file)

        os.unlink(path)  # known_hosts: so that the key is what is refused next
        key = self.keys["client"]
        os.chown(key, NOBODY, -1)
        proc, elapsed = self.run_timed(*self.connect_args())
        self.assert_refused(proc, elapsed, 1, "UNPROTECTED PRIVATE KEY FILE", "bad ownership",
                            key)
        # A public key of anybody is read.
        os.chown(key + ".pub", NOBODY, -1)
        self.run_cc("keygen", "--show", key + ".pub", check=0)


if __name__ == "__main__":
    main()
