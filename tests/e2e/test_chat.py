"""End-to-end tests of `cryptochat serve` and `cryptochat connect`: the data paths.

Real server and client processes talk over loopback TCP (ephemeral ports only), sometimes through
a recording proxy (built on proxy.py), sometimes at a pseudo-terminal. Every process gets a
timeout and is killed by its PID in cleanup.

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_chat.py
"""
import base64
import os
import re
import signal
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    BINARY, CONNECTED_RE, JOINED_RE, MIB, RUN_TIMEOUT, START_TIMEOUT, PtyProc, SessionTestCase,
    closed_port, have_ipv6_loopback, main, mode_of, read_bytes, write_bytes)
from proxy import Proxy  # noqa: E402

MARKER = b"SECRET-PLAINTEXT-MARKER\n"


class RecordingProxy(Proxy):
    """A TCP proxy on 127.0.0.1:0 in front of a server: it records every byte both ways, and can
    cut the connection after N client-to-server bytes or flip one bit of that stream."""

    def __init__(self, target_port, target_host="127.0.0.1", cut_after=None, flip_at=None):
        self.cut_after = cut_after
        self.flip_at = flip_at
        self.c2s = bytearray()
        self.s2c = bytearray()
        super().__init__(target_port, target_host)

    def client_to_server(self, data, offset):
        if self.flip_at is not None and offset <= self.flip_at < offset + len(data):
            changed = bytearray(data)
            changed[self.flip_at - offset] ^= 0x10
            data = bytes(changed)
        # A cut ends the stream towards the server cleanly and cuts the client off (Proxy).
        cut = self.cut_after is not None and offset + len(data) >= self.cut_after
        if cut:
            data = data[:self.cut_after - offset]
        with self.lock:
            self.c2s.extend(data)
        return data, cut

    def server_to_client(self, data, offset):
        with self.lock:
            self.s2c.extend(data)
        return data, False

    def recorded(self):
        with self.lock:
            return bytes(self.c2s), bytes(self.s2c)


