"""End-to-end tests of a room's log and of reloading a room's authorized keys on SIGHUP.

A room's piped output (`serve` in a room, and `connect` to one) is a log: one line per line said,
with the time, the kind, the sender's name and fingerprint and the text, in the `lines` format
(tab-separated, escaped) or `json` (one object per line), joined per sender however the records
cut it (the man page, FORMAT). `connect --format auto` (the default) is raw until the server
shows it is a room; one-to-one pipes stay byte-exact (test_chat.py and the others, which use the
default). SIGHUP makes a room with --authorized-keys read the file again: a member whose key is
gone is ended with ABORT "no longer authorized", the others stay; a bad file keeps the old list.

Real server and client processes on loopback, 2048-bit keys made once per class, every client
pinned with --peer-fingerprint, every wait bounded, every process killed by PID in cleanup.

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_room_log.py
"""
import base64
import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    CONNECTED_RE, RUN_TIMEOUT, START_TIMEOUT, HostileTestCase, main, read_bytes, write_bytes)

TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LONG_LINE = 100_000      # longer than a log line may get (64 KiB): a partial, then the rest
SPLIT_LINE = 30_000      # written in three pieces, logged as one line
PIECE_PAUSE = 0.3        # between writes that must arrive in separate records


def unescape(field):
    """Undoes the lines format's escapes (\\\\ \\t \\r \\n \\xHH): the exact bytes."""
    out = bytearray()
    i = 0
    raw = field.encode("utf-8", errors="surrogateescape")
    while i < len(raw):
        c = raw[i:i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        nxt = raw[i + 1:i + 2]
        if nxt == b"x":
            out.append(int(raw[i + 2:i + 4], 16))
            i += 4
        else:
            out += {b"\\": b"\\", b"t": b"\t", b"r": b"\r", b"n": b"\n"}[nxt]
            i += 2
    return bytes(out)


def parse_lines_log(data):
    """(type, name, fingerprint, text bytes) of each line of a lines log; checks the shape."""
    entries = []
    for line in data.split(b"\n")[:-1]:
        fields = line.decode("utf-8", errors="surrogateescape").split("\t")
        assert len(fields) == 5, f"not five fields: {line[:200]!r}"
        assert TIME_RE.match(fields[0]), f"bad time: {line[:200]!r}"
        entries.append((fields[1], unescape(fields[2]).decode(), fields[3], unescape(fields[4])))
    return entries


def parse_json_log(data):
    """The same from a json log: "text", or the exact bytes in "data_b64" when it is there."""
    entries = []
    for line in data.split(b"\n")[:-1]:
        obj = json.loads(line)
        assert TIME_RE.match(obj["time"]), obj
        if obj["type"] in ("message", "partial"):
            text = (base64.b64decode(obj["data_b64"]) if "data_b64" in obj
                    else obj["text"].encode())
        else:
            assert "text" not in obj, obj
            text = b""
        entries.append((obj["type"], obj["name"], obj["fingerprint"], text))
    return entries


class Member:
    def __init__(self, proc, stdin, out, name, fp):
        self.proc, self.stdin, self.out, self.name, self.fp = proc, stdin, out, name, fp


class RoomLogTest(HostileTestCase):

    KEY_NAMES = ("server", "client", "other", "third")

    def open_room(self, *args):
        r, w = self.pipe()
        out = self.path("server.out")
        server = self.start_server(*args, once=False, stdin=r, stdout=out)
        self.close_fd(r)
        server.stdin_w, server.out = w, out
        return server

    def join(self, server, name, key, *args):
        r, w = self.pipe()
        out = self.path(name + ".out")
        proc = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                 server.fingerprint, *args, key=key, name=name, stdin=r,
                                 stdout=out)
        self.close_fd(r)
        fp = self.fingerprints[key]
        server.wait_for(re.compile(rb"^cryptochat: " + name.encode() + rb" \(" +
                                   re.escape(fp.encode()) + rb"\) joined from "))
        proc.wait_for(CONNECTED_RE)
        return Member(proc, w, out, name, fp)

    def wait_entries(self, path, parse, count):
        """Waits until the log at path has count entries; returns them."""
        data = self.wait_file(path, lambda d: d.count(b"\n") >= count, what=f"{count} lines")
        entries = parse(data)
        self.assertEqual(len(entries), count, f"{path}: {entries!r}"[:2000])
        return entries

    def test_logs_of_three_members_and_the_server(self):
        server = self.open_room("--format", "lines")
        alice = self.join(server, "alice", "client", "--format", "lines")
        bob = self.join(server, "bob", "other", "--format", "json")
        carol = self.join(server, "carol", "third", "--format", "auto")  # the default: lines
        a, b, c = ((m.name, m.fp) for m in (alice, bob, carol))
        srv = ("srv", server.fingerprint)

        def msg(who, text, kind="message"):
            return (kind, who[0], who[1], text)

        def ev(kind, who):
            return (kind, who[0], who[1], b"")

        logs = {  # what each one's log must hold, in order
            "server": [ev("joined", a), ev("joined", b), ev("joined", c)],
            "alice": [ev("joined", b), ev("joined", c)],
            "bob": [ev("present", a), ev("joined", c)],
            "carol": [ev("present", a), ev("present", b)],
        }
        paths = {"server": (server.out, parse_lines_log), "alice": (alice.out, parse_lines_log),
                 "bob": (bob.out, parse_json_log), "carol": (carol.out, parse_lines_log)}
        members = {"alice": alice, "bob": bob, "carol": carol}

        def check(*names):
            for name in names:
                path, parse = paths[name]
                self.assertEqual(self.wait_entries(path, parse, len(logs[name])), logs[name],
                                 name)

        def said(sender, who, text, kind="message", to=None):
            """sender's text reaches every log but the sender's own."""
            for name in to or logs:
                if name != sender:
                    logs[name].append(msg(who, text, kind))

        check(*logs)
        os.write(alice.stdin, b"hello from alice\n")
        said("alice", a, b"hello from alice")
        check(*logs)
        # Not UTF-8, and an escape sequence: exact in both formats.
        os.write(alice.stdin, b"caf\xe9 \xff\x1b[31m\r\n")
        said("alice", a, b"caf\xe9 \xff\x1b[31m\r")
        check(*logs)  # two senders' lines have no order between them: one at a time
        os.write(bob.stdin, "tab\there, back\\slash, ünïcode\n".encode())
        said("bob", b, "tab\there, back\\slash, ünïcode".encode())
        check(*logs)
        # Interleaved senders: alice's line waits for its end while bob's goes first.
        os.write(alice.stdin, b"a1 ")
        time.sleep(PIECE_PAUSE)
        os.write(bob.stdin, b"b1\n")
        said("bob", b, b"b1")
        check(*logs)
        os.write(alice.stdin, b"a2\n")
        said("alice", a, b"a1 a2")
        check(*logs)
        # A line in three writes (so in several records) is one line; one longer than 64 KiB
        # is a partial of 64 KiB, then the rest.
        for i in range(3):
            os.write(carol.stdin, b"c" * (SPLIT_LINE // 3))
            time.sleep(PIECE_PAUSE)
        os.write(carol.stdin, b"\n")
        said("carol", c, b"c" * SPLIT_LINE)
        check(*logs)
        os.write(alice.stdin, b"x" * LONG_LINE + b"\n")
        said("alice", a, b"x" * 65536, "partial")
        said("alice", a, b"x" * (LONG_LINE - 65536))
        check(*logs)
        os.write(server.stdin_w, b"the operator speaks\n")
        said(None, srv, b"the operator speaks")
        check(*logs)
        # bob's json shows the bytes that are not UTF-8 as U+FFFD in "text", exact in data_b64.
        objs = [json.loads(line) for line in read_bytes(bob.out).splitlines()]
        caf = [o for o in objs if o.get("data_b64")]
        self.assertEqual(len(caf), 1, objs[:10])
        self.assertEqual(caf[0]["text"], "caf\ufffd \ufffd\x1b[31m\r")
        self.assertEqual(list(objs[0]), ["time", "type", "name", "fingerprint"])
        self.assertEqual(list(objs[2]), ["time", "type", "name", "fingerprint", "text"])

        # alice leaves; the others log it, and nothing of hers was left unfinished.
        self.close_fd(alice.stdin)
        alice.proc.finish(0, timeout=RUN_TIMEOUT)
        for name in ("server", "bob", "carol"):
            logs[name].append(ev("left", a))
        check("server", "bob", "carol")
        # A line bob leaves unfinished is written out (partial) when he leaves.
        os.write(bob.stdin, b"no newline")
        time.sleep(PIECE_PAUSE)
        self.close_fd(bob.stdin)
        bob.proc.finish(0, timeout=RUN_TIMEOUT)
        for name in ("server", "carol"):
            logs[name] += [msg(b, b"no newline", "partial"), ev("left", b)]
        check("server", "carol")
        server.signal(signal.SIGTERM)
        server.finish(0, timeout=RUN_TIMEOUT)
        carol.proc.finish(0, timeout=RUN_TIMEOUT)
        for m in members.values():
            self.assertEqual(self.error_lines(m.proc), [], m.proc.describe())
            self.assert_no_crash(m.proc)
        logs["server"].append(ev("left", c))  # the room's end: carol confirmed and left
        check(*logs)

    def test_connect_to_a_one_to_one_server_stays_raw_by_default(self):
        data = b"tab\there\n\xff\xfe not UTF-8, no newline at the end"
        write_bytes(self.path("in"), data)
        server = self.start_server(stdout=self.path("server.out"))
        client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                   server.fingerprint, stdin=self.path("in"),
                                   stdout=self.path("client.out"))
        client.finish(0, timeout=RUN_TIMEOUT)
        server.finish(0, timeout=RUN_TIMEOUT)
        self.assertEqual(read_bytes(self.path("server.out")), data)

    def test_format_lines_in_a_one_to_one_session(self):
        server = self.start_server("--format", "json", stdout=self.path("server.out"))
        write_bytes(self.path("in"), b"one\ntwo")
        client = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                   server.fingerprint, stdin=self.path("in"))
        client.finish(0, timeout=RUN_TIMEOUT)
        server.finish(0, timeout=RUN_TIMEOUT)
        fp = self.fingerprints["client"]
        self.assertEqual(parse_json_log(read_bytes(self.path("server.out"))),
                         [("message", "cli", fp, b"one"), ("partial", "cli", fp, b"two")])

    def test_a_bad_format_is_a_usage_error(self):
        proc = self.run_cc("connect", "127.0.0.1:1", "--format", "csv")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(b"--format", proc.stderr)


