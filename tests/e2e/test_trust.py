"""End-to-end tests of who trusts whom: the client's known_hosts, --peer-fingerprint pins and the
server's --authorized-keys. Real server and client processes on loopback, ephemeral ports.

The process helpers (2048-bit keys made once per class, one configuration folder per side,
stderr collected line by line, kill by PID in cleanup) come from harness.py.

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_trust.py
"""
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    ALERT, CONNECTED_RE, JOINED_RE, MAGIC, PROTOCOL_VERSION, SERVER_HELLO, SERVER_KEY,
    HostileTestCase,
    SessionTestCase, field16, frame, main, mode_of, read_bytes, write_bytes)

SSH_KEYGEN = shutil.which("ssh-keygen")  # openssh-client (.ci/install-deps)
FP_RE = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")



class TrustTestCase(SessionTestCase):

    def client_data(self, name="in.txt", text=None):
        return write_bytes(self.path(name), text if text is not None else
                           (f"data from {name}\n" * 50).encode())

    def known_hosts_text(self):
        return read_bytes(self.known_hosts).decode()

    def stop(self, server):
        server.signal(signal.SIGTERM)
        return server.finish(0, timeout=10)


class KnownHostsTest(TrustTestCase):

    def test_first_contact_recorded_then_silent_match(self):
        s_out = self.path("server.out")
        server = self.start_server(once=False, stdout=s_out)
        address = f"127.0.0.1:{server.port}"
        first = self.client_data("first")
        one = self.start_client(address, stdin=first)
        err = one.finish(0)
        self.assertIn(f"first contact with {address}".encode(), err)
        self.assertIn(server.fingerprint.encode(), err)
        self.assertEqual(self.known_hosts_text(), f"{address} {server.fingerprint}\n")
        self.assertEqual(mode_of(self.known_hosts), 0o600)
        self.assertEqual(one.wait_for(CONNECTED_RE).group(1).decode(), server.fingerprint)

        # The second time: the key matches, nothing is said about it and nothing is rewritten.
        before = os.stat(self.known_hosts)
        second = self.client_data("second")
        two = self.start_client(address, stdin=second)
        err = two.finish(0)
        self.assertNotIn(b"first contact", err)
        self.assertNotIn(b"CHANGED", err)
        self.assertEqual([l for l in err.splitlines() if not CONNECTED_RE.search(l)], [], err)
        self.assertEqual(self.known_hosts_text(), f"{address} {server.fingerprint}\n")
        self.assertEqual(os.stat(self.known_hosts).st_mtime_ns, before.st_mtime_ns)
        self.stop(server)
        self.assertEqual(read_bytes(s_out), read_bytes(first) + read_bytes(second))

    def test_names_of_one_address_are_separate_entries_with_the_address_checked(self):
        # "127.0.0.1:PORT" and "localhost:PORT" are separate names, each a first contact; the
        # address connected to (127.0.0.1:PORT) is recorded once.
        server = self.start_server("--bind", "127.0.0.1", once=False, stdout=self.path("server.out"))
        for address in (f"127.0.0.1:{server.port}", f"localhost:{server.port}"):
            with self.subTest(address):
                client = self.start_client(address, stdin=self.client_data())
                self.assertIn(f"first contact with {address}".encode(), client.finish(0))
        lines = sorted(self.known_hosts_text().splitlines())
        self.assertEqual(lines, sorted([f"127.0.0.1:{server.port} {server.fingerprint}",
                                        f"localhost:{server.port} {server.fingerprint}"]))
        self.assertFalse(os.path.exists(self.known_hosts + ".tmp"))
        self.stop(server)

    def test_other_spellings_of_a_known_address_are_refused_as_a_changed_key(self):
        server = self.start_server("--bind", "127.0.0.1", once=False, stdout=self.path("old.out"))
        port = server.port
        self.start_client(f"127.0.0.1:{port}", stdin=self.client_data()).finish(0)
        self.stop(server)
        recorded = self.known_hosts_text()
        self.assertEqual(recorded, f"127.0.0.1:{port} {server.fingerprint}\n")

        impostor = self.start_server("--bind", "127.0.0.1", key="other", once=False, port=port,
                                     stdout=self.path("impostor.out"))
        spellings = [f"localhost:{port}", f"LOCALHOST:{port}",
                     f"127.0.0.1:0{port}", f"127.1:{port}", f"[::ffff:127.0.0.1]:{port}"]
        for address in spellings:
            with self.subTest(address):
                client = self.start_client(address, "--connect-timeout", "5",
                                           stdin=self.client_data(text=b"secret data\n"),
                                           stdout=self.path("client.out"))
                err = client.finish(3).decode()
                self.assertIn("REMOTE HOST IDENTIFICATION HAS CHANGED", err)
                self.assertIn(server.fingerprint, err)
                self.assertIn(impostor.fingerprint, err)
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertEqual(read_bytes(self.path("client.out")), b"")
        self.assertEqual(self.known_hosts_text(), recorded, "known_hosts was changed")
        self.stop(impostor)
        self.assertEqual(read_bytes(self.path("impostor.out")), b"", "data reached the impostor")

    def test_old_entries_as_typed_still_match(self):
        server = self.start_server("--bind", "127.0.0.1", once=False, stdout=self.path("server.out"))
        entry = f"LocalHost.:0{server.port} {server.fingerprint}\n"
        os.makedirs(os.path.dirname(self.known_hosts), mode=0o700)
        write_bytes(self.known_hosts, entry.encode())
        os.chmod(self.known_hosts, 0o600)
        err = self.start_client(f"localhost:{server.port}", stdin=self.client_data()).finish(0)
        self.assertNotIn(b"first contact", err)
        # The address connected to is added, in canonical form.
        self.assertEqual(self.known_hosts_text(),
                         entry + f"127.0.0.1:{server.port} {server.fingerprint}\n")
        self.stop(server)

    def test_concurrent_first_contacts_all_recorded(self):
        n = 8
        servers = [self.start_server(once=True, stdout=self.path(f"s{i}.out")) for i in range(n)]
        clients = [self.start_client(f"127.0.0.1:{s.port}", stdin=self.client_data(f"c{i}"))
                   for i, s in enumerate(servers)]
        for client in clients:
            self.assertIn(b"first contact", client.finish(0))
        for server in servers:
            server.finish(0, timeout=10)
        lines = sorted(self.known_hosts_text().splitlines())
        self.assertEqual(lines, sorted(f"127.0.0.1:{s.port} {s.fingerprint}" for s in servers))
        self.assertEqual(mode_of(self.known_hosts), 0o600)

    def test_changed_server_key_is_refused(self):
        server = self.start_server(once=False, stdout=self.path("old.out"))
        port = server.port
        address = f"127.0.0.1:{port}"
        self.start_client(address, stdin=self.client_data()).finish(0)
        self.stop(server)
        recorded = self.known_hosts_text()

        # Another key answers on the same address.
        s_out = self.path("server.out")
        impostor = self.start_server(key="other", port=port, stdout=s_out)
        self.assertEqual(impostor.port, port)
        self.assertNotEqual(impostor.fingerprint, server.fingerprint)
        client = self.start_client(address, stdin=self.client_data(text=b"secret data\n"),
                                   stdout=self.path("client.out"))
        err = client.finish(3).decode()
        self.assertIn("REMOTE HOST IDENTIFICATION HAS CHANGED", err)
        self.assertIn(server.fingerprint, err)     # what was expected
        self.assertIn(impostor.fingerprint, err)   # what was presented
        self.assertIn(address, err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertTrue(err.startswith("cryptochat: error: "), err)
        self.assertEqual(self.known_hosts_text(), recorded, "known_hosts was changed")
        self.assertEqual(read_bytes(self.path("client.out")), b"")
        # The failed handshake is not a session: even with --once the server goes on waiting.
        self.assertIsNone(impostor.popen.poll(), impostor.describe())
        self.stop(impostor)
        self.assertEqual(read_bytes(s_out), b"", "data reached the server anyway")
        self.assertNotIn(b"joined", impostor.stderr)

    def write_known_hosts(self, text):
        os.makedirs(os.path.dirname(self.known_hosts), mode=0o700, exist_ok=True)
        write_bytes(self.known_hosts, text.encode())

    def test_malformed_line_of_another_server_is_named_and_skipped(self):
        server = self.start_server(stdout=self.path("server.out"))
        address = f"127.0.0.1:{server.port}"
        bad = "other.example:9 SHA256:cut-short\n"
        self.write_known_hosts(bad)
        err = self.start_client(address, stdin=self.client_data()).finish(0).decode()
        warning = (f"cryptochat: {self.known_hosts}:1: malformed known_hosts entry (expected "
                   f"ADDRESS SHA256:<43 base64 characters>; the fingerprint is not one), skipped")
        self.assertEqual(err.count(warning), 1, err)
        self.assertIn(f"first contact with {address}", err)
        server.finish(0)
        self.assertEqual(self.known_hosts_text(), bad + f"{address} {server.fingerprint}\n")

    def test_malformed_line_of_this_server_refuses_it(self):
        server = self.start_server("--bind", "127.0.0.1", once=False, stdout=self.path("server.out"))
        port = server.port
        cases = [(f"127.0.0.1:{port}", f"127.0.0.1:{port} {server.fingerprint} trailing\n"),
                 (f"LOCALHOST:0{port}", f"localhost:{port} SHA256:cut\n"),
                 # A line for the address connected to counts as well.
                 (f"localhost:{port}", f"127.0.0.1:{port}\n")]
        for address, line in cases:
            with self.subTest(address=address):
                self.write_known_hosts(line)
                client = self.start_client(address, stdin=self.client_data(text=b"secret\n"),
                                           stdout=self.path("client.out"))
                err = client.finish(3).decode()
                lines = err.splitlines()
                self.assertEqual(len(lines), 2, err)
                self.assertIn("malformed known_hosts entry", lines[0])
                self.assertTrue(lines[1].startswith(
                    f"cryptochat: error: {self.known_hosts}:1: the known_hosts line for "), err)
                self.assertIn("is malformed", lines[1])
                self.assertIn("cryptochat known-hosts remove", lines[1])
                self.assertNotIn("first contact", err)
                self.assertEqual(self.known_hosts_text(), line, "known_hosts was changed")
        self.stop(server)
        self.assertEqual(read_bytes(self.path("server.out")), b"", "data reached the server")
        self.assertNotIn(b"joined", server.stderr)

    def test_hashed_lines_by_option_and_by_config(self):
        server = self.start_server(once=False, stdout=self.path("server.out"))
        address = f"127.0.0.1:{server.port}"
        hashed = re.compile(r"^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= " +
                            re.escape(server.fingerprint) + "$")
        err = self.start_client(address, "--hash-known-hosts",
                                stdin=self.client_data()).finish(0)
        self.assertIn(f"first contact with {address}".encode(), err)
        lines = self.known_hosts_text().splitlines()
        self.assertEqual(len(lines), 1, lines)
        self.assertRegex(lines[0], hashed)
        # Found again: no first contact, nothing rewritten.
        err = self.start_client(address, stdin=self.client_data()).finish(0)
        self.assertNotIn(b"first contact", err)
        self.assertEqual(self.known_hosts_text().splitlines(), lines)
        # A changed key is refused under a hashed line too, before anything is sent.
        self.stop(server)
        impostor = self.start_server(key="other", port=server.port, once=False,
                                     stdout=self.path("impostor.out"))
        err = self.start_client(address, stdin=self.client_data()).finish(3)
        self.assertIn(b"REMOTE HOST IDENTIFICATION HAS CHANGED", err)
        # The config key: a new name of the same address is recorded hashed as well.
        config = write_bytes(self.path("c.toml"), b"[connect]\nhash-known-hosts = true\n")
        os.remove(self.known_hosts)
        err = self.start_client(f"localhost:{impostor.port}", "--config", config,
                                stdin=self.client_data()).finish(0)
        self.assertIn(b"first contact", err)
        lines = self.known_hosts_text().splitlines()
        self.assertEqual(len(lines), 2, lines)
        for line in lines:
            self.assertRegex(line, r"^\|1\|\S+ " + re.escape(impostor.fingerprint) + "$")
        self.stop(impostor)


class PoisoningTest(HostileTestCase):
    KEY_NAMES = ("server", "client", "other")

    def test_a_key_nobody_proved_is_not_recorded(self):
        # A fake server presents a valid public key it holds no private key for ("other"'s),
        # and a SERVER_KEY it cannot have made: the client fails the handshake and records
        # nothing, so the real server at that address is then a plain first contact.
        listener = self.closer.sock(socket.create_server(("127.0.0.1", 0)))
        port = listener.getsockname()[1]
        hello = frame(SERVER_HELLO, MAGIC + bytes([1]) + struct.pack(">H", PROTOCOL_VERSION) +
                      bytes([1]) + struct.pack(">H", 1) + os.urandom(32) +
                      field16(self.spki_der("other")) + os.urandom(32))
        answer = frame(SERVER_KEY, field16(os.urandom(256)) + os.urandom(32))

        def serve_once():
            listener.settimeout(20)
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            self.closer.sock(conn)
            try:
                conn.sendall(hello + answer)
                conn.settimeout(10)
                while conn.recv(65536):
                    pass
            except OSError:
                pass

        thread = self.closer.thread(serve_once)
        client = self.start_client(f"127.0.0.1:{port}", "--connect-timeout", "5",
                                   stdin=write_bytes(self.path("in"), b"secret\n"),
                                   stdout=self.path("client.out"))
        err = client.finish(1, timeout=15)
        self.assertNotIn(b"first contact", err)
        self.assertFalse(os.path.exists(self.known_hosts) and
                         read_bytes(self.known_hosts).strip(), "the unproven key was recorded")
        thread.join(10)
        listener.close()

        server = self.start_server(port=port, stdout=self.path("server.out"))
        self.assertEqual(server.port, port)
        err = self.start_client(f"127.0.0.1:{port}",
                                stdin=write_bytes(self.path("in2"), b"hello\n")).finish(0)
        self.assertIn(f"first contact with 127.0.0.1:{port}".encode(), err)
        server.finish(0, timeout=10)
        self.assertEqual(read_bytes(self.known_hosts).decode(),
                         f"127.0.0.1:{port} {server.fingerprint}\n")


class PeerFingerprintTest(TrustTestCase):

    def test_right_pin_works_without_known_hosts(self):
        s_out = self.path("server.out")
        data = self.client_data()
        server = self.start_server(stdout=s_out)
        client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                   self.fingerprints["server"], stdin=data)
        err = client.finish(0)
        server.finish(0)
        self.assertNotIn(b"first contact", err)
        self.assertEqual(read_bytes(s_out), read_bytes(data))
        self.assertFalse(os.path.exists(self.known_hosts), "known_hosts was written")

    def test_right_pin_wins_over_a_different_known_hosts_entry(self):
        server = self.start_server(stdout=self.path("server.out"))
        address = f"127.0.0.1:{server.port}"
        os.makedirs(os.path.dirname(self.known_hosts), mode=0o700)
        entry = f"{address} {self.fingerprints['other']}\n"
        write_bytes(self.known_hosts, entry.encode())
        os.chmod(self.known_hosts, 0o600)
        client = self.start_client(address, "--peer-fingerprint", self.fingerprints["server"],
                                   stdin=self.client_data())
        client.finish(0)
        server.finish(0)
        self.assertEqual(self.known_hosts_text(), entry)

    def test_wrong_pin_refused(self):
        s_out = self.path("server.out")
        server = self.start_server(stdout=s_out)
        client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                   self.fingerprints["other"], stdin=self.client_data())
        err = client.finish(3).decode()
        self.assertTrue(err.startswith("cryptochat: error: "), err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn(self.fingerprints["server"], err)
        self.assertIn(self.fingerprints["other"], err)
        self.assertFalse(os.path.exists(self.known_hosts))
        self.stop(server)
        self.assertEqual(read_bytes(s_out), b"")

    def test_empty_pin_is_a_usage_error(self):
        # An explicitly given but empty pin (e.g. --peer-fingerprint "$UNSET_VARIABLE") must not
        # silently fall back to trust on first use.
        server = self.start_server(stdout=self.path("server.out"))
        client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint", "",
                                   stdin=self.client_data())
        client.wait(timeout=15)
        if client.returncode == 0:
            server.finish(0)
        else:
            self.stop(server)
        self.assertEqual(client.returncode, 2, client.describe())
        self.assertFalse(os.path.exists(self.known_hosts), "known_hosts was written")
        self.assertNotIn(b"joined", server.stderr)

    def test_malformed_pin_is_a_usage_error(self):
        server = self.start_server(stdout=self.path("server.out"))
        good = self.fingerprints["server"]
        for bad in ("SHA256:abc", good[:-1], good + "A", "sha256:" + good[7:], good[7:],
                    "MD5:" + good[7:], good[:-1] + "!", " " + good):
            with self.subTest(bad=bad):
                client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                           bad, stdin=self.client_data())
                err = client.finish(2, timeout=10)
                self.assertLessEqual(len(err.splitlines()), 2, err)
                self.assertFalse(os.path.exists(self.known_hosts))
        # None of them reached the server.
        self.assertNotIn(b"joined", server.stderr)
        self.stop(server)


