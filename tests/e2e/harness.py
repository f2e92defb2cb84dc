"""Shared helpers for the end-to-end tests: they run the real cryptochat binary.

Every test gets its own temporary XDG_CONFIG_HOME and HOME, so nothing touches the user's files.
The binary's path comes from the CRYPTOCHAT environment variable that meson sets.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

BINARY = os.environ.get("CRYPTOCHAT", "")
OPENSSL = shutil.which("openssl")
DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")


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


def main():
    """Runs the tests of the calling module and prints the plain summary line CI reads."""
    result = unittest.main(module="__main__", exit=False, verbosity=2).result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"{passed} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)