class DataPathTest(SessionTestCase):

    def test_client_to_server_5mib_byte_exact(self):
        data = self.random_file("in.bin", 5 * MIB)
        server, client, s_out, c_out = self.transfer(None, data)
        self.assert_same_file(data, s_out)
        self.assertEqual(read_bytes(c_out), b"")
        m = server.wait_for(JOINED_RE)
        self.assertEqual(m.group(1).decode(), self.fingerprints["client"])
        self.assertTrue(m.group(2).startswith(b"127.0.0.1:"), m.group(0))
        self.assertEqual(client.wait_for(CONNECTED_RE).group(1).decode(),
                         self.fingerprints["server"])

    def test_a_write_error_at_the_receiver_fails_both_sides(self):
        # /dev/full: every write fails with ENOSPC. Nothing may be reported as delivered.
        if not os.path.exists("/dev/full"):
            self.skipTest("no /dev/full")
        data = self.random_file("in.bin", 1 * MIB)
        server = self.start_server(stdin=None, stdout="/dev/full")
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=data)
        client.wait()
        server.wait()
        self.assertEqual(server.returncode, 1, server.describe())
        self.assertIn(b"No space left on device", server.stderr)
        self.assertEqual(client.returncode, 1, client.describe())
        self.assertIn(b"could not write the data out", client.stderr)
        self.assert_no_crash(server)
        self.assert_no_crash(client)

    def test_server_to_client_5mib_byte_exact(self):
        data = self.random_file("in.bin", 5 * MIB)
        _, _, s_out, c_out = self.transfer(data, None)
        self.assert_same_file(data, c_out)
        self.assertEqual(read_bytes(s_out), b"")

    def test_both_directions_at_once(self):
        up = self.random_file("up.bin", 3 * MIB + 12345)
        down = self.random_file("down.bin", 4 * MIB + 777)
        _, _, s_out, c_out = self.transfer(down, up)
        self.assert_same_file(up, s_out)
        self.assert_same_file(down, c_out)

    def test_empty_input_both_ways(self):
        empty = write_bytes(self.path("empty"), b"")
        for name, server_in, client_in in (("files", empty, empty), ("devnull", None, None)):
            with self.subTest(name):
                _, _, s_out, c_out = self.transfer(server_in, client_in)
                self.assertEqual(read_bytes(s_out), b"")
                self.assertEqual(read_bytes(c_out), b"")

    def test_small_and_odd_sizes(self):
        # Around the 64 KiB record size, and bytes a line-oriented path would mangle.
        for size in (1, 65535, 65536, 65537, 3 * 65535 + 1):
            with self.subTest(size=size):
                data = self.random_file("in.bin", size)
                _, _, s_out, _ = self.transfer(None, data)
                self.assert_same_file(data, s_out)
        data = write_bytes(self.path("crlf"), b"a\r\nsair\n/quit\n\x00\xff no newline")
        _, _, s_out, c_out = self.transfer(data, data)
        self.assertEqual(read_bytes(s_out), read_bytes(data))
        self.assertEqual(read_bytes(c_out), read_bytes(data))

    @unittest.skipUnless(have_ipv6_loopback(), "no IPv6 loopback (::1)")
    def test_ipv6_loopback(self):
        up = self.random_file("up.bin", 256 * 1024)
        down = self.random_file("down.bin", 128 * 1024)
        s_out, c_out = self.path("server.out"), self.path("client.out")
        server = self.start_server(stdin=down, stdout=s_out)
        self.assertEqual(server.host, "[::]")
        address = f"[::1]:{server.port}"
        client = self.start_client(address, stdin=up, stdout=c_out)
        client.finish(0)
        server.finish(0)
        self.assert_same_file(up, s_out)
        self.assert_same_file(down, c_out)
        self.assertIn(b"first contact with " + address.encode(), client.stderr)
        self.assertIn(b"joined from [::1]:", server.stderr)
        self.assertIn(f"{address} {server.fingerprint}\n", read_bytes(self.known_hosts).decode())

    def test_bind_ipv4_loopback(self):
        up = self.random_file("up.bin", 300 * 1024)
        s_out = self.path("server.out")
        server = self.start_server("--bind", "127.0.0.1", stdout=s_out)
        self.assertEqual(server.host, "127.0.0.1")
        if have_ipv6_loopback():
            # Bound to IPv4 only: nothing answers on ::1 at that port.
            refused = self.start_client(f"[::1]:{server.port}", stdin=up)
            refused.finish(1, timeout=10)
            self.assertFalse(os.path.exists(self.known_hosts))
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=up)
        client.finish(0)
        server.finish(0)
        self.assert_same_file(up, s_out)

    def test_closed_port_fails_fast(self):
        port = closed_port()
        start = time.monotonic()
        client = self.start_client(f"127.0.0.1:{port}", stdin=self.random_file("in", 10))
        client.finish(1, timeout=10)
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, 2.0, client.describe())
        self.assert_one_error_line(client, str(port))
        self.assertFalse(os.path.exists(self.known_hosts))

    def test_sigint_ends_a_connect_that_hangs(self):
        # A listener that never accepts, its queue of one filled: the kernel drops the next SYN,
        # so the client's connect hangs (its timeout is 30 s) until the signal.
        full = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(full.close)
        full.bind(("127.0.0.1", 0))
        full.listen(0)
        port = full.getsockname()[1]
        fillers = []
        for _ in range(3):
            f = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.addCleanup(f.close)
            f.setblocking(False)
            f.connect_ex(("127.0.0.1", port))
            fillers.append(f)
        client = self.start_client(f"127.0.0.1:{port}", "--connect-timeout", "30",
                                   stdin=self.random_file("in", 10))
        time.sleep(1.0)
        self.assertIsNone(client.returncode, "the connect did not hang: " + client.describe())
        start = time.monotonic()
        client.signal(signal.SIGINT)
        client.finish(130, timeout=5)  # 128 + SIGINT, as for any interrupted work
        self.assertLess(time.monotonic() - start, 2.0, client.describe())
        self.assert_one_error_line(client, "interrupted by SIGINT while connecting")

    def test_server_without_once_serves_clients_one_after_the_other(self):
        first = self.random_file("first.bin", 700 * 1024)
        second = self.random_file("second.bin", 900 * 1024)
        s_out = self.path("server.out")
        server = self.start_server(once=False, stdout=s_out)
        address = f"127.0.0.1:{server.port}"
        one = self.start_client(address, stdin=first)
        one.finish(0)
        self.wait_file(s_out, lambda d: len(d) >= os.path.getsize(first), what="the first data")
        two = self.start_client(address, key="other", name="second", stdin=second)
        err = two.finish(0)
        self.assertNotIn(b"first contact", err)  # the first client recorded the server already
        self.assertEqual(read_bytes(s_out), read_bytes(first) + read_bytes(second))
        self.assertIsNone(server.popen.poll(), "the server ended after its clients")
        server.signal(signal.SIGTERM)
        err = server.finish(0, timeout=10)
        self.assertEqual(err.count(b" joined from "), 2, err)
        self.assertEqual(err.count(b") left"), 2, err)

    def test_stalled_and_garbage_connections_do_not_stop_the_server(self):
        data = self.random_file("in.bin", 200 * 1024)
        s_out = self.path("server.out")
        server = self.start_server("--handshake-timeout", "0.5", stdout=s_out)
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.addCleanup(silent.close)
        server.wait_for(re.compile(rb"^cryptochat: 127\.0\.0\.1:\d+: "), timeout=10)
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as junk:
            junk.sendall(b"GET / HTTP/1.0\r\n\r\n" + os.urandom(3000))
            junk.shutdown(socket.SHUT_WR)
            try:
                while junk.recv(4096):
                    pass
            except OSError:
                pass
        # With --once the failed handshakes were not sessions: a real client is still served.
        self.assertIsNone(server.popen.poll(), server.describe())
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=data)
        client.finish(0)
        server.finish(0)
        self.assert_same_file(data, s_out)
        self.assertEqual(server.stderr.count(b" joined from "), 1, server.stderr)

    def test_sigterm_to_serve_once_mid_session(self):
        s_in_r, s_in_w = self.pipe()
        c_in_r, c_in_w = self.pipe()
        s_out, c_out = self.path("server.out"), self.path("client.out")
        server = self.start_server(stdin=s_in_r, stdout=s_out)
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=c_in_r, stdout=c_out)
        os.close(s_in_r)
        os.close(c_in_r)
        server.wait_for(JOINED_RE)
        os.write(c_in_w, b"before the signal\n")
        os.write(s_in_w, b"from the server\n")
        self.wait_file(s_out, lambda d: d == b"before the signal\n", what="the client's line")
        self.wait_file(c_out, lambda d: d == b"from the server\n", what="the server's line")
        start = time.monotonic()
        server.signal(signal.SIGTERM)
        # Piped input still open: an interrupted transfer, never an orderly end (ABORT).
        server.finish(143, timeout=10)
        client.finish(1, timeout=10)
        self.assertLess(time.monotonic() - start, 4.0, "the session waited for a timeout")
        self.assertIn(b"cryptochat: error: interrupted by SIGTERM\n", server.stderr)
        self.assertTrue(client.stderr.endswith(
            b"cryptochat: error: the peer aborted the session: interrupted\n"), client.describe())
        self.assertEqual(read_bytes(s_out), b"before the signal\n")
        self.assertEqual(read_bytes(c_out), b"from the server\n")


