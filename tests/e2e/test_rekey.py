"""End-to-end tests of key updates (PROTOCOL.md section 5, "Key updates"): the real binary
with CRYPTOCHAT_REKEY_RECORDS lowered, so that a few MiB go through dozens of keys.

- A pipe both ways with a key update every few records: the data arrives byte-exact, and
  --verbose shows that each side sent (and the other received) many key updates.
- A receiver whose limit is low refuses a peer that never updates (the default 2^20 records).
- A room: every member's session updates its keys on its own; what one member pipes reaches the
  other member and the operator byte-exact.
- A value out of range is a usage error.

Real processes on loopback, 2048-bit keys made once per class (harness.py), every wait bounded,
every process killed by its PID in cleanup.

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_rekey.py
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import (  # noqa: E402
    CONNECTED_RE, MIB, RUN_TIMEOUT, START_TIMEOUT, HostileTestCase, main, read_bytes,
    sha256_file)

MAX_RECORD_DATA = 65535
KEY_UPDATES_RE = re.compile(rb"^cryptochat: key updates with \S+: (\d+) sent, (\d+) received$")


def key_updates(proc):
    """(sent, received) from the --verbose line at the end of a one-to-one session (there is
    none when neither side updated its key): (0, 0) without it."""
    for line in proc.stderr.splitlines():
        m = KEY_UPDATES_RE.search(line)
        if m:
            return int(m.group(1)), int(m.group(2))
    return 0, 0


def rekey_env(records):
    return {"CRYPTOCHAT_REKEY_RECORDS": str(records)}


class KeyUpdateTest(HostileTestCase):

    KEY_NAMES = ("server", "client", "other")

    def start(self, records, *, server_records=None, client_records=None, server_in=None,
              client_in=None, once=True):
        """A server and a client, each with its own CRYPTOCHAT_REKEY_RECORDS (None: unset)."""
        s_out, c_out = self.path("server.out"), self.path("client.out")
        server_records = records if server_records is None else server_records
        client_records = records if client_records is None else client_records
        self.env.update(rekey_env(server_records) if server_records else {})
        server = self.start_server("-v", stdin=server_in, stdout=s_out, once=once)
        self.env.pop("CRYPTOCHAT_REKEY_RECORDS", None)
        client = self.start_client(
            f"127.0.0.1:{server.port}", "-v", "--peer-fingerprint", server.fingerprint,
            stdin=client_in, stdout=c_out,
            env_extra=rekey_env(client_records) if client_records else None)
        return server, client, s_out, c_out

    def test_a_pipe_both_ways_goes_through_dozens_of_keys_byte_exact(self):
        records = 5  # four records and a KEY_UPDATE per key
        up = self.random_file("up.bin", 6 * MIB)
        down = self.random_file("down.bin", 3 * MIB)
        server, client, s_out, c_out = self.start(records, server_in=down, client_in=up)
        client.finish(0)
        server.finish(0)
        self.assert_same_file(up, s_out)
        self.assert_same_file(down, c_out)
        c_sent, c_received = key_updates(client)
        s_sent, s_received = key_updates(server)
        self.assertEqual(c_sent, s_received)
        self.assertEqual(s_sent, c_received)
        # Each direction needs at least size / 65535 records, one KEY_UPDATE per 4 of them.
        self.assertGreaterEqual(c_sent, (6 * MIB // MAX_RECORD_DATA) // (records - 1))
        self.assertGreaterEqual(s_sent, (3 * MIB // MAX_RECORD_DATA) // (records - 1))

    def test_without_the_variable_a_short_pipe_needs_no_key_update(self):
        up = self.random_file("up.bin", 2 * MIB)
        server, client, s_out, _ = self.start(None, client_in=up)
        client.finish(0)
        server.finish(0)
        self.assert_same_file(up, s_out)
        self.assertEqual(key_updates(client), (0, 0), client.describe())
        self.assertEqual(key_updates(server), (0, 0), server.describe())
        self.assertIn(b"ended: both sides ended", client.stderr)  # -v said its story

    def test_a_receiver_refuses_a_peer_that_never_updates_its_key(self):
        # The server accepts 4 x 4 = 16 records per key; the client sends 2^20 per key.
        up = self.random_file("up.bin", 4 * MIB)
        server, client, s_out, _ = self.start(None, server_records=4, client_records=None,
                                              client_in=up)
        server.wait(RUN_TIMEOUT)
        client.wait(RUN_TIMEOUT)
        self.assertEqual(server.returncode, 1, server.describe())
        errors = self.error_lines(server)  # -v: the other lines are notices
        self.assertEqual(errors, ["cryptochat: error: protocol error: the peer sent more than 16 "
                                  "records under one key without a key update"],
                         server.describe())
        self.assertNotEqual(client.returncode, 0, client.describe())
        self.assert_no_crash(client)
        # What came before the refused record was delivered: at most 15 records' worth
        # (FINISHED was the first of the 16).
        got = read_bytes(s_out)
        self.assertLessEqual(len(got), 15 * MAX_RECORD_DATA)
        self.assertEqual(got, read_bytes(up)[:len(got)])

    def test_a_room_relays_under_key_updates(self):
        env = rekey_env(3)  # two records and a KEY_UPDATE per key, everywhere
        self.env.update(env)
        r, w = self.pipe()
        out = self.path("server.out")
        server = self.start_server(once=False, stdin=r, stdout=out)
        self.close_fd(r)
        address = f"127.0.0.1:{server.port}"
        # bob listens (his stdin stays open); alice pipes a file and leaves when it ends.
        bob_r, bob_w = self.pipe()
        bob = self.start_client(address, "--peer-fingerprint", server.fingerprint, key="other",
                                name="bob", stdin=bob_r, stdout=self.path("bob.out"))
        self.close_fd(bob_r)
        self.assertEqual(bob.wait_for(CONNECTED_RE).group(1).decode(), server.fingerprint)
        server.wait_for(re.compile(rb"bob \(SHA256:\S+\) joined from "))
        said = self.random_file("alice.bin", 3 * MIB)
        alice = self.start_client(address, "--peer-fingerprint", server.fingerprint,
                                  key="client", name="alice", stdin=said,
                                  stdout=self.path("alice.out"))
        alice.finish(0)
        size = os.path.getsize(said)
        self.wait_file(self.path("bob.out"), lambda d: len(d) >= size, timeout=RUN_TIMEOUT,
                       what=f"{size} bytes")
        self.wait_file(out, lambda d: len(d) >= size, timeout=START_TIMEOUT, what=f"{size} bytes")
        self.assert_same_file(said, self.path("bob.out"))
        self.assert_same_file(said, out)
        self.assertEqual(sha256_file(self.path("bob.out")), sha256_file(said))
        self.close_fd(bob_w)  # bob leaves too, confirmed: every key of his session was right
        bob.finish(0)
        self.assert_no_crash_markers(server)

    def test_a_value_out_of_range_is_a_usage_error(self):
        for value in ("1", "0", "1048577", "abc", "12x", "-5"):
            with self.subTest(value=value):
                proc = self.run_cc("keygen", "--bits", "2048", "--out", self.path("k" + value),
                                   env_extra=rekey_env(value), check=2)
                self.assertEqual(proc.stderr.decode(),
                                 "cryptochat: error: CRYPTOCHAT_REKEY_RECORDS must be a number of "
                                 "records from 2 to 1048576\n")
                self.assertFalse(os.path.exists(self.path("k" + value)))


if __name__ == "__main__":
    main()
