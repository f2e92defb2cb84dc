"""Signals and the close (PROTOCOL.md section 6, the man page's SIGNALS): real signals sent by
PID to real processes. An interrupted pipe is an abort (128 + the signal, the peer exits 1); a
chat typed at a terminal ends politely; a second signal exits at once; the close has a deadline;
errors after the handshake travel as ABORT (a Python client that speaks the protocol sends a bad
record and receives one); a reset before the end is truncation."""
import hashlib
import hmac
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    JOINED_RE, MIB, RUN_TIMEOUT, PtyProc, SessionTestCase, main, read_bytes, write_bytes)
from proxy import Proxy  # noqa: E402

ABORTED = b"cryptochat: error: the peer aborted the session: interrupted\n"
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}


def cpu_seconds(pid):
    """utime + stime of a running process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_with_cpu(proc, timeout):
    """Reaps proc (a harness Proc) with wait4; returns its total CPU seconds."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.popen.returncode = os.waitstatus_to_exitcode(status)
            proc.reader.join(5)
            return usage.ru_utime + usage.ru_stime
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"did not end within {timeout} s: {proc.describe()}")
        time.sleep(0.01)


class Feeder:
    """Writes random bytes to a pipe's write end in a thread, slowly, until stopped."""

    def __init__(self, test, fd, chunk=16 * 1024, pause=0.01):
        self.fd = fd
        self.written = bytearray()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(chunk, pause), daemon=True)
        test.addCleanup(self.join)
        self.thread.start()

    def _run(self, chunk, pause):
        while not self.stop.wait(pause):
            data = os.urandom(chunk)
            try:
                os.write(self.fd, data)
            except OSError:
                return
            self.written += data

    def join(self):
        self.stop.set()
        self.thread.join(5)


class ResetProxy:
    """One connection: client to server as it is; server to client until `after` bytes, then the
    client gets a TCP reset (SO_LINGER 0 and close) and the server a FIN."""

    def __init__(self, test, target_port, after):
        self.listener = socket.create_server(("127.0.0.1", 0))
        test.addCleanup(self.listener.close)
        self.port = self.listener.getsockname()[1]
        self.after = after
        self.reset_done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(target_port, test), daemon=True)
        self.thread.start()
        test.addCleanup(self.thread.join, 5)

    def _run(self, target_port, test):
        # One thread: a socket closed while another thread waits in recv on it is released
        # (and reset) only when that recv returns.
        self.listener.settimeout(20)
        client, _ = self.listener.accept()
        server = socket.create_connection(("127.0.0.1", target_port), timeout=20)
        test.addCleanup(server.close)
        sent = 0
        while sent < self.after:
            ready, _, _ = select.select([client, server], [], [], 20)
            if not ready:
                break
            if client in ready:
                data = client.recv(65536)
                if data:
                    server.sendall(data)
            if server in ready:
                data = server.recv(65536)
                if not data:
                    break
                client.sendall(data)
                sent += len(data)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        self.reset_done.set()
        try:
            server.shutdown(socket.SHUT_WR)
            while server.recv(65536):
                pass
        except OSError:
            pass


class FlipProxy(Proxy):
    """Flips one bit of the server-to-client stream at byte `at`."""

    def __init__(self, target_port, at):
        self.at = at
        super().__init__(target_port)

    def server_to_client(self, data, offset):
        if offset <= self.at < offset + len(data):
            changed = bytearray(data)
            changed[self.at - offset] ^= 0x01
            data = bytes(changed)
        return data, False


