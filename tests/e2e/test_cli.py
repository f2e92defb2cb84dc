"""End-to-end tests of the command line itself: --version, --help, usage errors, exit codes and
the -q/-v verbosity flags. Key generation here always uses 2048 bits (the fast size).

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_cli.py
"""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))

from harness import CryptochatTestCase, DATA_DIR, main  # noqa: E402,F401

SOURCE_ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
FINGERPRINT_LINE_RE = re.compile(rb"^Fingerprint: SHA256:[A-Za-z0-9+/]{43}$", re.MULTILINE)
GENERATING_LINE = b"cryptochat: generating a 2048-bit RSA key...\n"
CRASH_MARKERS = (b"terminate called", b"what():", b"Aborted", b"Segmentation fault",
                 b"core dumped", b"AddressSanitizer", b"runtime error:")


class CliTestCase(CryptochatTestCase):

    def assert_no_crash(self, proc):
        self.assertGreaterEqual(proc.returncode, 0, f"killed by signal {-proc.returncode}")
        for marker in CRASH_MARKERS:
            self.assertNotIn(marker, proc.stderr)

    def assert_usage_error(self, proc, message=None):
        """Exit 2, nothing on stdout, one line `cryptochat: error: ...` on stderr (exactly
        `cryptochat: error: MESSAGE` when message is given)."""
        self.assert_no_crash(proc)
        self.assertEqual(proc.returncode, 2, f"stderr: {proc.stderr!r}")
        self.assertEqual(proc.stdout, b"")
        lines = proc.stderr.decode(errors="replace").splitlines()
        self.assertEqual(len(lines), 1, f"stderr: {proc.stderr!r}")
        self.assertTrue(lines[0].startswith("cryptochat: error: "), lines[0])
        if message is not None:
            self.assertEqual(lines[0], "cryptochat: error: " + message)
        self.assertFalse(os.path.exists(self.config), "a usage error created the config folder")

    def assert_generated(self, proc):
        """Exit 0 and the three result lines on stdout; returns stderr."""
        self.assert_no_crash(proc)
        self.assertEqual(proc.returncode, 0, f"stderr: {proc.stderr!r}")
        lines = proc.stdout.splitlines()
        self.assertEqual(len(lines), 3, f"stdout: {proc.stdout!r}")
        self.assertTrue(lines[0].startswith(b"Private key: "))
        self.assertTrue(lines[1].startswith(b"Public key:  "))
        self.assertRegex(proc.stdout, FINGERPRINT_LINE_RE)
        return proc.stderr


class VersionTest(CliTestCase):

    def test_version(self):
        for flag in ("--version", "-V"):
            with self.subTest(flag):
                proc = self.run_cc(flag, check=0)
                self.assert_no_crash(proc)
                out = proc.stdout.decode()
                self.assertTrue(out.startswith("cryptochat "), out)
                self.assertRegex(out, r"^cryptochat \d+\.\d+\.\d+")
                self.assertEqual(out.count("\n"), 1, out)
                self.assertEqual(proc.stderr, b"")
                self.assertFalse(os.path.exists(self.config))

    def test_version_matches_meson_project(self):
        meson_build = os.path.join(SOURCE_ROOT, "meson.build")
        if not os.path.isfile(meson_build):
            self.skipTest("meson.build not found next to the tests")
        with open(meson_build, encoding="utf-8") as f:
            m = re.search(r"^\s*version\s*:\s*'([^']+)'", f.read(), re.MULTILINE)
        self.assertIsNotNone(m, "no version in meson.build")
        proc = self.run_cc("--version", check=0)
        self.assertTrue(proc.stdout.decode().startswith(f"cryptochat {m.group(1)}"), proc.stdout)

    def test_version_wins_over_missing_subcommand(self):
        # --version needs no subcommand.
        proc = self.run_cc("-v", "--version", check=0)
        self.assertTrue(proc.stdout.startswith(b"cryptochat "))


class HelpTest(CliTestCase):

    def test_top_level_help(self):
        for flag in ("--help", "-h"):
            with self.subTest(flag):
                proc = self.run_cc(flag, check=0)
                self.assert_no_crash(proc)
                out = proc.stdout.decode()
                for word in ("keygen", "--verbose", "--quiet", "--version", "--help"):
                    self.assertIn(word, out)
                self.assertEqual(proc.stderr, b"")
                self.assertFalse(os.path.exists(self.config))

    def test_keygen_help(self):
        for args in (("keygen", "--help"), ("keygen", "-h"), ("-q", "keygen", "--help"),
                     ("keygen", "--bits", "2048", "--help")):
            with self.subTest(args=args):
                proc = self.run_cc(*args, check=0)
                self.assert_no_crash(proc)
                out = proc.stdout.decode()
                for option in ("--out", "--bits", "--force", "--passphrase-file", "--show"):
                    self.assertIn(option, out)
                for size in ("2048", "3072", "4096"):
                    self.assertIn(size, out)
                self.assertEqual(proc.stderr, b"")
                # Asking for help must never generate a key.
                self.assertFalse(os.path.exists(self.config), "--help generated a key")