class IdentityFileTest(SessionTestCase):

    def test_key_made_on_first_use(self):
        data = self.random_file("in.bin", 100 * 1024)
        s_out = self.path("server.out")
        server = self.start_server(stdout=s_out)
        client = self.start_client(f"127.0.0.1:{server.port}", key=None, stdin=data)
        err = client.finish(0, timeout=90)
        self.assertIn(b"no identity yet: making", err)
        identity = os.path.join(self.client_config, "cryptochat", "identity")
        self.assertTrue(os.path.isfile(identity))
        self.assertEqual(mode_of(identity), 0o600)
        self.assertTrue(os.path.isfile(identity + ".pub"))
        server.finish(0)
        self.assert_same_file(data, s_out)
        # The key the server saw is the one now on disk, and it is used again next time.
        joined_fp = server.wait_for(JOINED_RE).group(1).decode()
        show = subprocess.run([BINARY, "keygen", "--show", identity], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=self.env, timeout=30)
        self.assertEqual(show.returncode, 0, show.stderr)
        self.assertIn(joined_fp, show.stdout.decode())
        self.assertIn(b" 3072 ", b" " + show.stdout)

        server2 = self.start_server(stdout=self.path("server2.out"))
        client2 = self.start_client(f"127.0.0.1:{server2.port}", key=None, stdin=data)
        self.assertNotIn(b"no identity yet", client2.finish(0))
        server2.finish(0)
        self.assertEqual(server2.wait_for(JOINED_RE).group(1).decode(), joined_fp)

    def test_world_readable_key_refused(self):
        os.chmod(self.keys["server"], 0o644)
        server = self.start_server(wait=False)
        server.finish(1, timeout=15)
        self.assert_one_error_line(server, "0644", self.keys["server"])
        self.assertNotIn(b"listening", server.stderr)

        os.chmod(self.keys["server"], 0o600)
        good = self.start_server(stdout=self.path("server.out"))
        os.chmod(self.keys["client"], 0o644)
        client = self.start_client(f"127.0.0.1:{good.port}", stdin=self.random_file("in", 10))
        client.finish(1, timeout=15)
        self.assert_one_error_line(client, "0644", self.keys["client"])
        self.assertFalse(os.path.exists(self.known_hosts))
        good.signal(signal.SIGTERM)
        good.finish(0, timeout=10)
        self.assertEqual(read_bytes(self.path("server.out")), b"")

    def test_corrupt_client_key_fails_in_one_line_and_the_server_learns_nothing_of_it(self):
        # The key decodes, so its public half goes out in the hello while the private half is
        # set up; its RSA values do not fit together, which shows during the handshake.
        pem = read_bytes(self.keys["client"]).decode()
        der = bytearray(base64.b64decode("".join(
            line for line in pem.splitlines() if not line.startswith("-----"))))
        der[-40] ^= 0x01  # inside the last CRT value
        body = base64.b64encode(bytes(der)).decode()
        bad = self.path("keys", "corrupt")
        write_bytes(bad, ("-----BEGIN PRIVATE KEY-----\n" + "\n".join(
            body[i:i + 64] for i in range(0, len(body), 64)) + "\n-----END PRIVATE KEY-----\n")
            .encode())
        os.chmod(bad, 0o600)
        server = self.start_server(stdout=self.path("server.out"))
        client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                   server.fingerprint, key=bad, stdin=self.random_file("in", 10))
        client.finish(1, timeout=15)
        self.assert_one_error_line(client, "corrupt", bad)
        server.signal(signal.SIGTERM)
        server.finish(0, timeout=10)
        self.assertNotIn(b"corrupt", server.stderr, server.describe())
        self.assertNotIn(bad.encode(), server.stderr, server.describe())
        self.assertEqual(read_bytes(self.path("server.out")), b"")


