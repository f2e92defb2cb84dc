"""Shared helpers for the end-to-end tests: they run the real cryptochat binary.

Every test gets its own temporary XDG_CONFIG_HOME and HOME, so nothing touches the user's files.
The binary's path comes from the CRYPTOCHAT environment variable that meson sets.

- CryptochatTestCase: a private HOME; run_cc runs the binary to its end.
- SessionTestCase: servers and clients (Proc: stderr collected line by line, killed by PID in
  cleanup) with keys made once per class; PtyProc: a pseudo-terminal's output.
- HostileTestCase: SessionTestCase with raw sockets (Closer), hand-made frames (PROTOCOL.md) and
  the checks of a server that must survive attacks.
- main(): runs the calling module's tests and prints the summary line CI reads.

No test file imports another: what two of them share lives here.
"""
import base64
import hashlib
import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BINARY = os.environ.get("CRYPTOCHAT", "")
OPENSSL = shutil.which("openssl")
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


FP = rb"SHA256:[A-Za-z0-9+/]{43}"
LISTENING_RE = re.compile(rb"^cryptochat: listening on (\S+):(\d+) as (.*) \((" + FP + rb")\)$")
JOINED_RE = re.compile(rb"^cryptochat: .* \((" + FP + rb")\) joined from (\S+)$")
CONNECTED_RE = re.compile(rb"^cryptochat: connected to .* \((" + FP + rb")\) at (\S+)$")
CRASH_MARKERS = (b"terminate called", b"what():", b"Aborted", b"Segmentation fault",
                 b"core dumped", b"AddressSanitizer", b"runtime error:", b"unexpected failure")

MIB = 1 << 20
START_TIMEOUT = 15   # until the server says it listens, or a client connected
RUN_TIMEOUT = 40     # for one process to finish a transfer

# Frame types of PROTOCOL.md section 2, for the tests that speak the protocol by hand.
SERVER_HELLO, CLIENT_HELLO, SERVER_KEY = 0x01, 0x02, 0x03
PROTOCOL_VERSION = 3   # versions 1 (RSA-PSS signatures) and 2 (no SAS commitment) are not spoken
ALERT, RECORD = 0x15, 0x17
ALERT_UNSUPPORTED_VERSION = 2
HEADER = 5
MAGIC = b"CCHT"

# HostileTestCase: the servers it attacks, and what it checks after each attack.
HANDSHAKE_TIMEOUT = 2.0   # given to the servers that are attacked
QUICK_DROP = 1.5          # a server that drops at once does so well before its handshake timeout
GOOD_SIZE = 64 * 1024     # what the real client sends after each attack
EXTRA_MARKERS = (b"Sanitizer", b"Segmentation", b"runtime error")
LEFT_RE = re.compile(rb"^cryptochat: .* \(SHA256:[A-Za-z0-9+/]{43}\) left$")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MIB), b""):
            h.update(chunk)
    return h.hexdigest()


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data, mode=0o600):
    """Writes data to path with the given mode (0600 by default: a passphrase or trust file
    readable or writable by others is refused)."""
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def closed_port():
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def frame(kind, body):
    return bytes([kind]) + struct.pack(">I", len(body)) + body


def field16(data):
    return struct.pack(">H", len(data)) + data


def recv_until_closed(sock, timeout):
    """Reads until the peer closes (EOF or reset) or the time is up.
    Returns (data, how, seconds) with how one of "eof", "reset", "timeout"."""
    start = time.monotonic()
    deadline = start + timeout
    data = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(data), "timeout", time.monotonic() - start
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return bytes(data), "reset", time.monotonic() - start
        if not chunk:
            return bytes(data), "eof", time.monotonic() - start
        data.extend(chunk)


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


