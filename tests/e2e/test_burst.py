"""End-to-end tests of how a server admits connections (PROTOCOL.md section 3, "Admission"):
bursts of real `cryptochat connect` processes against a room, with and without a one-byte
attacker, the per-source cap on handshakes, the CLIENT_HELLO deadline, the queue that costs no
cryptography, and ALERT server_full from a `serve --once` that is taken.

Real processes on loopback (ephemeral ports), 2048-bit keys made once per class, every client
pinned with --peer-fingerprint. Attackers come from 127.0.0.2 (all of 127.0.0.0/8 is loopback),
real clients from 127.0.0.1 or ::1. Every wait is bounded; every process is killed by its PID.

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_burst.py
(BURST_CLIENTS=1000 for the 1000-process burst, by hand: not in CI.)
"""
import os
import resource
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    ALERT, BINARY, CONNECTED_RE, HEADER, JOINED_RE, SERVER_HELLO, HostileTestCase,
    have_ipv6_loopback, main, recv_until_closed)

BURST = int(os.environ.get("BURST_CLIENTS", "300"))
BURST_TIMEOUT = 90          # for the whole burst: every client started, joined and ended
ATTACK_RATE = 12            # one-byte connections a second
ATTACK_LIMIT = 1500         # connections the attacker opens at most
SERVER_FULL, TIMEOUT = 6, 5


def frames_of(data):
    frames, pos = [], 0
    while len(data) - pos >= HEADER:
        kind = data[pos]
        (length,) = struct.unpack(">I", data[pos + 1:pos + HEADER])
        if len(data) - pos - HEADER < length:
            break
        frames.append((kind, data[pos + HEADER:pos + HEADER + length]))
        pos += HEADER + length
    return frames


def alert_of(body):
    (length,) = struct.unpack(">H", body[1:3])
    return body[0], body[3:3 + length].decode(errors="replace")


def from_source(port, source="127.0.0.2"):
    return socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))


class Attacker:
    """Opens `rate` connections a second from 127.0.0.2, each sends one byte and hangs; at most
    `limit` connections, stopped (and its sockets closed) in cleanup."""

    def __init__(self, test, port, rate=ATTACK_RATE, limit=ATTACK_LIMIT):
        self.port, self.rate, self.limit = port, rate, limit
        self.socks = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()
        test.addCleanup(self.close)

    def run(self):
        while not self.stop.is_set() and len(self.socks) < self.limit:
            try:
                s = from_source(self.port)
                s.send(b"\x02")
                self.socks.append(s)
            except OSError:
                pass
            self.stop.wait(1 / self.rate)

    def close(self):
        self.stop.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()