class WireTest(SessionTestCase):
    """Through a proxy that sees (and can damage) every byte on the wire."""

    def proxy(self, server, **kwargs):
        proxy = RecordingProxy(server.port, **kwargs)
        self.addCleanup(proxy.close)
        return proxy

    def test_known_plaintext_never_on_the_wire(self):
        text = MARKER * (64 * 1024 // len(MARKER) + 1)
        up = write_bytes(self.path("up.txt"), text)
        down = write_bytes(self.path("down.txt"), b"the server's copy:\n" + text)
        s_out, c_out = self.path("server.out"), self.path("client.out")
        server = self.start_server(stdin=down, stdout=s_out)
        proxy = self.proxy(server)
        client = self.start_client(f"127.0.0.1:{proxy.port}", stdin=up, stdout=c_out)
        client.finish(0)
        server.finish(0)
        self.assert_same_file(up, s_out)
        self.assert_same_file(down, c_out)
        c2s, s2c = proxy.recorded()
        self.assertEqual(proxy.connections, 1)
        self.assertGreater(len(c2s), len(text))
        self.assertGreater(len(s2c), len(text))
        for direction, wire in (("client to server", c2s), ("server to client", s2c)):
            with self.subTest(direction):
                self.assertNotIn(b"SECRET-PLAINTEXT-MARKER", wire)
                self.assertNotIn(b"PLAINTEXT", wire)

    def test_cut_connection_is_reported_truncated(self):
        data = self.random_file("in.bin", 5 * MIB)
        s_out = self.path("server.out")
        server = self.start_server(stdout=s_out)
        proxy = self.proxy(server, cut_after=MIB)
        client = self.start_client(f"127.0.0.1:{proxy.port}", stdin=data)
        self.assertTrue(proxy.cut_done.wait(RUN_TIMEOUT), "the proxy never cut")
        self.assertNotEqual(server.wait(RUN_TIMEOUT), 0, server.describe())
        self.assert_no_crash(server)
        self.assertIn(b"truncated", server.stderr)
        # The client cannot claim success: the server never confirmed its data.
        self.assertNotEqual(client.wait(RUN_TIMEOUT), 0, client.describe())
        self.assert_no_crash(client)
        self.assert_strict_prefix(read_bytes(data), read_bytes(s_out))

    def test_flipped_bit_is_detected_as_tampering(self):
        data = self.random_file("in.bin", 1 * MIB)
        s_out = self.path("server.out")
        server = self.start_server(stdout=s_out)
        proxy = self.proxy(server, flip_at=100000)
        client = self.start_client(f"127.0.0.1:{proxy.port}", stdin=data)
        server.finish(1)
        self.assertIn(b"tamper", server.stderr)
        self.assertNotEqual(client.wait(RUN_TIMEOUT), 0, client.describe())
        self.assert_no_crash(client)
        got = read_bytes(s_out)
        self.assert_strict_prefix(read_bytes(data), got)
        self.assertLess(len(got), 100000)

    def test_tampered_session_is_dropped_and_the_server_serves_the_next(self):
        # Without --once, a session that fails ends alone: the next client is served.
        data = self.random_file("in.bin", 1 * MIB)
        s_out = self.path("server.out")
        server = self.start_server(once=False, stdout=s_out)
        proxy = self.proxy(server, flip_at=100000)
        bad = self.start_client(f"127.0.0.1:{proxy.port}", stdin=data)
        self.assertNotEqual(bad.wait(RUN_TIMEOUT), 0, bad.describe())
        server.wait_for(rb"tamper")
        self.assertIsNone(server.popen.poll(), server.describe())
        tampered_prefix = read_bytes(s_out)
        self.assert_strict_prefix(read_bytes(data), tampered_prefix)
        good = self.random_file("good.bin", 64 * 1024)
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=good)
        client.finish(0)
        self.assertEqual(read_bytes(s_out), tampered_prefix + read_bytes(good))
        server.signal(signal.SIGTERM)
        server.finish(0)
        self.assert_no_crash(server)