class CryptochatTestCase(unittest.TestCase):
    """A test case with a private temporary folder used as HOME and XDG_CONFIG_HOME."""

    def setUp(self):
        if not BINARY or not os.access(BINARY, os.X_OK):
            self.fail("set CRYPTOCHAT to the cryptochat binary (meson test does this)")
        self.tmp = tempfile.mkdtemp(prefix="cryptochat-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.config = os.path.join(self.tmp, "config")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.tmp,
            "XDG_CONFIG_HOME": self.config,
            "LC_ALL": "C.UTF-8",
        }

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def run_cc(self, *args, stdin=None, env_extra=None, timeout=120, check=None):
        """Runs cryptochat with args; returns the CompletedProcess (bytes stdout/stderr).

        check: when an int, the exit status must equal it (the output is shown on failure).
        """
        env = dict(self.env)
        if env_extra:
            env.update(env_extra)
        proc = subprocess.run(
            [BINARY, *args],
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            timeout=timeout,
        )
        if check is not None:
            self.assertEqual(
                proc.returncode,
                check,
                f"cryptochat {' '.join(args)} exited {proc.returncode}\n"
                f"stdout: {proc.stdout!r}\nstderr: {proc.stderr!r}",
            )
        return proc

    def openssl(self, *args, check=True, input=None):
        self.assertIsNotNone(OPENSSL, "openssl is needed by this test")
        return subprocess.run(
            [OPENSSL, *args],
            input=input,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            check=check,
            timeout=120,
        )


class Proc:
    """A running cryptochat whose stderr is collected line by line by a thread."""

    def __init__(self, test, args, env, stdin, stdout):
        self.test = test
        self.args = args
        self.popen = subprocess.Popen([BINARY, *args], stdin=stdin, stdout=stdout,
                                      stderr=subprocess.PIPE, env=env)
        self.pid = self.popen.pid
        self.lines = []
        self.eof = False
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        self.port = None
        self.fingerprint = None

    def _read_stderr(self):
        for line in iter(self.popen.stderr.readline, b""):
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    @property
    def stderr(self):
        with self.cond:
            return b"".join(self.lines)

    @property
    def returncode(self):
        return self.popen.returncode

    def describe(self):
        return f"cryptochat {' '.join(self.args)} (pid {self.pid})\nstderr: {self.stderr!r}"

    def wait_for(self, regex, timeout=START_TIMEOUT):
        """Waits for a stderr line matching regex (bytes, searched in the line without its
        newline); returns the match. Fails when the process ends or the time is up first."""
        if isinstance(regex, bytes):
            regex = re.compile(re.escape(regex))
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    m = regex.search(line.rstrip(b"\n"))
                    if m:
                        return m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if self.eof or left <= 0:
                    break
                self.cond.wait(left)
        self.test.fail(f"no stderr line matching {regex.pattern!r} "
                       f"({'process ended' if self.eof else 'timed out'}): {self.describe()}")

    def wait(self, timeout=RUN_TIMEOUT):
        try:
            rc = self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.test.fail(f"did not end within {timeout} s: {self.describe()}")
        self.reader.join(5)
        return rc

    def finish(self, code=0, timeout=RUN_TIMEOUT):
        """Waits for the process and checks its exit status and that it did not crash."""
        rc = self.wait(timeout)
        self.test.assertEqual(rc, code, self.describe())
        self.test.assert_no_crash(self)
        return self.stderr

    def signal(self, sig):
        if self.popen.poll() is None:
            os.kill(self.pid, sig)

    def kill(self):
        if self.popen.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self.reader.join(2)
        if self.popen.stderr:
            self.popen.stderr.close()