class AuthorizedKeysTest(TrustTestCase):

    def authorized(self, text):
        path = write_bytes(self.path("authorized_keys"), text.encode())
        os.chmod(path, 0o644)
        return path

    def test_client_public_key_pem_admitted(self):
        pem = read_bytes(self.keys["client"] + ".pub").decode()
        keys = self.authorized(f"# the client\n{pem}\n# and a fingerprint\n"
                               f"{self.fingerprints['other']}\n")
        data = self.client_data()
        s_out = self.path("server.out")
        server = self.start_server("--authorized-keys", keys, stdout=s_out)
        server.wait_for(b"admitting only the 2 keys in " + keys.encode())
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=data)
        client.finish(0)
        server.finish(0)
        self.assertEqual(read_bytes(s_out), read_bytes(data))
        self.assertEqual(server.wait_for(JOINED_RE).group(1).decode(),
                         self.fingerprints["client"])

    def test_other_key_refused_and_server_continues(self):
        keys = self.authorized(f"# only the other key\n\n{self.fingerprints['other']}\n")
        s_out = self.path("server.out")
        server = self.start_server("--authorized-keys", keys, stdout=s_out)
        address = f"127.0.0.1:{server.port}"
        refused = self.start_client(address, stdin=self.client_data(text=b"not for you\n"),
                                    stdout=self.path("refused.out"))
        err = refused.finish(3, timeout=15).decode()
        # A first-contact note may come first (the server did prove its key); the error is last.
        last = err.splitlines()[-1]
        self.assertTrue(last.startswith("cryptochat: error: "), err)
        self.assertIn("refused", last)
        self.assertEqual(read_bytes(self.path("refused.out")), b"")
        # The server names the key it refused and keeps waiting, --once notwithstanding.
        server.wait_for(re.compile(re.escape(self.fingerprints["client"]).encode()))
        self.assertIsNone(server.popen.poll(), server.describe())
        self.assertEqual(read_bytes(s_out), b"")

        data = self.client_data("admitted", text=b"for the server\n")
        admitted = self.start_client(address, key="other", name="friend", stdin=data)
        admitted.finish(0)
        server.finish(0)
        self.assertEqual(read_bytes(s_out), b"for the server\n")
        self.assertEqual(server.wait_for(JOINED_RE).group(1).decode(),
                         self.fingerprints["other"])
        self.assertEqual(server.stderr.count(b" joined from "), 1, server.stderr)

    def test_refused_without_once_then_next_client_served(self):
        pem = read_bytes(self.keys["other"] + ".pub").decode()
        keys = self.authorized(pem)
        s_out = self.path("server.out")
        server = self.start_server("--authorized-keys", keys, once=False, stdout=s_out)
        address = f"127.0.0.1:{server.port}"
        self.assertIn(b"refused",
                      self.start_client(address, stdin=self.client_data()).finish(3, timeout=15))
        self.start_client(address, key="other", stdin=self.client_data("ok")).finish(0)
        self.assertIn(b"refused",
                      self.start_client(address, stdin=self.client_data()).finish(3, timeout=15))
        self.assertEqual(read_bytes(s_out), read_bytes(self.path("ok")))
        self.stop(server)

    def test_empty_authorized_keys_argument_does_not_admit_everyone(self):
        # --authorized-keys "" (say, an unset variable) asks for an allow list; it must not end
        # up as no list at all.
        server = self.start_server("--authorized-keys", "", stdout=self.path("server.out"),
                                   wait=False)
        try:
            rc = server.popen.wait(3)
        except subprocess.TimeoutExpired:  # still running: see whether it admits anyone
            rc = None
        if rc is None:
            m = server.wait_for(re.compile(rb"listening on \S+:(\d+) "))
            client = self.start_client(f"127.0.0.1:{int(m.group(1))}", stdin=self.client_data())
            client.wait(timeout=15)
            self.fail(f"serve --authorized-keys '' kept running and the client exited "
                      f"{client.returncode}: {server.describe()}\n{client.describe()}")
        self.assertIn(rc, (1, 2), server.describe())
        self.assertNotIn(b"listening", server.stderr)

    def test_missing_authorized_keys_file(self):
        missing = self.path("no-such-file")
        server = self.start_server("--authorized-keys", missing, wait=False)
        err = server.finish(1, timeout=15).decode()
        self.assertTrue(err.startswith("cryptochat: error: "), err)
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn(missing, err)
        self.assertNotIn("listening", err)