class InterruptedPipeTest(SessionTestCase):

    def pipe_session(self, server_in=None, once=True, min_bytes=64 * 1024):
        """serve (--once by default) > server.out and connect from a pipe the test feeds, until
        the server wrote more than min_bytes; returns (server, client, feeder)."""
        c_in_r, c_in_w = self.pipe()
        server = self.start_server(once=once, stdin=server_in, stdout=self.path("server.out"))
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=c_in_r)
        os.close(c_in_r)
        feeder = Feeder(self, c_in_w)
        server.wait_for(JOINED_RE)
        self.wait_file(self.path("server.out"), lambda d: len(d) > min_bytes,
                       what="some of the data")
        return server, client, feeder

    def test_sigterm_to_the_sender_mid_pipe_is_an_abort(self):
        server, client, feeder = self.pipe_session()
        client.signal(signal.SIGTERM)
        client.finish(143, timeout=10)
        feeder.join()
        server.finish(1, timeout=10)
        self.assertTrue(client.stderr.endswith(b"cryptochat: error: interrupted by SIGTERM\n"),
                        client.describe())
        self.assertTrue(server.stderr.endswith(ABORTED), server.describe())
        got = read_bytes(self.path("server.out"))  # what was written before the signal, or less
        self.assertEqual(got, bytes(feeder.written[:len(got)]))

    def test_sighup_and_sigint_to_the_receiver_abort_at_once_without_spinning(self):
        for sig in (signal.SIGHUP, signal.SIGINT):
            with self.subTest(signal=sig.name):
                server, client, feeder = self.pipe_session()
                before = cpu_seconds(server.pid)
                start = time.monotonic()
                server.signal(sig)
                total = wait_with_cpu(server, 10)
                took = time.monotonic() - start
                self.assertEqual(server.returncode, CODES[sig], server.describe())
                self.assert_no_crash(server)
                self.assertIn(f"interrupted by {sig.name}".encode(), server.stderr)
                # It stops receiving at once (no 5 s wait for a confirmation) and does not spin.
                self.assertLess(took, 1.5, server.describe())
                self.assertLess(total - before, 0.5, "CPU seconds during the stop")
                client.finish(1, timeout=10)
                self.assertTrue(client.stderr.endswith(ABORTED), client.describe())
                feeder.join()

    def test_a_second_signal_exits_at_once(self):
        server, client, feeder = self.pipe_session()
        # A stopped server reads nothing: the client would wait 2 s for it to take the abort.
        server.signal(signal.SIGSTOP)
        self.addCleanup(server.signal, signal.SIGCONT)
        start = time.monotonic()
        client.signal(signal.SIGINT)
        time.sleep(0.3)
        self.assertIsNone(client.popen.poll(), "the client did not wait for the stopped peer")
        client.signal(signal.SIGTERM)
        client.finish(130, timeout=5)  # the first signal's code
        self.assertLess(time.monotonic() - start, 1.2, client.describe())
        feeder.join()
        server.signal(signal.SIGCONT)
        server.finish(1, timeout=10)
        self.assertTrue(server.stderr.endswith(ABORTED), server.describe())

    def test_a_room_member_stopped_by_sighup_aborts_and_the_room_goes_on(self):
        server, member, feeder = self.pipe_session(once=False, min_bytes=16 * 1024)
        member.signal(signal.SIGHUP)
        member.finish(129, timeout=10)
        feeder.join()
        server.wait_for(b"the peer aborted the session: interrupted", timeout=10)
        self.assertIsNone(server.popen.poll(), server.describe())
        server.signal(signal.SIGTERM)
        server.finish(0, timeout=10)

    def test_a_second_signal_to_a_room_leaves_at_once_telling_the_members(self):
        r, w = self.pipe()
        server = self.start_server(once=False, stdout=self.path("server.out"))
        member = self.start_client(f"127.0.0.1:{server.port}", stdin=r)
        os.close(r)
        server.wait_for(JOINED_RE)
        member.wait_for(b"connected to")
        member.signal(signal.SIGSTOP)  # it cannot confirm the end
        self.addCleanup(member.signal, signal.SIGCONT)
        server.signal(signal.SIGTERM)
        server.wait_for(b"ending the chat for 1 participant(s)", timeout=10)
        time.sleep(0.3)
        self.assertIsNone(server.popen.poll(), "the room did not wait for the confirmation")
        start = time.monotonic()
        server.signal(signal.SIGTERM)
        server.finish(143, timeout=5)
        self.assertLess(time.monotonic() - start, 1.0, server.describe())
        member.signal(signal.SIGCONT)
        member.finish(1, timeout=10)
        self.assertTrue(member.stderr.endswith(ABORTED), member.describe())


