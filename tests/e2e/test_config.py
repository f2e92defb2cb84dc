"""End-to-end tests of the configuration file: $XDG_CONFIG_HOME/cryptochat/config.toml, or
--config FILE, gives option defaults per subcommand ([keygen], [serve], [connect]); the command
line wins; a bad file is a one-line error with exit status 2.

Real server and client processes on loopback, keys made once per class (harness.py helpers).

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_config.py
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import FP, LISTENING_RE, SessionTestCase, closed_port, main, read_bytes  # noqa: E402

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

    def assert_file_error(self, text, line, *fragments, args=None):
        """The default file holding text is refused: one line "FILE:LINE: ..." with fragments."""
        proc = self.run_with(text, *(args or ["keygen", "--show", self.keys["client"] + ".pub"]))
        path = os.path.join(self.config, "cryptochat", "config.toml")
        self.assert_usage_error(proc, f"cryptochat: error: {path}:{line}: ", *fragments)

    def test_unknown_keys_and_sections_are_named(self):
        cases = [
            ("[serve]\ncolour = \"red\"\n", 2, "unknown setting 'colour' in [serve]"),
            ("colour = 1\n", 1, "unknown setting 'colour'", "only verbose and quiet"),
            ("name = \"alice\"\n", 1, "unknown setting 'name' at the top",
             "[serve] and [connect]"),
            ("\n[srve]\nport = 1\n", 2, "unknown section [srve]", "did you mean [serve]?"),
            ("config = \"other.toml\"\n", 1, "'config' cannot be set in a configuration file"),
            ("help = true\n", 1, "'help' cannot be set in a configuration file"),
            ("[connect]\naddress = \"127.0.0.1:1\"\n", 2,
             "'address' in [connect] cannot be set in a configuration file: it is an argument"),
            ("[serve]\nverbose = true\n", 2, "'verbose' in [serve] is a global flag"),
            ("[serve]\n\nprot = 5\n", 3, "unknown setting 'prot' in [serve] (did you mean 'port'?)"),
            ("[connect]\nconect-timeout = 5\n", 2, "did you mean 'connect-timeout'?"),
            ("[serve]\np = 5\n", 2, "unknown setting 'p' in [serve] (did you mean 'port'?)"),
            ("[serve]\nzzzzzz = 5\n", 2, "unknown setting 'zzzzzz' in [serve]"),
            ("[serve.tls]\nx = 1\n", 1, "unknown setting 'tls' in [serve]"),
            ("serve = 5\n", 1, "'serve' is a section, not a setting"),
        ]
        for text, line, *fragments in cases:
            with self.subTest(text):
                self.assert_file_error(text, line, *fragments)
        proc = self.run_with("[serve]\nzzzzzz = 5\n", "keygen", "--show", self.keys["client"])
        self.assertNotIn(b"did you mean", proc.stderr)

    def test_unicode_keys_sections_and_file_names(self):
        self.assert_file_error('"n\u00e4me" = 1\n', 1, "unknown setting 'n\u00e4me'")
        self.assert_file_error('["s\u00e9rve"]\nport = 1\n', 1, "unknown section [s\u00e9rve]")
        path = self.path("caf\u00e9 \u00fc.toml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("[keygen]\nbitz = 2048\n")
        proc = self.run_cc("--config", path, "keygen", "--show", self.keys["client"] + ".pub")
        self.assert_usage_error(proc, f"{path}:2: unknown setting 'bitz' in [keygen]",
                                "did you mean 'bits'?")

    def test_real_toml_strings_comments_dotted_keys_and_inline_tables(self):
        # '#' inside quotes is not a comment; basic strings take escapes, literal strings none;
        # a comment may follow a value.
        cases = [
            ('[serve]\nname = "a#b" # a comment\n', b"a#b"),
            ('[serve]\nname = "q\\"x\\" \\u00e9 \\\\ \\U0001F600"\n',
             'q"x" \u00e9 \\ \U0001F600'.encode()),
            ('[serve]\nname = "tab\\there"\n', None),  # escapes work: the name check refuses it
            ("[serve]\nname = 'C\\path\\#1'\n", b"C\\path\\#1"),
            ('[serve]\nname = """multi\\\n   line"""\n', b"multiline"),
            ('serve.name = "dotted"\n', b"dotted"),
            ('serve = { name = "inline", once = true }\n', b"inline"),
            ('# only a comment\n\n[serve] # the server\n  name   =   "spaced"  \n', b"spaced"),
        ]
        for text, name in cases:
            with self.subTest(text):
                self.write_config(self.server_config, text)
                if name is None:
                    proc = self.run_with(text, "serve", "--port", "0", "--once")
                    self.assert_usage_error(proc, "config.toml:2: bad value for 'name' in [serve]",
                                            "control characters")
                    continue
                server = self.start_server(name=None)
                m = server.wait_for(LISTENING_RE)
                self.assertEqual(m.group(3), name)
                server.kill()

    def test_toml_errors_name_the_line(self):
        cases = [
            ("[serve]\nport = 5\nport = 6\n", 3, "not valid TOML", "'port'"),
            ("[serve]\nport = 5\n[serve]\n", 3, "not valid TOML", "'serve'"),
            ("serve.port = 5\n[serve]\nonce = true\n", 2, "not valid TOML", "'serve'"),
            ("verbose = true\n\n[serve\n", 3, "not valid TOML"),
            ("[serve]\nonce = maybe\n", 2, "not valid TOML"),
            ("[serve]\nname = \"open\n", 2, "not valid TOML"),
            ("[serve]\nname = \"bad \\q escape\"\n", 2, "not valid TOML", "\\q"),
            ("quiet = true\nverbose = true\n", 2, "'verbose' cannot be set with 'quiet' (line 1)"),
        ]
        for text, line, *fragments in cases:
            with self.subTest(text):
                self.assert_file_error(text, line, *fragments)
        # A bare key is ASCII only, and the file must be UTF-8.
        self.assert_file_error("[keygen]\nbits = 2048\n\u00e9 = 1\n", 3, "not valid TOML")
        path = self.write_config(self.config, "")
        with open(path, "wb") as f:
            f.write(b'[keygen]\nout = "\xff"\n')
        proc = self.run_cc("keygen", "--show", self.keys["client"] + ".pub", timeout=60)
        self.assert_usage_error(proc, "config.toml:2: not valid TOML")

    def test_help_and_version_work_with_a_broken_file(self):
        self.write_config(self.config, "colour = 1\n")
        for args in (["--help"], ["serve", "--help"], ["--version"]):
            with self.subTest(args):
                proc = self.run_cc(*args, check=0)
                self.assertIn(b"cryptochat", proc.stdout)
        self.assert_usage_error(self.run_cc("keygen", "--show", self.keys["client"]), "colour")

    def test_a_bad_value_names_the_file_line_and_key(self):
        cases = [
            ("[serve]\nport = \"many\"\n", 2, "'port' in [serve] takes an integer, not a string"),
            ("[serve]\nport = \"6000\"\n", 2, "'port' in [serve] takes an integer, not a string"),
            ("[serve]\nport = 6000.0\n", 2, "'port' in [serve] takes an integer, not a float"),
            ("[serve]\nport = [6000]\n", 2, "'port' in [serve] takes an integer, not an array"),
            ("[serve]\nport = 70000\n", 2, "bad value for 'port' in [serve]: 70000: must be 0 to 65535"),
            ("[serve]\nport = -1\n", 2, "bad value for 'port' in [serve]: -1: not a whole number; use 0 to 65535"),
            ("[connect]\nconnect-timeout = 0\n", 2,
             "bad value for 'connect-timeout' in [connect]: 0: "),
            ("[serve]\n\nhandshake-timeout = -1.5\n", 3,
             "bad value for 'handshake-timeout' in [serve]: -1.5: "),
            ("[serve]\nidle-timeout = nan\n", 2, "'idle-timeout' in [serve]", "not a finite number"),
            ("[serve]\nidle-timeout = \"ten\"\n", 2, "bad value for 'idle-timeout' in [serve]"),
            ("[serve]\nidle-timeout = true\n", 2,
             "'idle-timeout' in [serve] takes a number of seconds or a string such as \"5m\", "
             "not a boolean"),
            ("[serve]\nonce = \"yes\"\n", 2, "'once' in [serve] takes a boolean (true or false), "
             "not a string"),
            ("verbose = 1\n", 1, "'verbose' takes a boolean (true or false), not an integer"),
            ("[serve]\nname = 5\n", 2, "'name' in [serve] takes a string, not an integer"),
            ("[serve]\nname = \"\"\n", 2, "bad value for 'name' in [serve]"),
            ("[serve]\nbind = 1979-05-27\n", 2, "'bind' in [serve] takes a string, not a date"),
            ("[serve]\nmax-clients = 0\n", 2, "bad value for 'max-clients' in [serve]: 0: "),
        ]
        for text, line, *fragments in cases:
            with self.subTest(text):
                self.assert_file_error(text, line, *fragments)
        # The same mistake on the command line is not blamed on the file.
        proc = self.run_with("[serve]\nport = 6000\n", "serve", "-p", "many")
        self.assertEqual(proc.returncode, 2, proc.stderr)
        self.assertIn(b"--port", proc.stderr)
        self.assertNotIn(b"config.toml", proc.stderr)

    def test_times_take_seconds_or_a_unit(self):
        # A TIME option takes a number of seconds or the command line's "90s", "5m", "2h", "1d".
        self.write_config(self.server_config,
                          "[serve]\nhandshake-timeout = \"2m\"\nidle-timeout = 0\n")
        server = self.start_server()
        self.assertNotEqual(server.port, 0)

    def test_the_command_line_wins_over_a_bad_value_but_not_a_bad_type(self):
        # A value the command line replaces is not used, so only its type is checked: the
        # range is the option's business when it is used.
        self.write_config(self.server_config, "[serve]\nport = 70000\nhandshake-timeout = 0\n")
        server = self.start_server("--handshake-timeout", "5")  # --port 0 on the command line
        self.assertNotEqual(server.port, 0)
        self.write_config(self.config, "[serve]\nport = \"many\"\n")
        proc = self.run_cc("serve", "--port", "0", "--once", "--key", self.keys["server"],
                           timeout=60)
        self.assert_usage_error(proc, "config.toml:2: 'port' in [serve] takes an integer")
        # --quiet on the command line wins over verbose = true in the file (they exclude
        # each other).
        proc = self.run_with("verbose = true\n", "-q", "keygen", "--show",
                             self.keys["client"] + ".pub")
        self.assertEqual(proc.returncode, 0, proc.stderr)

    def test_a_folder_as_the_default_file_is_an_error(self):
        os.makedirs(os.path.join(self.config, "cryptochat", "config.toml"))
        proc = self.run_cc("keygen", "--show", self.keys["client"] + ".pub", timeout=60)
        self.assert_usage_error(proc, "config.toml: it is a folder, not a file")
        proc = self.run_cc("--help", check=0)  # --help does not read it

    def test_a_missing_folder_or_device_as_config(self):
        cases = [(self.path("nope.toml"), "nope.toml: no such file"),
                 (self.tmp, "it is a folder, not a file"),
                 ("/dev/zero", "'/dev/zero': not a regular file")]
        for path, message in cases:
            with self.subTest(path):
                proc = self.run_cc("--config", path, "keygen", "--show",
                                   self.keys["client"] + ".pub", timeout=60)
                self.assert_usage_error(proc, message)

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