class KnownHostsCommandTest(TrustTestCase):
    """`cryptochat known-hosts list|remove` on the file connect writes."""

    def known_hosts_cc(self, *args, check=None):
        return self.run_cc("known-hosts", *args, check=check,
                           env_extra={"XDG_CONFIG_HOME": self.client_config})

    def write_known_hosts(self, text):
        os.makedirs(os.path.dirname(self.known_hosts), mode=0o700, exist_ok=True)
        write_bytes(self.known_hosts, text.encode())
        os.chmod(self.known_hosts, 0o600)

    def test_list_and_filter(self):
        fa, fb = self.fingerprints["server"], self.fingerprints["other"]
        self.write_known_hosts(f"# mine\na.example:1 {fa}\n\n[::1]:5000 {fb}\nb.example:2 {fa}\n")
        out = self.known_hosts_cc("list", check=0)
        self.assertEqual(out.stdout.decode(),
                         f"a.example:1 {fa}\n[::1]:5000 {fb}\nb.example:2 {fa}\n")
        self.assertEqual(out.stderr, b"")
        out = self.known_hosts_cc("list", "[::1]:5000", check=0)
        self.assertEqual(out.stdout.decode(), f"[::1]:5000 {fb}\n")
        out = self.known_hosts_cc("list", "c.example:3", check=1)
        self.assertEqual(out.stdout, b"")
        self.assertEqual(out.stderr.decode(),
                         f"cryptochat: error: no entry for c.example:3 in {self.known_hosts}\n")

    def test_list_without_a_file(self):
        out = self.known_hosts_cc("list", check=0)
        self.assertEqual(out.stdout, b"")
        self.assertFalse(os.path.exists(self.known_hosts))

    def test_remove_keeps_the_rest_byte_exact(self):
        fa, fb = self.fingerprints["server"], self.fingerprints["other"]
        rest_head = f"# mine\r\n  # indented\n\nb.example:2 {fa}\r\n"
        self.write_known_hosts(rest_head + f"a.example:1 {fa}\n" + f"c.example:3\t{fb}\n" +
                               f"a.example:1 {fb}")
        out = self.known_hosts_cc("remove", "a.example:1", check=0)
        self.assertEqual(out.stdout.decode(),
                         f"removed a.example:1 {fa} (line 5 of {self.known_hosts})\n"
                         f"removed a.example:1 {fb} (line 7 of {self.known_hosts})\n")
        self.assertEqual(self.known_hosts_text(), rest_head + f"c.example:3\t{fb}\n")
        self.assertEqual(mode_of(self.known_hosts), 0o600)
        # Absent now: an error, and the file is not touched.
        before = os.stat(self.known_hosts)
        out = self.known_hosts_cc("remove", "a.example:1", check=1)
        self.assertEqual(out.stderr.decode(),
                         f"cryptochat: error: no entry for a.example:1 in {self.known_hosts}\n")
        self.assertEqual(os.stat(self.known_hosts).st_mtime_ns, before.st_mtime_ns)

    def test_remove_keeps_malformed_lines_of_other_servers(self):
        text = f"a.example:1 {self.fingerprints['server']}\nbroken line\n"
        self.write_known_hosts(text)
        out = self.known_hosts_cc("remove", "a.example:1", check=0)
        self.assertEqual(out.stderr.decode(),
                         f"cryptochat: {self.known_hosts}:2: malformed known_hosts entry "
                         f"(expected ADDRESS SHA256:<43 base64 characters>; the fingerprint is "
                         f"not one), skipped\n")
        self.assertEqual(self.known_hosts_text(), "broken line\n")

    def test_remove_takes_the_malformed_line_of_the_address_too(self):
        fa = self.fingerprints["server"]
        self.write_known_hosts(f"a.example:1 SHA256:cut\nb.example:2 {fa}\n")
        out = self.known_hosts_cc("remove", "A.example:01", check=0)
        self.assertEqual(out.stdout.decode(),
                         f"removed a.example:1 (line 1 of {self.known_hosts}, malformed: expected "
                         f"ADDRESS SHA256:<43 base64 characters>; the fingerprint is not one)\n")
        self.assertEqual(self.known_hosts_text(), f"b.example:2 {fa}\n")

    def test_list_names_malformed_lines_on_stderr_only(self):
        fa = self.fingerprints["server"]
        self.write_known_hosts(f"a.example:1 {fa}\nbroken\nb.example:2 {fa} extra\n")
        out = self.known_hosts_cc("list", check=0)
        self.assertEqual(out.stdout.decode(), f"a.example:1 {fa}\n")
        lines = out.stderr.decode().splitlines()
        self.assertEqual(len(lines), 2, out.stderr)
        self.assertTrue(lines[0].startswith(f"cryptochat: {self.known_hosts}:2: malformed "
                                            "known_hosts entry ("), lines)
        self.assertTrue(lines[1].startswith(f"cryptochat: {self.known_hosts}:3: malformed "
                                            "known_hosts entry (unexpected text"), lines)
        self.assertTrue(all(line.endswith("), skipped") for line in lines), lines)
        # Only a well-formed line counts as an entry.
        self.known_hosts_cc("list", "b.example:2", check=1)

    def test_hash_rewrites_plain_lines_that_list_and_remove_still_find(self):
        fa, fb = self.fingerprints["server"], self.fingerprints["other"]
        self.write_known_hosts(f"# mine\na.example:1 {fa}\n[::1]:5000 {fb}\n")
        out = self.known_hosts_cc("hash", check=0)
        self.assertEqual(out.stdout.decode(), f"hashed 2 lines of {self.known_hosts}\n")
        text = self.known_hosts_text()
        self.assertNotIn("example", text)
        self.assertNotIn("::1", text)
        lines = text.splitlines()
        self.assertEqual(lines[0], "# mine")
        hashed = re.compile(r"^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= (SHA256:\S+)$")
        self.assertEqual([hashed.match(line).group(1) for line in lines[1:]], [fa, fb])
        self.assertEqual(mode_of(self.known_hosts), 0o600)
        # list shows them hashed; with an address, finds it.
        listed = self.known_hosts_cc("list", check=0).stdout.decode()
        self.assertEqual(listed, "\n".join(lines[1:]) + "\n")
        self.assertEqual(self.known_hosts_cc("list", "[0::1]:5000", check=0).stdout.decode(),
                         lines[2] + "\n")
        out = self.known_hosts_cc("remove", "a.example:1", check=0)
        self.assertEqual(out.stdout.decode(),
                         f"removed {lines[1].split()[0]} {fa} (line 2 of {self.known_hosts})\n")
        self.assertEqual(self.known_hosts_text(), f"# mine\n{lines[2]}\n")
        # Nothing left to hash: said, and the file is left alone.
        before = os.stat(self.known_hosts).st_mtime_ns
        out = self.known_hosts_cc("hash", check=0)
        self.assertEqual(out.stdout, b"")
        self.assertIn(b"no plain lines to hash", out.stderr)
        self.assertEqual(os.stat(self.known_hosts).st_mtime_ns, before)

    def test_usage_errors(self):
        for args in (("known-hosts",), ("known-hosts", "remove"), ("known-hosts", "forget", "a:1"),
                     ("known-hosts", "remove", "has space:1")):
            with self.subTest(args=args):
                proc = self.run_cc(*args, env_extra={"XDG_CONFIG_HOME": self.client_config})
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertFalse(os.path.exists(self.known_hosts))

    def test_changed_key_error_names_the_command_that_fixes_it(self):
        server = self.start_server(once=False, stdout=self.path("old.out"))
        port = server.port
        address = f"127.0.0.1:{port}"
        self.start_client(address, stdin=self.client_data()).finish(0)
        self.stop(server)
        # Another server remembered too, with a comment: remove must keep both.
        with open(self.known_hosts, "a", encoding="utf-8") as f:
            f.write(f"# kept\nother.example:9 {self.fingerprints['other']}\n")

        impostor = self.start_server(key="other", port=port, once=False,
                                     stdout=self.path("new.out"))
        err = self.start_client(address, stdin=self.client_data()).finish(3).decode()
        command = f"cryptochat known-hosts remove {address}"
        self.assertIn(f"If you trust the new key, remove the old one from {self.known_hosts} "
                      f"with: {command} (or connect", err)
        self.assertEqual(len(err.splitlines()), 1, err)

        # The command, as printed, does what the message says.
        out = self.known_hosts_cc(*command.split()[2:], check=0)
        self.assertEqual(out.stdout.decode(),
                         f"removed {address} {server.fingerprint} (line 1 of {self.known_hosts})\n")
        self.assertEqual(self.known_hosts_text(),
                         f"# kept\nother.example:9 {self.fingerprints['other']}\n")
        again = self.start_client(address, stdin=self.client_data())
        self.assertIn(f"first contact with {address}".encode(), again.finish(0))
        self.assertEqual(self.known_hosts_cc("list", address, check=0).stdout.decode(),
                         f"{address} {impostor.fingerprint}\n")
        self.stop(impostor)