class SessionTestCase(CryptochatTestCase):
    """Runs servers and clients with 2048-bit keys made once per class, each side with its own
    configuration folder."""

    KEY_NAMES = ("server", "client", "other")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not BINARY or not os.access(BINARY, os.X_OK):
            return  # setUp reports it as a failure
        cls.key_dir = tempfile.mkdtemp(prefix="cryptochat-e2e-keys-")
        cls.addClassCleanup(shutil.rmtree, cls.key_dir, ignore_errors=True)
        cls.fingerprints = {}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": cls.key_dir,
               "XDG_CONFIG_HOME": os.path.join(cls.key_dir, "config"), "LC_ALL": "C.UTF-8"}
        for name in cls.KEY_NAMES:
            proc = subprocess.run(
                [BINARY, "keygen", "--bits", "2048", "--out", os.path.join(cls.key_dir, name)],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, timeout=120)
            if proc.returncode != 0:
                raise RuntimeError(f"keygen failed: {proc.stderr!r}")
            m = re.search(rb"^Fingerprint: (" + FP + rb")$", proc.stdout, re.MULTILINE)
            cls.fingerprints[name] = m.group(1).decode()

    def setUp(self):
        super().setUp()
        self.keys = {}
        os.mkdir(self.path("keys"))
        for name in self.KEY_NAMES:
            for suffix in ("", ".pub"):
                dst = self.path("keys", name + suffix)
                shutil.copyfile(os.path.join(self.key_dir, name + suffix), dst)
                os.chmod(dst, 0o600 if suffix == "" else 0o644)
            self.keys[name] = self.path("keys", name)
        self.server_config = self.path("server-config")
        self.client_config = self.path("client-config")
        self.known_hosts = os.path.join(self.client_config, "cryptochat", "known_hosts")
        self.room_ports = set()

    # -- processes -------------------------------------------------------------------------

    def _open(self, spec, mode):
        """stdin/stdout: None is /dev/null, a str a file path, anything else passed as is."""
        if spec is None:
            return subprocess.DEVNULL
        if isinstance(spec, str):
            f = open(spec, mode)  # noqa: SIM115 -- closed in cleanup
            self.addCleanup(f.close)
            return f
        return spec

    def spawn(self, args, config, stdin=None, stdout=None, env_extra=None):
        """Starts cryptochat with XDG_CONFIG_HOME=config; it is killed by PID in cleanup."""
        env = dict(self.env)
        env["XDG_CONFIG_HOME"] = config
        if env_extra:
            env.update(env_extra)
        proc = Proc(self, [str(a) for a in args], env, self._open(stdin, "rb"),
                     self._open(stdout, "wb"))
        self.addCleanup(proc.kill)
        return proc

    def start_server(self, *args, key="server", name="srv", once=True, port=0, stdin=None,
                     stdout=None, config=None, wait=True):
        """Starts `serve` and waits for its listening line; sets proc.port and .fingerprint."""
        argv = ["serve", "--port", port]
        if once:
            argv.append("--once")
        if key is not None:
            argv += ["--key", self.keys.get(key, key)]
        if name is not None:
            argv += ["--name", name]
        if not once and "--format" not in args:
            # Most room tests check the relayed bytes themselves; the room's log format (the
            # default) is tested in test_room_log.py.
            argv += ["--format", "raw"]
        proc = self.spawn(argv + list(args), config or self.server_config, stdin, stdout)
        if wait:
            m = proc.wait_for(LISTENING_RE)
            proc.host = m.group(1).decode()
            proc.port = int(m.group(2))
            proc.fingerprint = m.group(4).decode()
            if not once:
                self.room_ports.add(proc.port)
        return proc

    def _to_room(self, address, args):
        """True when a client's address is that of a room this test started."""
        port = address.rsplit(":", 1)[-1] if ":" in address else (args[0] if args else "")
        return str(port) in {str(p) for p in getattr(self, "room_ports", ())}

    def start_client(self, address, *args, key="client", name="cli", stdin=None, stdout=None,
                     config=None, env_extra=None):
        argv = ["connect", address]
        if key is not None:
            argv += ["--key", self.keys.get(key, key)]
        if name is not None:
            argv += ["--name", name]
        if "--format" not in args and self._to_room(address, args):
            argv += ["--format", "raw"]  # the relayed bytes themselves (see start_server)
        return self.spawn(argv + list(args), config or self.client_config, stdin, stdout,
                          env_extra)

    # -- assertions ------------------------------------------------------------------------

    def assert_no_crash(self, proc):
        self.assertGreaterEqual(proc.returncode, 0,
                                f"killed by signal {-proc.returncode}: {proc.describe()}")
        for marker in CRASH_MARKERS:
            self.assertNotIn(marker, proc.stderr, proc.describe())

    def assert_same_file(self, expected_path, got_path):
        exp, got = os.path.getsize(expected_path), os.path.getsize(got_path)
        self.assertEqual(got, exp, f"{got_path} has {got} bytes, {expected_path} has {exp}")
        self.assertEqual(sha256_file(got_path), sha256_file(expected_path))

    def assert_strict_prefix(self, data, got):
        self.assertLess(len(got), len(data), "all the data arrived")
        self.assertEqual(got, data[:len(got)], "the received bytes are not a prefix of the input")

    def assert_one_error_line(self, proc, *fragments):
        err = proc.stderr.decode(errors="replace")
        self.assertTrue(err.startswith("cryptochat: error: "), err)
        self.assertEqual(err.count("\n"), 1, f"more than one line: {err!r}")
        for fragment in fragments:
            self.assertIn(fragment, err)
        return err

    def wait_file(self, path, predicate, timeout=START_TIMEOUT, what="the expected content"):
        deadline = time.monotonic() + timeout
        while True:
            data = read_bytes(path) if os.path.exists(path) else b""
            if predicate(data):
                return data
            if time.monotonic() > deadline:
                self.fail(f"{path} never held {what}; it has {data[:200]!r}")
            time.sleep(0.02)

    def random_file(self, name, size):
        return write_bytes(self.path(name), os.urandom(size))

    def pipe(self):
        """A pipe whose write end the test keeps (a stdin that stays open)."""
        r, w = os.pipe()
        self.addCleanup(self._close_fd, w)
        self.addCleanup(self._close_fd, r)
        return r, w

    @staticmethod
    def _close_fd(fd):
        try:
            os.close(fd)
        except OSError:
            pass

    def transfer(self, server_in, client_in, server_args=(), client_args=(), address=None):
        """One --once session; returns (server, client, server_out, client_out) after both
        ended with 0."""
        s_out, c_out = self.path("server.out"), self.path("client.out")
        server = self.start_server(*server_args, stdin=server_in, stdout=s_out)
        client = self.start_client(address or f"127.0.0.1:{server.port}", *client_args,
                                   stdin=client_in, stdout=c_out)
        client.finish(0)
        server.finish(0)
        return server, client, s_out, c_out