class ReloadTest(HostileTestCase):

    KEY_NAMES = ("server", "client", "other", "third")

    def write_keys(self, *names):
        """The allow list with these keys' fingerprints, replaced in one step (mode 0600)."""
        tmp = self.path("keys.tmp")
        write_bytes(tmp, "".join(f"{self.fingerprints[n]} {n}\n" for n in names).encode())
        os.rename(tmp, self.allowed)

    def join(self, server, name, key):
        r, w = self.pipe()
        out = self.path(name + ".out")
        proc = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                 server.fingerprint, key=key, name=name, stdin=r, stdout=out)
        self.close_fd(r)
        server.wait_for(re.compile(rb"^cryptochat: " + name.encode() + rb" .* joined from "))
        proc.wait_for(CONNECTED_RE)
        return Member(proc, w, out, name, self.fingerprints[key])

    def say(self, sender, line, *hearers):
        os.write(sender.stdin, line)
        for m in hearers:
            self.wait_file(m.out, lambda d: d.endswith(line), what=repr(line))

    def test_sighup_reloads_the_allow_list(self):
        self.allowed = self.path("allowed")
        self.write_keys("client", "other", "third")
        r, w = self.pipe()
        server = self.start_server("--authorized-keys", self.allowed, once=False, stdin=r,
                                   stdout=self.path("server.out"))
        self.close_fd(r)
        alice = self.join(server, "alice", "client")
        bob = self.join(server, "bob", "other")
        carol = self.join(server, "carol", "third")
        self.say(alice, b"before the reload\n", bob, carol)

        # bob's key is taken out: he is ended, with the reason; the others stay.
        self.write_keys("client", "third")
        server.signal(signal.SIGHUP)
        bob.proc.finish(1, timeout=RUN_TIMEOUT)
        self.assertEqual(self.error_lines(bob.proc),
                         ["cryptochat: error: the peer aborted the session: no longer authorized"],
                         bob.proc.describe())
        server.wait_for(re.compile(rb"^cryptochat: reloaded authorized keys from " +
                                   re.escape(self.allowed.encode()) +
                                   rb": 2 keys \(1 members removed\)$"))
        for m in (alice, carol):
            m.proc.wait_for(re.compile(rb"^cryptochat: bob \(SHA256:\S+\) left the room$"))
        self.say(alice, b"after the reload\n", carol)
        self.say(carol, b"carol too\n", alice)
        # bob may not come back; anyone still listed may.
        again = self.start_client(f"127.0.0.1:{server.port}", "--peer-fingerprint",
                                  server.fingerprint, key="other", name="bob")
        self.assertNotEqual(again.wait(RUN_TIMEOUT), 0, again.describe())
        self.assertIn(b"not authorized", again.stderr, again.describe())

        # A file that is not an allow list is refused: everyone stays, one line says so.
        write_bytes(self.allowed, b"this is not a key\n")
        server.signal(signal.SIGHUP)
        line = server.wait_for(re.compile(rb"^cryptochat: SIGHUP: authorized keys not "
                                          rb"reloaded, keeping the 2 keys read before: .*$"))
        self.assertIn(self.allowed.encode() + b":1:", line.group(0))
        # So is one that others may write (the same checks as at the start).
        self.write_keys("client", "third")
        os.chmod(self.allowed, 0o666)
        server.signal(signal.SIGHUP)
        line = server.wait_for(re.compile(rb"^cryptochat: SIGHUP: authorized keys not "
                                          rb"reloaded, keeping the 2 keys read before: .*"
                                          rb"too open.*$"))
        self.say(alice, b"still here\n", carol)
        self.assertIsNone(server.popen.poll(), server.describe())
        self.assertEqual(server.stderr.count(b"members removed"), 1, server.describe())

        server.signal(signal.SIGTERM)
        server.finish(0, timeout=RUN_TIMEOUT)
        for m in (alice, carol):
            m.proc.finish(0, timeout=RUN_TIMEOUT)
            self.assertEqual(self.error_lines(m.proc), [], m.proc.describe())
            self.assert_no_crash(m.proc)

    def test_sighup_still_stops_a_room_without_an_allow_list(self):
        server = self.start_server(once=False, stdin=self.pipe()[0])
        alice = self.join(server, "alice", "client")
        server.signal(signal.SIGHUP)
        server.finish(0, timeout=RUN_TIMEOUT)
        alice.proc.finish(0, timeout=RUN_TIMEOUT)
        self.assertIn(b"srv ended the chat", alice.proc.stderr, alice.proc.describe())


if __name__ == "__main__":
    main()