class StrictTest(HostileTestCase):
    """--strict (and strict = true in the configuration file) refuses unknown servers before
    sending them anything but the distrust alert."""
    KEY_NAMES = ("server", "client", "other")

    def fake_server(self):
        """A listener that sends a valid SERVER_HELLO with the "other" key and collects what
        the client sends until it closes; returns (port, thread, received)."""
        listener = self.closer.sock(socket.create_server(("127.0.0.1", 0)))
        hello = self.server_hello(key="other")
        received = bytearray()

        def serve_once():
            listener.settimeout(20)
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            self.closer.sock(conn)
            try:
                conn.sendall(hello)
                conn.settimeout(10)
                while chunk := conn.recv(65536):
                    received.extend(chunk)
            except OSError:
                pass

        return listener.getsockname()[1], self.closer.thread(serve_once), received

    def test_unknown_server_gets_only_the_alert(self):
        config = write_bytes(self.path("c.toml"), b"[connect]\nstrict = true\n")
        for args in (["--strict"], ["--config", config]):
            with self.subTest(args=args):
                port, thread, received = self.fake_server()
                client = self.start_client(f"127.0.0.1:{port}", *args, "--connect-timeout", "5",
                                           stdin=write_bytes(self.path("in"), b"secret\n"))
                err = client.finish(3, timeout=15)
                self.assert_one_error_line(
                    client, f"127.0.0.1:{port} is not in {self.known_hosts} and --strict "
                    "refuses unknown keys", self.fingerprints["other"])
                thread.join(10)
                text = b"the client does not trust this server's key"
                self.assertEqual(bytes(received),
                                 frame(ALERT, bytes([4]) + field16(text)), err)
                self.assertFalse(os.path.exists(self.known_hosts))

    def test_known_server_passes(self):
        server = self.start_server(once=False, stdout=self.path("server.out"))
        address = f"127.0.0.1:{server.port}"
        self.start_client(address, "--strict", stdin=write_bytes(self.path("a"), b"a\n")).finish(3)
        self.assertFalse(os.path.exists(self.known_hosts))
        self.start_client(address, stdin=write_bytes(self.path("b"), b"b\n")).finish(0)
        err = self.start_client(address, "--strict",
                                stdin=write_bytes(self.path("c"), b"c\n")).finish(0)
        self.assertNotIn(b"first contact", err)
        server.signal(signal.SIGTERM)
        server.finish(0, timeout=10)
        self.assertEqual(read_bytes(self.path("server.out")), b"b\nc\n")