class PtyProc:
    """Collects what a process writes to the master side of a pseudo-terminal."""

    def __init__(self, test):
        self.master, self.slave = os.openpty()
        self.output = bytearray()
        self.lock = threading.Lock()
        test.addCleanup(self._close)  # runs after the process was killed (cleanups are LIFO)
        self.thread = None

    def start_reading(self):
        os.close(self.slave)
        self.slave = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                data = os.read(self.master, 4096)
            except OSError:  # EIO once no process holds the slave side
                return
            if not data:
                return
            with self.lock:
                self.output.extend(data)

    def type(self, text):
        os.write(self.master, text)

    def text(self):
        with self.lock:
            return bytes(self.output)

    def _close(self):
        if self.thread:
            self.thread.join(5)
        for fd in (self.master, self.slave):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass


# What serve says at start without --authorized-keys.
OPEN_SERVER_LINE = b"cryptochat: anyone who can reach this port may join"


class Closer:
    """Sockets and threads of a test: closed and joined (bounded) in cleanup."""

    def __init__(self):
        self.sockets = []
        self.threads = []

    def sock(self, s):
        self.sockets.append(s)
        return s

    def thread(self, target, *args):
        t = threading.Thread(target=target, args=args, daemon=True)
        self.threads.append(t)
        t.start()
        return t

    def close(self):
        for s in self.sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in recv on it
            except OSError:
                pass
            try:
                s.close()
            except OSError:
                pass
        for t in self.threads:
            t.join(5)