class TerminalSignalTest(SessionTestCase):

    def terminal_client(self):
        s_in_r, self.s_in_w = self.pipe()
        server = self.start_server(stdin=s_in_r, stdout=self.path("server.out"))
        os.close(s_in_r)
        tty = PtyProc(self)
        client = self.start_client(f"127.0.0.1:{server.port}", stdin=tty.slave,
                                   stdout=tty.slave)
        tty.start_reading()
        server.wait_for(JOINED_RE)
        return server, client, tty

    def test_a_signal_ends_a_typed_chat_politely(self):
        server, client, tty = self.terminal_client()
        tty.type(b"hello\n")
        self.wait_file(self.path("server.out"), lambda d: d == b"hello\n", what="the line")
        client.signal(signal.SIGTERM)
        client.finish(0, timeout=10)  # the peer confirmed everything typed
        server.finish(0, timeout=10)
        self.assertIn(b"cli ended the chat", server.stderr)
        self.assertEqual(read_bytes(self.path("server.out")), b"hello\n")

    def test_a_second_ctrl_c_exits_at_once(self):
        server, client, tty = self.terminal_client()
        server.signal(signal.SIGSTOP)  # it will never confirm
        self.addCleanup(server.signal, signal.SIGCONT)
        client.signal(signal.SIGINT)
        time.sleep(0.5)
        self.assertIsNone(client.popen.poll(), "the client did not wait for the confirmation")
        start = time.monotonic()
        client.signal(signal.SIGINT)
        client.finish(130, timeout=5)
        self.assertLess(time.monotonic() - start, 1.0, client.describe())
        server.signal(signal.SIGCONT)
        self.assertNotEqual(server.wait(10), 0, server.describe())
        self.assert_no_crash(server)


class CloseDeadlineTest(SessionTestCase):

    def test_a_peer_that_confirms_but_never_ends_is_given_up(self):
        data = self.random_file("in.bin", 200 * 1024)
        s_in_r, s_in_w = self.pipe()  # open and silent: the server never ends its side
        server = self.start_server(stdin=s_in_r, stdout=self.path("server.out"))
        os.close(s_in_r)
        start = time.monotonic()
        client = self.start_client(f"127.0.0.1:{server.port}", "--end-timeout", "1",
                                   stdin=data)
        client.finish(1, timeout=15)
        self.assertLess(time.monotonic() - start, 8.0, client.describe())
        self.assertIn(b"confirmed our end but sent nothing for 1 s", client.stderr)
        server.finish(1, timeout=10)
        self.assertIn(b"the peer aborted the session: timed out", server.stderr)
        self.assert_same_file(data, self.path("server.out"))

    def test_a_peer_still_sending_is_not_cut_off(self):
        data = self.random_file("in.bin", 1024)
        s_in_r, s_in_w = self.pipe()
        server = self.start_server(stdin=s_in_r, stdout=self.path("server.out"))
        os.close(s_in_r)
        c_out = self.path("client.out")
        client = self.start_client(f"127.0.0.1:{server.port}", "--end-timeout", "1",
                                   stdin=data, stdout=c_out)
        self.wait_file(self.path("server.out"), lambda d: len(d) == 1024, what="the data")
        lines = b""
        for i in range(6):  # 2.4 s in all, more than the timeout, a line every 0.4 s
            line = f"line {i}\n".encode()
            os.write(s_in_w, line)
            lines += line
            time.sleep(0.4)
        os.close(s_in_w)
        client.finish(0, timeout=10)
        server.finish(0, timeout=10)
        self.assertEqual(read_bytes(c_out), lines)