class AdmissionTest(HostileTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 16384)), hard))

    def open_room(self, *args):
        return self.start_server(*args, once=False)

    def burst(self, server, count):
        """`count` real `printf 'hi\\n' | connect` processes, started at once (each waits in sh
        for its line on a FIFO; one write releases all). Returns [(exit status, stderr)]."""
        fifo = self.path("go")
        os.mkfifo(fifo)
        go = os.open(fifo, os.O_RDWR)
        self.addCleanup(os.close, go)
        env = dict(self.env)
        env["XDG_CONFIG_HOME"] = self.client_config
        argv = ["/bin/sh", "-c", 'read _ < "$0"; exec "$@"', fifo, BINARY, "connect",
                f"127.0.0.1:{server.port}", "--key", self.keys["client"], "--name", "c",
                "--peer-fingerprint", server.fingerprint, "--connect-timeout", "60"]
        procs = []
        try:
            for _ in range(count):
                p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, env=env)
                procs.append(p)
                p.stdin.write(b"hi\n")
                p.stdin.close()
                p.stdin = None  # communicate() below has nothing to send
            os.write(go, b"\n" * count)
            deadline = time.monotonic() + BURST_TIMEOUT
            results = []
            for p in procs:
                _, err = p.communicate(timeout=max(1, deadline - time.monotonic()))
                results.append((p.returncode, err))
            return results
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                    p.wait()

    def assert_all_got_in(self, server, results):
        failed = [(rc, err) for rc, err in results if rc != 0]
        self.assertEqual(failed[:3], [], f"{len(failed)} of {len(results)} failed")
        for rc, err in results:
            self.assertIn(b"cryptochat: connected to ", err)
        self.assertIsNone(server.popen.poll(), server.describe())

    # -- bursts ----------------------------------------------------------------------------

    def test_a_burst_of_real_clients_all_get_in(self):
        server = self.open_room("--handshake-timeout", "60")
        start = time.monotonic()
        results = self.burst(server, BURST)
        self.assert_all_got_in(server, results)
        self.assertLess(time.monotonic() - start, BURST_TIMEOUT)
        # Nobody was turned away: no handshake is dropped for a newcomer any more.
        self.assertEqual([l for l in server.lines if b"refused" in l or b"dropped" in l], [])

    def test_a_burst_gets_in_while_a_one_byte_attacker_runs(self):
        server = self.open_room("--handshake-timeout", "60", "--hello-timeout", "2")
        attacker = Attacker(self, server.port)
        time.sleep(3)  # the attack fills its share of the slots before the burst
        results = self.burst(server, BURST)
        self.assert_all_got_in(server, results)
        self.assertGreater(len(attacker.socks), 30, "the attacker did not run")
        # The attacker's connections were ended by the CLIENT_HELLO deadline.
        self.assertTrue(any(b"no CLIENT_HELLO after 2 s" in l for l in server.lines),
                        server.describe())

    # -- per-source cap, queue, deadlines --------------------------------------------------

    def test_idle_connections_from_one_source_do_not_stop_another(self):
        server = self.open_room("--max-handshakes", "8", "--max-handshakes-per-source", "4",
                                "--hello-timeout", "30", "--handshake-timeout", "30")
        idle = [self.closer.sock(from_source(server.port)) for _ in range(20)]
        time.sleep(0.5)
        # 4 slots are the flood's; its other 16 connections wait in the queue, sent nothing.
        got = []
        for sock in idle:
            sock.settimeout(0.05)
            try:
                got.append(sock.recv(1) != b"")
            except socket.timeout:
                got.append(False)
        self.assertEqual(got.count(True), 4, got)
        addresses = ["127.0.0.1"] + (["[::1]"] if have_ipv6_loopback() else [])
        for address in addresses:
            start = time.monotonic()
            client = self.start_client(f"{address}:{server.port}", "--peer-fingerprint",
                                       server.fingerprint, stdin=self.path("empty"))
            client.wait_for(CONNECTED_RE, timeout=10)
            client.finish(0, timeout=10)
            self.assertLess(time.monotonic() - start, 5, f"{address} waited behind the flood")

    def setUp(self):
        super().setUp()
        with open(self.path("empty"), "wb"):
            pass

    def test_a_connection_without_client_hello_is_dropped_at_the_hello_deadline(self):
        server = self.open_room("--hello-timeout", "0.5", "--handshake-timeout", "30")
        for payload in (b"", b"\x02"):
            sock = self.closer.sock(from_source(server.port, "127.0.0.1"))
            if payload:
                sock.send(payload)
            data, how, secs = recv_until_closed(sock, 10)
            frames = frames_of(data)
            self.assertEqual(frames[0][0], SERVER_HELLO)
            alerts = [alert_of(body) for kind, body in frames if kind == ALERT]
            self.assertEqual([code for code, _ in alerts], [TIMEOUT], frames)
            self.assertIn("no CLIENT_HELLO after 0.5 s", alerts[0][1])
            self.assertNotEqual(how, "timeout")
            self.assertGreater(secs, 0.4)
            self.assertLess(secs, 2.0, "the 30 s handshake timeout was applied instead")

    def test_a_queued_connection_gets_the_slot_an_idle_one_loses(self):
        # One slot: an idle connection holds it until its CLIENT_HELLO deadline; the real
        # client waits in the queue meanwhile (nothing is dropped for it) and then gets in.
        server = self.open_room("--max-handshakes", "1", "--hello-timeout", "1.5",
                                "--handshake-timeout", "30")
        idle = self.closer.sock(from_source(server.port))
        time.sleep(0.3)
        start = time.monotonic()
        client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                   server.fingerprint, stdin=self.path("empty"))
        client.finish(0, timeout=15)
        elapsed = time.monotonic() - start
        self.assertGreater(elapsed, 0.8, "the idle connection's slot was taken from it")
        self.assertLess(elapsed, 6)
        data, _, _ = recv_until_closed(idle, 5)
        self.assertEqual([alert_of(b)[0] for k, b in frames_of(data) if k == ALERT], [TIMEOUT])

    def test_a_full_queue_costs_the_source_with_the_most_waiting(self):
        # 2 slots, 1 per source, a queue of 4 (--max-clients): 127.0.0.2 takes a slot and fills
        # the queue.
        server = self.open_room("--max-clients", "4", "--max-handshakes", "2",
                                "--max-handshakes-per-source", "1", "--hello-timeout", "30",
                                "--handshake-timeout", "30")
        flood = [self.closer.sock(from_source(server.port)) for _ in range(5)]
        time.sleep(0.3)
        self.assertEqual(self.first_frame(flood[0])[0], SERVER_HELLO)
        # One more from the same source: it is the one turned away.
        extra = self.closer.sock(from_source(server.port))
        self.assertEqual(self.alerts(extra), [SERVER_FULL])
        # Another source takes the free slot at once, queue full or not.
        other = self.closer.sock(from_source(server.port, "127.0.0.3"))
        self.assertEqual(self.first_frame(other)[0], SERVER_HELLO)
        # Its second connection queues; the flood's newest queued one makes room for it.
        second = self.closer.sock(from_source(server.port, "127.0.0.3"))
        self.assertEqual(self.alerts(flood[4]), [SERVER_FULL])
        for sock in [second] + flood[1:4]:
            sock.settimeout(0.05)
            with self.assertRaises(socket.timeout, msg="a queued connection got bytes"):
                sock.recv(1)

    def first_frame(self, sock):
        sock.settimeout(5)
        data = b""
        while not frames_of(data):
            chunk = sock.recv(65536)
            self.assertTrue(chunk, "closed before a whole frame")
            data += chunk
        return frames_of(data)[0]

    def alerts(self, sock):
        data, _, _ = recv_until_closed(sock, 5)
        return [alert_of(body)[0] for kind, body in frames_of(data) if kind == ALERT]

    # -- serve --once ----------------------------------------------------------------------

    def test_once_answers_a_second_client_with_server_full(self):
        server = self.start_server(once=True)
        r, w = self.pipe()
        first = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                  server.fingerprint, stdin=r)
        self.close_fd(r)
        first.wait_for(CONNECTED_RE)
        server.wait_for(JOINED_RE)  # the session has started (a handshake before gets hello)
        # A raw connection is told at once, with nothing before the alert.
        sock = self.closer.sock(from_source(server.port, "127.0.0.1"))
        data, how, secs = recv_until_closed(sock, 10)
        frames = frames_of(data)
        self.assertEqual([k for k, _ in frames], [ALERT], frames)
        self.assertEqual(alert_of(frames[0][1])[0], SERVER_FULL)
        self.assertLess(secs, 2)
        # A real client says the server is busy and exits 1.
        start = time.monotonic()
        second = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                   server.fingerprint, stdin=self.path("empty"))
        second.finish(1, timeout=10)
        self.assertLess(time.monotonic() - start, 5)
        self.assert_one_line_error(second, "the server is busy with another session")
        self.close_fd(w)
        first.finish(0)
        server.finish(0)


if __name__ == "__main__":
    main()