class HostileTestCase(SessionTestCase):

    KEY_NAMES = ("server", "client")

    def setUp(self):
        super().setUp()
        self.closer = Closer()
        self.addCleanup(self.closer.close)
        self.open_fds = set()
        self.addCleanup(self.close_all_fds)

    def pipe(self):
        """A pipe (read end, write end); close_fd closes an end once, cleanup the rest."""
        r, w = os.pipe()
        self.open_fds.update((r, w))
        return r, w

    def close_fd(self, fd):
        if fd in self.open_fds:
            self.open_fds.discard(fd)
            os.close(fd)

    def close_all_fds(self):
        for fd in list(self.open_fds):
            self.close_fd(fd)

    # -- raw sockets -----------------------------------------------------------------------

    def attacker(self, port):
        """A raw client socket to 127.0.0.1:port; returns (socket, "127.0.0.1:PORT")."""
        sock = self.closer.sock(socket.create_connection(("127.0.0.1", port), timeout=10))
        return sock, f"127.0.0.1:{sock.getsockname()[1]}"

    def spki_der(self, name):
        pub = self.keys[name] + ".pub"
        if OPENSSL:
            return self.openssl("pkey", "-pubin", "-in", pub, "-outform", "DER").stdout
        pem = read_bytes(pub).decode()
        m = re.search(r"-----BEGIN PUBLIC KEY-----(.*?)-----END PUBLIC KEY-----", pem, re.S)
        self.assertIsNotNone(m, f"{pub} is not a PUBLIC KEY PEM block")
        return base64.b64decode("".join(m.group(1).split()))

    def client_hello(self, version=PROTOCOL_VERSION, suite=1, oaep=None, spki=None, ephemeral=None,
                     trailer=b""):
        """A CLIENT_HELLO frame per PROTOCOL.md section 3 (the OAEP field is garbage)."""
        body = (MAGIC + struct.pack(">HH", version, suite) + (ephemeral or os.urandom(32)) +
                field16(spki if spki is not None else self.spki_der("client")) +
                field16(oaep or os.urandom(256)) + trailer)
        return frame(CLIENT_HELLO, body)

    def spki_of_private(self, name):
        """DER SubjectPublicKeyInfo of a private key in tests/data."""
        self.assertIsNotNone(OPENSSL, "openssl is needed by this test")
        return self.openssl("pkey", "-in", os.path.join(DATA_DIR, name), "-pubout",
                            "-outform", "DER").stdout

    def server_hello(self, versions=(PROTOCOL_VERSION,), suites=(1,), key="server"):
        """A well-formed SERVER_HELLO with the key `key` of tests/data and a random SAS
        commitment (nobody here reveals its nonce)."""
        body = (MAGIC + bytes([len(versions)]) + b"".join(struct.pack(">H", v) for v in versions)
                + bytes([len(suites)]) + b"".join(struct.pack(">H", s) for s in suites)
                + os.urandom(32) + field16(self.spki_der(key)) + os.urandom(32))
        return frame(SERVER_HELLO, body)

    def assert_dropped_quickly(self, sock, what, limit=QUICK_DROP):
        data, how, secs = recv_until_closed(sock, 10)
        self.assertNotEqual(how, "timeout", f"the server kept the {what} connection open")
        self.assertLess(secs, limit, f"the server took {secs:.2f} s to drop the {what} "
                        f"connection (handshake timeout {HANDSHAKE_TIMEOUT} s)")
        return data

    # -- the server under attack -----------------------------------------------------------

    def open_server(self):
        """`serve` without --once, with a short handshake timeout; its stdout is server.out."""
        self.s_out = self.path("server.out")
        self.served = b""
        return self.start_server("--handshake-timeout", str(HANDSHAKE_TIMEOUT), once=False,
                                 stdout=self.s_out)

    def real_session(self, server, timeout=RUN_TIMEOUT, name="good.bin"):
        """A real client sends 64 KiB; it must arrive byte-exact and the server live on."""
        data = os.urandom(GOOD_SIZE)
        path = write_bytes(self.path(name), data)
        start = time.monotonic()
        client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                   server.fingerprint, stdin=path, stdout=self.path("c.out"))
        client.finish(0, timeout=timeout)
        elapsed = time.monotonic() - start
        self.served += data
        self.assertEqual(read_bytes(self.s_out), self.served, "the real client's data")
        self.assertIsNone(server.popen.poll(), f"the server ended: {server.describe()}")
        return elapsed

    def assert_survived(self, server, attackers, *fragments):
        """After the attacks from the addresses in `attackers`: a real session goes through,
        and the server said exactly one line per attacker (containing the fragments) and
        nothing else unexpected."""
        for address in attackers:
            server.wait_for(address.encode(), timeout=10)
        self.real_session(server)
        lines = [l.rstrip(b"\n") for l in server.lines]
        for address in attackers:
            about = [l for l in lines if address.encode() in l]
            self.assertEqual(len(about), 1, f"lines about {address}: {about!r}\n"
                             f"{server.describe()}")
            for fragment in fragments:
                self.assertIn(fragment.encode(), about[0], server.describe())
        other = [l for l in lines if not (LISTENING_RE.search(l) or JOINED_RE.search(l)
                                          or LEFT_RE.search(l) or OPEN_SERVER_LINE in l
                                          or any(a.encode() in l for a in attackers))]
        self.assertEqual(other, [], f"unexpected lines: {server.describe()}")
        self.assert_no_crash_markers(server)
        server.signal(signal.SIGTERM)
        server.finish(0, timeout=10)
        self.assert_no_crash_markers(server)

    def assert_no_crash_markers(self, proc):
        for marker in CRASH_MARKERS + EXTRA_MARKERS:
            self.assertNotIn(marker, proc.stderr, proc.describe())

    # -- client side -----------------------------------------------------------------------

    def assert_one_line_error(self, proc, *fragments):
        err = proc.stderr.decode(errors="replace")
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, f"expected one line: {err!r}")
        self.assertTrue(lines[0].startswith("cryptochat: error: "), err)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])
        return lines[0]

    def error_lines(self, proc):
        return [l for l in proc.stderr.decode(errors="replace").splitlines()
                if l.startswith("cryptochat: error: ")]


def main():
    """Runs the tests of the calling module and prints the plain summary line CI reads."""
    result = unittest.main(module="__main__", exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)
