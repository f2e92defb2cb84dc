"""End-to-end tests of --progress on `connect` and `serve`: the meter on stderr, its summary with
the exact byte counts each way, and the data still byte-exact.

Real server and client processes on loopback (ephemeral ports), keys made once per class (the
helpers of harness.py). The terminal case gives the client's stderr a pseudo-terminal.

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_progress.py
"""
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    BINARY, MIB, RUN_TIMEOUT, PtyProc, SessionTestCase, closed_port, main, read_bytes)

SUMMARY_RE = re.compile(
    rb"cryptochat: sent (\d+) bytes \([0-9.]+ [KMGTP]?i?B/s\), received (\d+) bytes "
    rb"\([0-9.]+ [KMGTP]?i?B/s\) in [0-9]+\.[0-9] s")


class ProgressTest(SessionTestCase):

    def summary(self, stderr):
        found = SUMMARY_RE.findall(stderr)
        self.assertEqual(len(found), 1, f"expected one summary line: {stderr!r}")
        return int(found[0][0]), int(found[0][1])

    def test_both_ways_counts_and_data_exact(self):
        up = self.random_file("up.bin", 3 * MIB + 4321)
        down = self.random_file("down.bin", MIB + 7)
        server, client, s_out, c_out = self.transfer(
            down, up, server_args=["--progress"], client_args=["--progress"])
        self.assertEqual(read_bytes(s_out), read_bytes(up))
        self.assertEqual(read_bytes(c_out), read_bytes(down))
        self.assertEqual(self.summary(client.stderr), (3 * MIB + 4321, MIB + 7))
        self.assertEqual(self.summary(server.stderr), (MIB + 7, 3 * MIB + 4321))
        # Not a terminal: plain lines only, never redrawn in place.
        self.assertNotIn(b"\r", client.stderr)
        self.assertNotIn(b"\x1b", client.stderr)

    def test_without_the_option_there_is_no_meter(self):
        data = self.random_file("in.bin", 100000)
        server, client, _, _ = self.transfer(None, data)
        self.assertNotIn(b"sent ", client.stderr)
        self.assertNotIn(b"sent ", server.stderr)

    def test_terminal_meter_redraws_in_place_with_percentage(self):
        size = 4 * MIB + 99
        data = self.random_file("in.bin", size)
        s_out = self.path("server.out")
        server = self.start_server(stdout=s_out)
        pty = PtyProc(self)
        env = dict(self.env)
        env["XDG_CONFIG_HOME"] = self.client_config
        with open(data, "rb") as stdin:
            client = subprocess.Popen(
                [BINARY, "connect", f"127.0.0.1:{server.port}", "--key", self.keys["client"],
                 "--peer-fingerprint", server.fingerprint, "--progress"],
                stdin=stdin, stdout=subprocess.DEVNULL, stderr=pty.slave, env=env)
        self.addCleanup(lambda: client.poll() is None and client.kill())
        pty.start_reading()
        self.assertEqual(client.wait(RUN_TIMEOUT), 0, pty.text())
        server.finish(0)
        pty.thread.join(5)
        out = pty.text()
        self.assertIn(b"\r\x1b[Ksent ", out)  # drawn in place
        self.assertRegex(out, rb"\d+%")  # stdin is a regular file: a percentage
        self.assertIn(b"\r\x1b[Kcryptochat: sent " + str(size).encode() + b" bytes", out)
        self.assertEqual(self.summary(out), (size, 0))
        self.assertEqual(os.path.getsize(s_out), size)

    def test_room_server_counts_what_it_writes_out_and_sends(self):
        up = os.urandom(2 * MIB + 1)
        hello = b"hello from the operator\n"
        s_out, c_out = self.path("server.out"), self.path("client.out")
        server_r, server_w = self.pipe()
        client_r, client_w = os.pipe()  # the write end is closed below, to end the input
        self.addCleanup(self._close_fd, client_r)
        server = self.start_server("--progress", once=False, stdin=server_r, stdout=s_out)
        client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                   server.fingerprint, stdin=client_r, stdout=c_out)
        server.wait_for(rb"joined from")
        os.write(server_w, hello)
        self.wait_file(c_out, lambda got: got == hello)
        with os.fdopen(client_w, "wb") as f:
            f.write(up)
        client.finish(0)
        server.signal(signal.SIGTERM)
        server.finish(0)
        self.assertEqual(read_bytes(s_out), up)
        self.assertEqual(self.summary(server.stderr), (len(hello), len(up)))

    def test_a_failed_session_prints_no_summary(self):
        data = self.random_file("in.bin", 1000)
        client = self.start_client(f"127.0.0.1:{closed_port()}", "--progress", stdin=data)
        client.finish(1)
        self.assertIsNone(SUMMARY_RE.search(client.stderr), client.stderr)
        self.assert_one_error_line(client, "cannot connect")


if __name__ == "__main__":
    main()
