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

    def assert_usage_error(self, proc):
        """Exit 2, nothing on stdout, a short message on stderr (CLI11 may add a --help hint)."""
        self.assert_no_crash(proc)
        self.assertEqual(proc.returncode, 2, f"stderr: {proc.stderr!r}")
        self.assertEqual(proc.stdout, b"")
        lines = proc.stderr.decode(errors="replace").splitlines()
        self.assertGreaterEqual(len(lines), 1, "no message on stderr")
        self.assertLessEqual(len(lines), 2, f"stderr: {proc.stderr!r}")
        if len(lines) == 2:
            self.assertIn("--help", lines[1])
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
        for args in (("frobnicate",), ("keygenx",), ("KEYGEN",), ("help",)):
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