class TerminalTest(SessionTestCase):
    """Chat typed at a pseudo-terminal: lines are messages and a quit word ends the chat."""

    def test_client_types_hello_then_sair(self):
        self.env["NO_COLOR"] = "1"  # plain names: colours are tested in test_terminal.py
        s_in_r, s_in_w = self.pipe()
        s_out = self.path("server.out")
        server = self.start_server(stdin=s_in_r, stdout=s_out)
        os.close(s_in_r)
        tty = PtyProc(self)
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=tty.slave,
                                   stdout=tty.slave)
        tty.start_reading()
        client.wait_for(CONNECTED_RE)
        server.wait_for(JOINED_RE)
        tty.type(b"hello\n")
        self.wait_file(s_out, lambda d: d == b"hello\n", what="hello")
        # A line from the server is shown on the client's terminal with the server's name.
        os.write(s_in_w, b"hi from the server\n")
        deadline = time.monotonic() + START_TIMEOUT
        while b"srv: hi from the server" not in tty.text() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertIn(b"srv: hi from the server", tty.text())
        tty.type(b"sair\n")
        tty.type(b"typed after the quit word\n")
        client.finish(0, timeout=10)
        server.finish(0, timeout=10)
        self.assertEqual(read_bytes(s_out), b"hello\n")
        self.assertIn(b"ended the chat", server.stderr)

    def test_server_types_quit(self):
        c_in_r, c_in_w = self.pipe()
        c_out = self.path("client.out")
        tty = PtyProc(self)
        server = self.start_server(once=False, stdin=tty.slave, stdout=tty.slave)
        tty.start_reading()
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=c_in_r, stdout=c_out)
        os.close(c_in_r)
        server.wait_for(JOINED_RE)
        client.wait_for(CONNECTED_RE)
        tty.type(b"a message\n")
        self.wait_file(c_out, lambda d: d == b"a message\n", what="the typed line")
        tty.type(b"/quit\n")
        client.finish(0, timeout=10)
        # The server's own user quit, so it stops even without --once.
        server.finish(0, timeout=10)
        self.assertEqual(read_bytes(c_out), b"a message\n")
        self.assertIn(b"ended the chat", client.stderr)