class UsageErrorTest(CliTestCase):

    def test_no_arguments(self):
        self.assert_usage_error(self.run_cc())

    def test_only_global_flags(self):
        for args in (("-v",), ("-q",), ("--verbose",)):
            with self.subTest(args=args):
                self.assert_usage_error(self.run_cc(*args))

    def test_unknown_option(self):
        for args in (("--frobnicate",), ("--frobnicate", "keygen"), ("keygen", "--frobnicate"),
                     ("keygen", "--bits", "2048", "-Z"), ("-x",)):
            with self.subTest(args=args):
                self.assert_usage_error(self.run_cc(*args))

    def test_unknown_subcommand(self):
        for args in (("frobnicate",), ("keygenx",), ("KEYGEN",), ("help", "frob")):
            with self.subTest(args=args):
                self.assert_usage_error(self.run_cc(*args))

    def test_missing_option_values(self):
        for args in (("keygen", "--out"), ("keygen", "--bits"), ("keygen", "--passphrase-file")):
            with self.subTest(args=args):
                self.assert_usage_error(self.run_cc(*args))

    def test_bad_bits(self):
        for bits in ("1024", "3000", "abc", "-1"):
            with self.subTest(bits=bits):
                self.assert_usage_error(self.run_cc("keygen", "--bits", bits))

    def test_bits_error_is_one_line(self):
        proc = self.run_cc("keygen", "--bits", "1024")
        self.assert_usage_error(proc)
        self.assertTrue(proc.stderr.startswith(b"cryptochat: error: --bits 1024"), proc.stderr)
        self.assertEqual(proc.stderr.count(b"\n"), 1, proc.stderr)

    def test_verbose_and_quiet_together(self):
        for args in (("-v", "-q", "keygen", "--bits", "2048"),
                     ("keygen", "--bits", "2048", "--quiet", "--verbose")):
            with self.subTest(args=args):
                self.assert_usage_error(self.run_cc(*args))

    def test_path_without_show(self):
        proc = self.run_cc("keygen", "--bits", "2048", self.path("k"))
        self.assert_usage_error(proc)
        self.assertTrue(proc.stderr.startswith(b"cryptochat: error: "), proc.stderr)
        self.assertIn(b"--show", proc.stderr)
        self.assertFalse(os.path.exists(self.path("k")))