@unittest.skipIf(SSH_KEYGEN is None, "ssh-keygen (openssh-client) is needed")
class OpenSshIdentityTest(TrustTestCase):
    """serve and connect with RSA keys made by ssh-keygen, as ~/.ssh/id_rsa is."""

    def ssh_key(self, name, passphrase=""):
        path = self.path("keys", name)
        subprocess.run([SSH_KEYGEN, "-q", "-t", "rsa", "-b", "2048", "-N", passphrase, "-C",
                        name, "-f", path], check=True, stdin=subprocess.DEVNULL,
                       capture_output=True, env=self.env, timeout=120)
        return path

    def shown_fingerprint(self, path, *args):
        out = self.run_cc("keygen", "--show", path, *args, check=0).stdout.decode()
        return FP_RE.search(out).group(0)

    def test_serve_and_connect_with_openssh_keys(self):
        server_key = self.ssh_key("id_rsa_server")
        client_key = self.ssh_key("id_rsa_client", passphrase="client pass")
        pass_file = self.path("pass")
        write_bytes(pass_file, b"client pass\n")
        # The server admits the client by the line of its id_rsa.pub.
        keys = self.path("authorized_keys")
        write_bytes(keys, b"# ssh keys\n" + read_bytes(client_key + ".pub"))
        os.chmod(keys, 0o644)

        s_out = self.path("server.out")
        server = self.start_server("--authorized-keys", keys, key=server_key, stdout=s_out)
        self.assertEqual(server.fingerprint, self.shown_fingerprint(server_key + ".pub"))
        data = self.client_data()
        client = self.start_client(f"127.0.0.1:{server.port}", "--passphrase-file", pass_file,
                                   key=client_key, stdin=data)
        client.finish(0)
        server.finish(0)
        self.assertEqual(read_bytes(s_out), read_bytes(data))
        self.assertEqual(server.wait_for(JOINED_RE).group(1).decode(),
                         self.shown_fingerprint(client_key + ".pub"))
        self.assertEqual(self.known_hosts_text(),
                         f"127.0.0.1:{server.port} {server.fingerprint}\n")

    def test_wrong_passphrase_and_open_mode_refused(self):
        server = self.start_server(once=False, stdout=self.path("server.out"))
        client_key = self.ssh_key("id_rsa", passphrase="right")
        client = self.start_client(f"127.0.0.1:{server.port}", key=client_key,
                                   env_extra={"CRYPTOCHAT_PASSPHRASE": "wrong"})
        client.finish(1, timeout=15)
        self.assert_one_error_line(client, "wrong passphrase", client_key)
        os.chmod(client_key, 0o644)
        client = self.start_client(f"127.0.0.1:{server.port}", key=client_key,
                                   env_extra={"CRYPTOCHAT_PASSPHRASE": "right"})
        client.finish(1, timeout=15)
        self.assert_one_error_line(client, "UNPROTECTED PRIVATE KEY FILE", "0644", client_key)
        self.assertFalse(os.path.exists(self.known_hosts))
        self.stop(server)

    def test_authorized_keys_line_with_options_is_refused(self):
        client_key = self.ssh_key("id_rsa")
        keys = self.path("authorized_keys")
        write_bytes(keys, b'from="10.0.0.1" ' + read_bytes(client_key + ".pub"))
        os.chmod(keys, 0o644)
        server = self.start_server("--authorized-keys", keys, wait=False)
        server.finish(1, timeout=15)
        self.assert_one_error_line(server, f"{keys}:1: the key has ssh options before it")


if __name__ == "__main__":
    main()