class WireErrorTest(SessionTestCase):

    def test_a_reset_before_the_end_is_truncation(self):
        data = self.random_file("in.bin", 4 * MIB)
        server = self.start_server(stdin=data)
        proxy = ResetProxy(self, server.port, after=MIB)
        c_out = self.path("client.out")
        client = self.start_client(f"127.0.0.1:{proxy.port}", stdout=c_out)
        self.assertTrue(proxy.reset_done.wait(RUN_TIMEOUT), "the proxy never reset")
        client.finish(1, timeout=RUN_TIMEOUT)
        err = client.stderr.decode()
        self.assertIn("cryptochat: error: truncated:", err)
        self.assertNotIn("connection lost", err)
        self.assert_strict_prefix(read_bytes(data), read_bytes(c_out))
        self.assertNotEqual(server.wait(RUN_TIMEOUT), 0, server.describe())
        self.assert_no_crash(server)

    def test_an_error_after_the_handshake_travels_as_an_abort(self):
        # The client finds a damaged record from the server; it tells the server (ABORT)
        # instead of just closing, so the server reports the abort, not a truncation.
        data = self.random_file("in.bin", MIB)
        server = self.start_server(stdin=data)
        proxy = FlipProxy(server.port, at=300 * 1024)
        self.addCleanup(proxy.close)
        client = self.start_client(f"127.0.0.1:{proxy.port}", stdout=self.path("client.out"))
        client.finish(1, timeout=RUN_TIMEOUT)
        server.finish(1, timeout=RUN_TIMEOUT)
        self.assertIn(b"cryptochat: error: the peer aborted the session: ", server.stderr)
        self.assertNotIn(b"truncated", server.stderr)
        self.assertNotIn(b"truncated", client.stderr)


def read_frame(sock):
    """One frame (PROTOCOL.md section 2): (type, body, the whole frame); None at the end."""
    head = b""
    while len(head) < 5:
        chunk = sock.recv(5 - len(head))
        if not chunk:
            return None
        head += chunk
    length = struct.unpack(">I", head[1:])[0]
    body = b""
    while len(body) < length:
        chunk = sock.recv(length - len(body))
        if not chunk:
            return None
        body += chunk
    return head[0], body, head + body