class ClearCliTest(SessionTestCase):
    """Issue 13 on a real session: HOST PORT, --verbose's story, -q and the open-server note."""

    def lines(self, proc):
        return proc.stderr.decode(errors="replace").splitlines()

    def test_host_and_port_as_two_words(self):
        for host in ("127.0.0.1", "localhost", "::1", "[::1]"):
            with self.subTest(host=host):
                c_out = self.path("client.out")
                server = self.start_server(stdin=write_bytes(self.path("s.in"), b"down\n"),
                                           stdout=self.path("server.out"))
                client = self.start_client(host, str(server.port),
                                           stdin=write_bytes(self.path("c.in"), b"up\n"),
                                           stdout=c_out)
                client.finish(0)
                server.finish(0)
                self.assertEqual(read_bytes(c_out), b"down\n")
                self.assertEqual(read_bytes(self.path("server.out")), b"up\n")

    def test_verbose_tells_the_story_of_a_session(self):
        s_in = write_bytes(self.path("s.in"), b"x" * 100)
        c_in = write_bytes(self.path("c.in"), b"y" * 70000)
        server, client, _, _ = self.transfer(s_in, c_in, server_args=("-v",),
                                             client_args=("-v",))
        c = self.lines(client)
        expected = [
            r"cryptochat: 127\.0\.0\.1 resolved in \d+\.\d ms to 127\.0\.0\.1:\d+$",
            r"cryptochat: connected to 127\.0\.0\.1:\d+ in \d+\.\d ms$",
            r"cryptochat: handshake: hello sent at \d+\.\d ms$",
            r"cryptochat: handshake: server key SHA256:\S{43} \(2048 bits\) received at \d+\.\d ms$",
            r"cryptochat: first contact with 127\.0\.0\.1:\d+: .*; SAS words with srv: "
            r"[a-z]+ [a-z]+ [a-z]+ [a-z]+ \(compare them .*\)$",
            r"cryptochat: handshake: done at \d+\.\d ms; protocol version 3, cipher suite 1 "
            r"\(X25519, RSA-OAEP-SHA-256, HKDF-SHA-256, AES-256-GCM\)$",
            r"cryptochat: connected to srv \(SHA256:\S{43}\) at 127\.0\.0\.1:\d+$",
            r"cryptochat: session with 127\.0\.0\.1:\d+ ended: both sides ended their data and "
            r"confirmed the other's \(EOF both ways\); sent 70000 bytes in \d+ records, "
            r"received 100 bytes in 1 records$",
        ]
        self.assertEqual(len(c), len(expected), client.describe())
        for line, regex in zip(c, expected):
            self.assertRegex(line, regex)
        s = self.lines(server)
        expected = [
            r"cryptochat: listening on \S+ as srv \(SHA256:\S{43}\)$",
            r"cryptochat: anyone who can reach this port may join; --authorized-keys FILE admits "
            r"only the keys in FILE$",
            r"cryptochat: 127\.0\.0\.1:\d+: (connection accepted, handshake started \(1 under way\)|handshake started after [0-9.]+ ms in the queue \(1 under way, 0 waiting\))$",
            r"cryptochat: 127\.0\.0\.1:\d+: handshake done in \d+\.\d ms$",
            r"cryptochat: cli \(SHA256:\S{43}\) joined from 127\.0\.0\.1:\d+$",
            # Not at a terminal, the server shows the SAS words only with -v.
            r"cryptochat: SAS words with cli: [a-z]+ [a-z]+ [a-z]+ [a-z]+ \(compare them .*\)$",
            r"cryptochat: session with 127\.0\.0\.1:\d+ ended: both sides ended .* sent 100 bytes "
            r"in 1 records, received 70000 bytes in \d+ records$",
            r"cryptochat: cli \(SHA256:\S{43}\) left$",
            r"cryptochat: cli left because both sides ended their data and confirmed the "
            r"other's \(EOF both ways\)$",
        ]
        self.assertEqual(len(s), len(expected), server.describe())
        for line, regex in zip(s, expected):
            self.assertRegex(line, regex)

    def test_quiet_still_says_where_it_listens(self):
        server = self.start_server("-q", stdin=write_bytes(self.path("s.in"), b""),
                                   stdout=self.path("server.out"))
        client = self.start_client(f"127.0.0.1:{server.port}", "-q",
                                   stdin=write_bytes(self.path("c.in"), b""),
                                   stdout=self.path("client.out"))
        client.finish(0)
        server.finish(0)
        self.assertEqual(len(self.lines(server)), 1, server.describe())
        self.assertRegex(self.lines(server)[0], r"^cryptochat: listening on \S+:\d+ as srv ")
        # Only the warning, which -q never hides (it concerns security).
        self.assertEqual(len(self.lines(client)), 1, client.describe())
        self.assertRegex(self.lines(client)[0], r"^cryptochat: first contact with ")

    def test_normal_serve_says_who_may_join(self):
        server = self.start_server(stdin=write_bytes(self.path("s.in"), b""),
                                   stdout=self.path("server.out"))
        server.wait_for(re.compile(rb"^cryptochat: anyone who can reach this port may join; "
                                   rb"--authorized-keys FILE admits only the keys in FILE$"))


    def test_verbose_room_says_why_a_client_left(self):
        server = self.start_server("-v", once=False, stdin=self.pipe()[0],
                                   stdout=self.path("server.out"))
        client = self.start_client(f"127.0.0.1:{server.port}",
                                   stdin=write_bytes(self.path("c.in"), b"bye\n"),
                                   stdout=self.path("client.out"))
        client.finish(0)
        server.wait_for(re.compile(rb"^cryptochat: cli \(127\.0\.0\.1:\d+\) is leaving: its input "
                                   rb"ended$"))
        server.wait_for(re.compile(rb"^cryptochat: cli \(SHA256:\S{43}\) left$"))


    def test_time_values_take_units_and_idle_timeout_0_is_never(self):
        server = self.start_server("--idle-timeout", "0", "--handshake-timeout", "1d",
                                   once=False, stdin=self.pipe()[0],
                                   stdout=self.path("server.out"))
        client = self.start_client(f"127.0.0.1:{server.port}", "--connect-timeout", "90s",
                                   stdin=write_bytes(self.path("c.in"), b"hi\n"),
                                   stdout=self.path("client.out"))
        client.finish(0)
        server.wait_for(re.compile(rb"^cryptochat: cli \(SHA256:\S{43}\) left$"))
        self.assertNotIn(b"error", server.stderr)


if __name__ == "__main__":
    main()
