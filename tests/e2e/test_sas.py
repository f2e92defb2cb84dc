"""End-to-end tests of the short authentication string (PROTOCOL.md section 7, "Short
authentication string"): the four words two people read to each other by voice.

- A script's first contact: the client's notice and the server's -v line show the same words.
- Two terminals (tmux): the first-contact question shows the words, both sides' /verify show
  them again, and all four are the same words.
- A man in the middle made of two real cryptochat processes with their own key, spliced through
  pipes (a `serve --once` the victim reaches, its output fed to a `connect` to the real server
  and back): the victim, at a terminal, sees a first contact as usual and its lines reach the
  real server, but the words on its screen are not the words the real server shows, while each
  leg's two ends agree with each other.

Exits 77 (skipped, for meson) when tmux is not installed.

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_sas.py
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import JOINED_RE, SessionTestCase, main, read_bytes, write_bytes  # noqa: E402
from test_terminal import TMUX, Pane  # noqa: E402

WORDS = r"[a-z]+ [a-z]+ [a-z]+ [a-z]+"
SAS_RE = re.compile(rb"^cryptochat: (?:first contact with .*; )?SAS words with (\S+): (" +
                    WORDS.encode() + rb") \(compare them by voice", re.MULTILINE)
QUESTION = r"Are you sure you want to continue connecting \(yes/no/\[fingerprint\]\)\?"


class SasTest(SessionTestCase):

    def sas_of(self, proc, peer):
        """The words proc's stderr shows for its session with `peer`."""
        m = proc.wait_for(SAS_RE)
        self.assertEqual(m.group(1).decode(), peer, proc.describe())
        return m.group(2).decode()

    def test_a_scripts_first_contact_shows_the_servers_words(self):
        server = self.start_server("-v", stdin=write_bytes(self.path("s.in"), b"from srv\n"),
                                   stdout=self.path("s.out"))
        client = self.start_client(f"127.0.0.1:{server.port}",
                                   stdin=write_bytes(self.path("c.in"), b"from cli\n"),
                                   stdout=self.path("c.out"))
        client_words = self.sas_of(client, "srv")
        server_words = self.sas_of(server, "cli")
        client.finish(0)
        server.finish(0)
        self.assertEqual(client_words, server_words)
        # One line on the client: the first-contact notice carries the words.
        notice = [ln for ln in client.stderr.splitlines() if b"SAS words" in ln]
        self.assertEqual(len(notice), 1, client.describe())
        self.assertIn(b"first contact with 127.0.0.1:", notice[0])
        # A known server's words are not repeated without -v.
        again = self.start_client(f"127.0.0.1:{self.start_server(port=server.port).port}")
        again.finish(0)
        self.assertNotIn(b"SAS words", again.stderr, again.describe())

    def terminal_server(self, key="server", name="srv"):
        pane = Pane(self, ["serve", "--once", "--port", "0", "--key", self.keys[key],
                           "--name", name], env_extra={"XDG_CONFIG_HOME": self.server_config})
        port = int(pane.wait_for(r"^cryptochat: listening on \S+:(\d+) ").group(1))
        return pane, port

    def terminal_client(self, port):
        pane = Pane(self, ["connect", f"127.0.0.1:{port}", "--key", self.keys["client"],
                           "--name", "bob"], env_extra={"XDG_CONFIG_HOME": self.client_config})
        pane.wait_for(QUESTION)
        asked = pane.wait_for(r"^SAS words with srv: (" + WORDS + r") ").group(1)
        pane.line("yes")
        pane.wait_for(r"^cryptochat: connected to srv")
        return pane, asked

    @staticmethod
    def verified(pane, peer):
        pane.line("/verify")
        return pane.wait_for(r"^SAS words with " + re.escape(peer) + r": (" + WORDS + r")$"
                             ).group(1)

    def test_two_terminals_show_the_same_words(self):
        server, port = self.terminal_server()
        client, asked = self.terminal_client(port)
        at_join = server.wait_for(r"^cryptochat: SAS words with bob: (" + WORDS + r") ").group(1)
        from_client = self.verified(client, "srv")
        from_server = self.verified(server, "bob")
        self.assertEqual({asked, at_join, from_client, from_server}, {asked},
                         f"client:\n{client.screen()}\nserver:\n{server.screen()}")
        # /verify shows both fingerprints too, and is never sent to the peer.
        client.wait_for(r"^your fingerprint: SHA256:\S{43}$")
        client.wait_for(r"^srv's fingerprint: SHA256:\S{43}$")
        self.assertNotRegex(server.screen(), r"bob: /verify")
        client.line("/quit")
        self.assertEqual(client.exit_status(), 0, client.screen())
        self.assertEqual(server.exit_status(), 0, server.screen())

    def test_a_man_in_the_middle_shows_other_words(self):
        s_out = self.path("s.out")
        s_in_r, s_in_w = self.pipe()
        server = self.start_server("-v", stdin=s_in_r, stdout=s_out)
        # The man in the middle: its own key ("other") and the server's name, a `serve --once`
        # whose output goes to a `connect` to the real server, and that one's output back.
        to_client_r, to_client_w = os.pipe()
        to_server_r, to_server_w = os.pipe()
        mitm_front = self.start_server("-v", key="other", name="srv", stdin=to_server_r,
                                       stdout=to_client_w, config=self.path("mitm-front"))
        mitm_back = self.start_client(f"127.0.0.1:{server.port}", "-v", key="other", name="bob",
                                      stdin=to_client_r, stdout=to_server_w,
                                      config=self.path("mitm-back"))
        for fd in (to_client_r, to_client_w, to_server_r, to_server_w):
            os.close(fd)
        server_words = self.sas_of(server, "bob")
        self.assertEqual(self.sas_of(mitm_back, "srv"), server_words)

        client, asked = self.terminal_client(mitm_front.port)
        self.assertEqual(self.sas_of(mitm_front, "bob"), asked)
        self.assertEqual(self.verified(client, "srv"), asked)
        # Nothing else gives it away: the victim's line reaches the real server.
        client.line("the password is swordfish")
        self.wait_file(s_out, lambda d: d == b"the password is swordfish\n", what="the line")
        self.assertNotEqual(asked, server_words,
                            f"client:\n{client.screen()}\nserver:\n{server.describe()}")
        # The key the victim recorded is the man in the middle's, not the server's.
        self.assertIn(self.fingerprints["other"], read_bytes(self.known_hosts).decode())
        self.assertNotIn(server.fingerprint, read_bytes(self.known_hosts).decode())
        client.line("/quit")
        self.assertEqual(client.exit_status(), 0, client.screen())
        for proc in (mitm_front, mitm_back, server):
            proc.wait()
        self.assertEqual(mitm_front.returncode, 0, mitm_front.describe())
        os.close(s_in_w)


if __name__ == "__main__":
    if TMUX is None:
        print("tmux is not installed: skipped")
        sys.exit(77)
    main()