class PythonClient:
    """The client side of PROTOCOL.md sections 3-5 in Python (cryptography), to send records
    the real client never would."""

    def __init__(self, sock, key_path, complete=True, name=b"py!"):
        """Runs the handshake up to SERVER_KEY; then, unless complete is False, finish()."""
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, x25519
        self.sock = sock
        oaep = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(),
                            label=None)
        kind, body, sh = read_frame(sock)
        assert kind == 0x01, kind
        n_versions = body[4]
        at = 5 + 2 * n_versions
        at += 1 + 2 * body[at]
        server_eph = body[at:at + 32]
        spki_len = struct.unpack(">H", body[at + 32:at + 34])[0]
        server_key = serialization.load_der_public_key(body[at + 34:at + 34 + spki_len])
        with open(key_path, "rb") as f:
            own = serialization.load_pem_private_key(f.read(), password=None)
        own_spki = own.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        eph = x25519.X25519PrivateKey.generate()
        eph_pub = eph.public_key().public_bytes(serialization.Encoding.Raw,
                                                serialization.PublicFormat.Raw)
        client_secret = os.urandom(32)
        transport = server_key.encrypt(client_secret, oaep)
        ch_body = (b"CCHT" + struct.pack(">HH", 3, 1) + eph_pub +
                   struct.pack(">H", len(own_spki)) + own_spki +
                   struct.pack(">H", len(transport)) + transport)
        ch = bytes([0x02]) + struct.pack(">I", len(ch_body)) + ch_body
        sock.sendall(ch)
        kind, body, sk = read_frame(sock)
        assert kind == 0x03, kind
        transport_len = struct.unpack(">H", body[:2])[0]
        server_secret = own.decrypt(body[2:2 + transport_len], oaep)
        self.th = hashlib.sha256(sh + ch + sk).digest()
        ikm = eph.exchange(x25519.X25519PublicKey.from_public_bytes(server_eph)) + \
            client_secret + server_secret
        prk = hmac.new(self.th, ikm, hashlib.sha256).digest()

        def expand(label, size):
            return hmac.new(prk, label.encode() + b"\x01", hashlib.sha256).digest()[:size]
        self.send_key, self.send_iv = expand("cryptochat v2 c2s key", 32), \
            expand("cryptochat v2 c2s iv", 12)
        self.recv_key, self.recv_iv = expand("cryptochat v2 s2c key", 32), \
            expand("cryptochat v2 s2c iv", 12)
        self.send_seq = self.recv_seq = 0
        self.name = name
        if complete:
            self.finish()

    def finish(self):
        """Key confirmation: the server's FINISHED checked, ours sent."""
        kind, content = self.receive()
        assert kind == 0x01 and content[:32] == self.th, "the server's FINISHED"
        self.send(0x01, self.th + bytes([len(self.name)]) + self.name)

    @staticmethod
    def nonce(iv, seq):
        return bytes(a ^ b for a, b in zip(iv, b"\0\0\0\0" + struct.pack(">Q", seq)))

    def send(self, kind, content):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        length = 8 + 1 + len(content) + 16
        head = bytes([0x17]) + struct.pack(">IQ", length, self.send_seq)
        sealed = AESGCM(self.send_key).encrypt(self.nonce(self.send_iv, self.send_seq),
                                               bytes([kind]) + content, head)
        self.sock.sendall(head + sealed)
        self.send_seq += 1

    def receive(self):
        """The server's next record as (content type, content); None at the end."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        got = read_frame(self.sock)
        if got is None:
            return None
        kind, body, whole = got
        assert kind == 0x17, kind
        seq = struct.unpack(">Q", body[:8])[0]
        assert seq == self.recv_seq, (seq, self.recv_seq)
        self.recv_seq += 1
        plain = AESGCM(self.recv_key).decrypt(self.nonce(self.recv_iv, seq), body[8:],
                                              whole[:13])
        return plain[0], plain[1:]


class PythonPeerTest(SessionTestCase):

    def setUp(self):
        super().setUp()
        try:
            import cryptography  # noqa: F401
        except ImportError:
            self.skipTest("python3-cryptography is needed to speak the protocol from Python")

    def quit_at_once(self, server, delay=0.0, first=0):
        """A Python client that sends QUIT after the handshake (once `first` DATA bytes came,
        then after `delay` seconds), then closes as section 6 says: reads everything up to the
        server's END and answers it with END_ACK. Returns the DATA bytes it received and the
        other content types in order."""
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.addCleanup(sock.close)
        peer = PythonClient(sock, self.keys["client"])
        received, kinds = 0, []
        while received < first:
            record = peer.receive()
            self.assertEqual(record[0], 0x00, record)
            received += len(record[1])
        time.sleep(delay)
        peer.send(0x04, b"")  # QUIT
        while (record := peer.receive()) is not None:
            if record[0] == 0x00:
                received += len(record[1])
                continue
            kinds.append(record[0])
            if record[0] == 0x02:  # the server's END
                peer.send(0x03, b"")  # END_ACK
                break
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
        return received, kinds

    def assert_cut_off(self, server):
        errors = [line for line in server.stderr.splitlines() if b"error" in line]
        self.assertEqual(len(errors), 1, server.describe())
        self.assertRegex(errors[0], rb"^cryptochat: error: py! ended the chat before our input "
                                    rb"was all sent: [1-9][0-9]* bytes of it \(at least\) were "
                                    rb"not delivered$")

    def test_a_quit_that_cuts_piped_input_short_is_not_success(self):
        # The peer's QUIT stops this side's input. A file not read to its end was not
        # delivered, so exit 0 would be a lie: the session closes in order, then exits 1.
        size = 64 * MIB
        data = self.path("big.bin")
        with open(data, "wb") as f:
            f.truncate(size)  # sparse: a big input costs no disk
        server = self.start_server(stdin=data)
        received, kinds = self.quit_at_once(server)
        self.assertEqual(kinds, [0x03, 0x02], "END_ACK for our QUIT, then the server's END")
        self.assertLess(received, size)
        server.finish(1, timeout=RUN_TIMEOUT)
        self.assert_cut_off(server)
        self.assert_no_crash(server)

    def test_a_quit_with_nothing_waiting_in_a_pipe_is_success(self):
        # A pipe that stays open with nothing in it (`tail -f /dev/null | ...`, a listener):
        # nothing was cut off, so the orderly end is success.
        r, w = self.pipe()
        server = self.start_server(stdin=r)
        os.close(r)
        os.write(w, b"all of this was read\n")
        received, kinds = self.quit_at_once(server, first=21)
        self.assertEqual(kinds, [0x03, 0x02])
        self.assertEqual(received, 21)
        server.finish(0, timeout=RUN_TIMEOUT)
        self.assertNotIn(b"not delivered", server.stderr)

    def test_a_quit_with_bytes_waiting_in_a_pipe_is_not_success(self):
        # A writer keeps the pipe full; the client reads nothing for a second, so the server
        # stops reading its input (backpressure) and the pipe holds bytes it never read when
        # the QUIT arrives.
        r, w = self.pipe()
        stop = threading.Event()

        def feed():
            chunk = b"x" * 65536
            for _ in range(1024):  # at most 64 MiB
                if stop.is_set():
                    return
                try:
                    os.write(w, chunk)
                except OSError:
                    return  # the server closed its input

        server = self.start_server(stdin=r)
        os.close(r)
        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        self.addCleanup(writer.join, 10)
        self.addCleanup(stop.set)
        received, kinds = self.quit_at_once(server, delay=1.0)
        stop.set()
        self.assertEqual(kinds, [0x03, 0x02])
        server.finish(1, timeout=RUN_TIMEOUT)
        self.assert_cut_off(server)

    def test_a_handshake_past_server_key_when_a_room_stops_gets_an_abort(self):
        # PROTOCOL.md section 9: a room shutting down lets a handshake past SERVER_KEY complete
        # and sends it an ABORT saying so. A member that never confirms the room's QUIT keeps
        # the room waiting meanwhile.
        server = self.start_server(once=False, stdin=None)
        stuck = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.addCleanup(stuck.close)
        PythonClient(stuck, self.keys["client"])
        server.wait_for(rb"joined from")
        late = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        self.addCleanup(late.close)
        peer = PythonClient(late, self.keys["other"], complete=False)
        server.signal(signal.SIGTERM)
        server.wait_for(rb"stopped: ending the chat")
        peer.finish()
        record = peer.receive()
        self.assertEqual(record, (0x05, b"the server is shutting down"))
        server.finish(0, timeout=RUN_TIMEOUT)

    def test_a_bad_record_after_the_handshake_is_answered_with_an_abort(self):
        server = self.start_server(stdin=None, stdout=self.path("server.out"))
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        self.addCleanup(sock.close)
        peer = PythonClient(sock, self.keys["client"])
        peer.send(0x00, b"fine so far\n")
        peer.send(0x02, b"")  # END
        peer.send(0x00, b"more")  # DATA after END: a protocol error
        records = []
        while (record := peer.receive()) is not None:
            records.append(record)
            if record[0] == 0x05:
                break
        self.assertEqual(records[-1], (0x05, b"protocol error"), records)
        sock.close()
        server.finish(1, timeout=10)
        self.assertIn(b"the peer sent data after its end", server.stderr)
        self.assertEqual(read_bytes(self.path("server.out")), b"fine so far\n")


if __name__ == "__main__":
    main()