class ClearUsageErrorTest(CliTestCase):
    """Issue 13: every parse error is one line of ours, with a hint where one helps."""

    def test_did_you_mean_subcommand(self):
        for args, message in (
                (("serv",), "unknown subcommand 'serv'; did you mean 'serve'?"),
                (("conect", "h:1"), "unknown subcommand 'conect'; did you mean 'connect'?"),
                (("KEYGEN",), "unknown subcommand 'KEYGEN'; did you mean 'keygen'?"),
                (("hlep",), "unknown subcommand 'hlep'; did you mean 'help'?"),
                (("frobnicate",),
                 "unknown subcommand 'frobnicate' (the subcommands are keygen, serve, connect and known-hosts)"),
                (("help", "serv"), "unknown subcommand 'serv'; did you mean 'serve'?")):
            with self.subTest(args=args):
                self.assert_usage_error(self.run_cc(*args), message)

    def test_did_you_mean_option(self):
        for args, message in (
                (("serve", "--prot", "5000"),
                 "unknown option '--prot' for cryptochat serve; did you mean '--port'?"),
                (("serve", "--onse"),
                 "unknown option '--onse' for cryptochat serve; did you mean '--once'?"),
                (("keygen", "--froce"),
                 "unknown option '--froce' for cryptochat keygen; did you mean '--force'?"),
                (("serve", "-b", "::1"),
                 "unknown option '-b' for cryptochat serve; did you mean '--bind'?"),
                (("keygen", "--frobnicate"),
                 "unknown option '--frobnicate' for cryptochat keygen "
                 "(see 'cryptochat help keygen')"),
                (("-x",), "unknown option '-x' (see 'cryptochat help')"),
                (("serve", "extra"),
                 "unexpected argument 'extra' for cryptochat serve (see 'cryptochat help serve')")):
            with self.subTest(args=args):
                self.assert_usage_error(self.run_cc(*args), message)

    def test_missing_and_mismatched(self):
        for args, message in (
                ((), "no subcommand given: use keygen, serve, connect or known-hosts (see 'cryptochat help')"),
                (("connect",), "cryptochat connect needs HOST:PORT (see 'cryptochat help connect')"),
                (("keygen", "--out"), "--out needs a value (PATH)"),
                (("serve", "--once=1", "--port"), "--port needs a value (N)"),
                (("serve", "--once=abc"), "--once takes no value"),
                (("-v", "-q", "keygen"), "--verbose and --quiet cannot be used together")):
            with self.subTest(args=args):
                self.assert_usage_error(self.run_cc(*args), message)

    def test_values_out_of_range_say_the_range(self):
        for args, message in (
                (("serve", "--port", "70000"), "--port 70000: must be 0 to 65535"),
                (("serve", "-p", "abc"), "--port abc: not a whole number; use 0 to 65535"),
                (("serve", "--max-clients", "0"), "--max-clients 0: must be 1 to 100000"),
                (("serve", "--max-handshakes", "-3"),
                 "--max-handshakes -3: not a whole number; use 1 to 100000"),
                (("keygen", "--bits", "abc"), "--bits abc: not a number; use 2048, 3072 or 4096"),
                (("serve", "--idle-timeout", "31d"),
                 "--idle-timeout 31d: must be 0 (no limit) to 30 days (2592000 s)"),
                (("serve", "--handshake-timeout", "0"),
                 "--handshake-timeout 0: must be 1 ms to 30 days (2592000 s)"),
                (("connect", "h:1", "--connect-timeout", "5x"),
                 "--connect-timeout 5x: not a time; use seconds or a number with s, m, h or d "
                 "(90s, 5m, 2h, 1d), 1 ms to 30 days (2592000 s)"),
                (("connect", "localhost", "70000"),
                 "'70000' is not a port (use a number from 1 to 65535)"),
                (("connect", "localhost:70000"),
                 "'localhost:70000' has a bad port (use a number from 1 to 65535)")):
            with self.subTest(args=args):
                self.assert_usage_error(self.run_cc(*args), message)

    def test_help_subcommand(self):
        top = self.run_cc("--help", check=0).stdout
        self.assertEqual(self.run_cc("help", check=0).stdout, top)
        for sub in ("keygen", "serve", "connect"):
            with self.subTest(sub=sub):
                proc = self.run_cc("help", sub, check=0)
                self.assertEqual(proc.stdout, self.run_cc(sub, "--help", check=0).stdout)
                self.assertEqual(proc.stderr, b"")
                self.assertIn(f"Usage: cryptochat {sub}".encode(), proc.stdout)

    def test_help_has_no_parser_clutter_and_a_footer(self):
        for args in ((), ("keygen",), ("serve",), ("connect",)):
            with self.subTest(args=args):
                out = self.run_cc(*args, "--help", check=0).stdout.decode()
                for clutter in ("Excludes:", "Needs:", " in [", "FLOAT", "INT", "[Option",
                                "REQUIRED", "=5000", "=10"):
                    self.assertNotIn(clutter, out)
                lines = out.rstrip("\n").splitlines()
                self.assertIn("man cryptochat", lines[-3])
                self.assertEqual(lines[-2], "Exit status: 0 ok (in a session: every byte "
                                 "delivered and confirmed), 1 failure,")
                self.assertEqual(lines[-1], "2 usage error, 3 peer key refused or changed, "
                                 "128+N interrupted by signal N.")
        serve = self.run_cc("serve", "--help", check=0).stdout.decode()
        self.assertIn("TIME is seconds (1.5) or a number with a unit (90s, 5m, 2h, 1d)", serve)
        self.assertIn("[default: 5000]", serve)
        self.assertNotIn("-b,", serve)
        self.assertIn("-b,--bits", self.run_cc("keygen", "--help", check=0).stdout.decode())


class RuntimeErrorTest(CliTestCase):

    def test_runtime_error_exit_1_one_line(self):
        missing = self.path("missing.pem")
        proc = self.run_cc("keygen", "--show", missing)
        self.assert_no_crash(proc)
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(proc.stdout, b"")
        self.assertTrue(proc.stderr.startswith(b"cryptochat: error: "), proc.stderr)
        self.assertEqual(proc.stderr.count(b"\n"), 1, proc.stderr)
        self.assertIn(missing.encode(), proc.stderr)


