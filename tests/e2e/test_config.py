"""End-to-end tests of the configuration file: $XDG_CONFIG_HOME/cryptochat/config.toml, or
--config FILE, gives option defaults per subcommand ([keygen], [serve], [connect]); the command
line wins; a bad file is a one-line error with exit status 2.

Real server and client processes on loopback, keys made once per class (test_chat.py helpers).

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_config.py
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import main  # noqa: E402
from test_chat import (  # noqa: E402
    FP, LISTENING_RE, SessionTestCase, closed_port, read_bytes)

MAX_CONFIG_BYTES = 64 * 1024


class ConfigTest(SessionTestCase):

    def write_config(self, config_home, text):
        folder = os.path.join(config_home, "cryptochat")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "config.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def run_with(self, text, *args):
        """Runs cryptochat args with text as the default configuration file."""
        self.write_config(self.config, text)
        return self.run_cc(*args, timeout=60)

    def assert_usage_error(self, proc, *fragments):
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 2, err)
        self.assertTrue(err.startswith("cryptochat: error: "), err)
        self.assertEqual(err.count("\n"), 1, f"more than one line: {err!r}")
        for fragment in fragments:
            self.assertIn(fragment, err)

    def test_serve_and_connect_take_name_port_and_key_from_their_files(self):
        port = closed_port()
        self.write_config(self.server_config,
                          f'# the server\n[serve]\nport = {port}\nname = "from-config"\n'
                          f'key = "{self.keys["server"]}"\nonce = true\n')
        self.write_config(self.client_config,
                          f'[connect]\nname = "client-from-config"\nkey = "{self.keys["client"]}"\n'
                          f'peer-fingerprint = "{self.fingerprints["server"]}"\n')
        data = self.random_file("in.bin", 100000)
        s_out = self.path("server.out")
        server = self.spawn(["serve", "--bind", "127.0.0.1"], self.server_config, stdout=s_out)
        m = server.wait_for(LISTENING_RE)
        self.assertEqual(int(m.group(2)), port)
        self.assertEqual(m.group(3), b"from-config")
        self.assertEqual(m.group(4).decode(), self.fingerprints["server"])
        client = self.spawn(["connect", f"127.0.0.1:{port}"], self.client_config, stdin=data)
        client.finish(0)
        server.finish(0)  # once = true: it ends with the session
        joined = server.wait_for(re.compile(rb"cryptochat: (.*) \((" + FP + rb")\) joined"))
        self.assertEqual(joined.group(1), b"client-from-config")
        self.assertEqual(joined.group(2).decode(), self.fingerprints["client"])
        self.assertEqual(read_bytes(s_out), read_bytes(data))

    def test_the_command_line_wins(self):
        self.write_config(self.server_config,
                          f'[serve]\nport = {closed_port()}\nname = "from-config"\n'
                          f'key = "{self.keys["other"]}"\n')
        server = self.start_server(port=0, name="from-command-line")  # --port 0 --key server
        self.assertNotEqual(server.port, 0)
        m = server.wait_for(LISTENING_RE)
        self.assertEqual(m.group(3), b"from-command-line")
        self.assertEqual(server.fingerprint, self.fingerprints["server"])

    def test_explicit_config_file_for_keygen(self):
        out = self.path("made.key")
        path = self.path("elsewhere.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'quiet = true\n\n[keygen]\nbits = 2048\nout = "{out}"\n')
        proc = self.run_cc("keygen", "--config", path, check=0)
        self.assertIn(b"Fingerprint: SHA256:", proc.stdout)
        self.assertEqual(proc.stderr, b"")  # quiet = true
        show = self.run_cc("keygen", "--show", out, check=0)
        self.assertTrue(show.stdout.startswith(b"2048 SHA256:"), show.stdout)

    def test_a_missing_default_file_is_fine_a_missing_explicit_one_is_not(self):
        self.run_cc("keygen", "--show", self.keys["client"] + ".pub", check=0)
        proc = self.run_cc("--config", self.path("nope.toml"), "keygen", "--show",
                           self.keys["client"] + ".pub")
        self.assert_usage_error(proc, "nope.toml")

    def test_unknown_keys_and_sections_are_named(self):
        cases = [
            ("[serve]\ncolour = \"red\"\n", "unknown setting 'colour' in [serve]"),
            ("colour = 1\n", "unknown setting 'colour'"),
            ("name = \"alice\"\n", "unknown setting 'name'"),
            ("[srve]\nport = 1\n", "unknown section [srve]"),
            ("config = \"other.toml\"\n", "'config' cannot be set in a configuration file"),
        ]
        for text, message in cases:
            with self.subTest(text):
                proc = self.run_with(text, "keygen", "--show", self.keys["client"] + ".pub")
                self.assert_usage_error(proc, "config.toml", message)

    def test_help_and_version_work_with_a_broken_file(self):
        self.write_config(self.config, "colour = 1\n")
        for args in (["--help"], ["serve", "--help"], ["--version"]):
            with self.subTest(args):
                proc = self.run_cc(*args, check=0)
                self.assertIn(b"cryptochat", proc.stdout)
        self.assert_usage_error(self.run_cc("keygen", "--show", self.keys["client"]), "colour")

    def test_a_bad_value_names_the_file_and_key(self):
        cases = [("[serve]\nport = \"many\"\n", "bad value for 'port' in [serve]"),
                 ("[connect]\nconnect-timeout = 0\n",
                  "bad value for 'connect-timeout' in [connect]"),
                 ("[serve]\nonce = maybe\n", "bad value for 'once' in [serve]")]
        for text, message in cases:
            with self.subTest(text):
                proc = self.run_with(text, "keygen", "--show", self.keys["client"] + ".pub")
                self.assert_usage_error(proc, "config.toml", message)
        # The same mistake on the command line is not blamed on the file.
        proc = self.run_with("[serve]\nport = 6000\n", "serve", "-p", "many")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(b"--port", proc.stderr)
        self.assertNotIn(b"config.toml", proc.stderr)

    def test_a_huge_or_binary_file_is_refused_before_parsing(self):
        for text, message in (("#" * (MAX_CONFIG_BYTES + 1), "larger than 64 KiB"),
                              ("verbose = true\n\0\n", "NUL")):
            with self.subTest(message):
                proc = self.run_with(text, "keygen", "--show", self.keys["client"] + ".pub")
                self.assert_usage_error(proc, message)
        # Exactly at the limit is still read.
        proc = self.run_with("#" * MAX_CONFIG_BYTES, "keygen", "--show",
                             self.keys["client"] + ".pub")
        self.assertEqual(proc.returncode, 0, proc.stderr)


if __name__ == "__main__":
    main()