class VerbosityTest(CliTestCase):

    def test_normal_output(self):
        proc = self.run_cc("keygen", "--bits", "2048")
        self.assertEqual(self.assert_generated(proc), GENERATING_LINE)

    def test_quiet_suppresses_progress(self):
        for args in (("-q", "keygen"), ("--quiet", "keygen"), ("keygen", "-q"), ("keygen", "--quiet")):
            with self.subTest(args=args):
                out = self.path("-".join(a.strip("-") for a in args))
                proc = self.run_cc(*args, "--bits", "2048", "--out", out)
                self.assertEqual(self.assert_generated(proc), b"")
                self.assertTrue(os.path.isfile(out) and os.path.isfile(out + ".pub"))

    def test_quiet_still_reports_errors(self):
        missing = self.path("missing.pem")
        for args in (("-q", "keygen", "--show", missing), ("keygen", "-q", "--bits", "1024")):
            with self.subTest(args=args):
                proc = self.run_cc(*args)
                self.assert_no_crash(proc)
                self.assertIn(proc.returncode, (1, 2))
                self.assertTrue(proc.stderr.startswith(b"cryptochat: error: "), proc.stderr)
                self.assertEqual(proc.stderr.count(b"\n"), 1)

    def test_quiet_show_prints_result(self):
        out = self.path("k")
        self.run_cc("-q", "keygen", "--bits", "2048", "--out", out, check=0)
        proc = self.run_cc("-q", "keygen", "--show", out + ".pub", check=0)
        self.assertRegex(proc.stdout, rb"^2048 SHA256:[A-Za-z0-9+/]{43} .+ \(RSA\)\n$")
        self.assertEqual(proc.stderr, b"")

    def test_verbose_before_and_after_subcommand(self):
        for args in (("-v", "keygen"), ("--verbose", "keygen"), ("keygen", "-v"),
                     ("keygen", "--verbose")):
            with self.subTest(args=args):
                out = self.path("-".join(a.strip("-") for a in args))
                proc = self.run_cc(*args, "--bits", "2048", "--out", out)
                stderr = self.assert_generated(proc)
                self.assertIn(GENERATING_LINE, stderr)
                for line in stderr.splitlines():
                    self.assertTrue(line.startswith(b"cryptochat: "), stderr)

    def test_verbose_after_options(self):
        out = self.path("k")
        proc = self.run_cc("keygen", "--bits", "2048", "--out", out, "-v")
        self.assertIn(GENERATING_LINE, self.assert_generated(proc))

    def test_stdout_holds_only_results(self):
        # Progress goes to stderr, results to stdout: a pipeline gets only the results.
        out = self.path("k")
        proc = self.run_cc("-v", "keygen", "--bits", "2048", "--out", out, check=0)
        self.assertNotIn(b"generating", proc.stdout)
        proc = self.run_cc("-v", "keygen", "--show", out, check=0)
        self.assertEqual(proc.stdout.count(b"\n"), 1)
        self.assertIn(out.encode(), proc.stdout)


class NetworkErrorTest(CliTestCase):
    """Failures before any peer is reached: one line, exit status 1, nothing overwritten."""

    def make_key(self):
        key = self.path("id")
        self.run_cc("keygen", "--bits", "2048", "--out", key, check=0)
        return key

    def test_port_in_use(self):
        import socket
        key = self.make_key()
        holder = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        holder.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        holder.bind(("::", 0))
        holder.listen(1)
        self.addCleanup(holder.close)
        port = holder.getsockname()[1]
        proc = self.run_cc("serve", "--port", str(port), "--key", key, "--once", check=1,
                           timeout=30)
        lines = proc.stderr.strip().splitlines()
        self.assertIn(b"Address already in use", lines[-1])
        self.assertTrue(lines[-1].startswith(b"cryptochat: error: "), proc.stderr)

    def test_unresolvable_host(self):
        key = self.make_key()
        proc = self.run_cc("connect", "no-such-host.invalid:5000", "--key", key, check=1,
                           timeout=30)
        self.assertIn(b"cannot resolve 'no-such-host.invalid'", proc.stderr)
        self.assertEqual(proc.stderr.count(b"error:"), 1, proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.config, "cryptochat", "known_hosts")))

    def test_bad_address_is_a_usage_error(self):
        key = self.make_key()
        for address in ("nohost", "host:0", "host:99999", "::1:5000", "[::1]"):
            with self.subTest(address=address):
                self.run_cc("connect", address, "--key", key, check=2)


if __name__ == "__main__":
    main()
