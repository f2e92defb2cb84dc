"""End-to-end tests of `cryptochat keygen`: they run the real binary and check its key files
with OpenSSL, an independent implementation.

Run: CRYPTOCHAT=build/src/cryptochat python3 tests/e2e/test_keygen.py
"""
import base64
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))

from harness import CryptochatTestCase, DATA_DIR, OPENSSL, main  # noqa: E402

FINGERPRINT_RE = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
# What must never show up on stderr: the process died or leaked an exception.
CRASH_MARKERS = ("terminate called", "what():", "Aborted", "Segmentation fault", "core dumped",
                 "Traceback", "AddressSanitizer", "runtime error:")

PASSPHRASE = "Cr0ss-check pass phrase 42!"  # a space and punctuation on purpose
OTHER_PASSPHRASE = "not-the-passphrase"
DATA_PASSPHRASE = "correct-horse"  # the one tests/data/rsa2048_encrypted.pem was made with


def mode_of(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data, mode=0o600):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def pem_to_der(pem):
    lines = pem.decode().strip().splitlines()
    return base64.b64decode("".join(l for l in lines if not l.startswith("-----")))


def der_to_pem(der, label):
    b64 = base64.b64encode(der).decode()
    body = "\n".join(b64[i:i + 64] for i in range(0, len(b64), 64))
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n".encode()


class KeygenTestCase(CryptochatTestCase):
    """Helpers shared by the keygen tests."""

    def setUp(self):
        super().setUp()
        self.identity = os.path.join(self.config, "cryptochat", "identity")

    # -- running ---------------------------------------------------------------------------

    def keygen(self, *args, **kwargs):
        return self.run_cc("keygen", *args, **kwargs)

    def generate(self, *args, bits="2048", **kwargs):
        """Generates a key (2048 bits unless told) and returns the parsed stdout."""
        extra = ["--bits", bits] if bits else []
        proc = self.keygen(*extra, *args, check=0, **kwargs)
        self.assert_no_crash(proc)
        return self.parse_generated(proc)

    def parse_generated(self, proc):
        lines = proc.stdout.decode().splitlines()
        self.assertEqual(len(lines), 3, f"stdout: {proc.stdout!r}")
        m_priv = re.fullmatch(r"Private key: (.+?)( \(encrypted\))?", lines[0])
        m_pub = re.fullmatch(r"Public key:  (.+)", lines[1])
        m_fp = re.fullmatch(r"Fingerprint: (SHA256:[A-Za-z0-9+/]{43})", lines[2])
        self.assertTrue(m_priv and m_pub and m_fp, f"unexpected stdout: {proc.stdout!r}")
        return {
            "private": m_priv.group(1),
            "encrypted": m_priv.group(2) is not None,
            "public": m_pub.group(1),
            "fingerprint": m_fp.group(1),
            "stderr": proc.stderr.decode(),
        }

    def show(self, path=None, *args, check=0, **kwargs):
        """Runs `keygen --show [path]`; on success returns (bits, fingerprint)."""
        extra = [path] if path is not None else []
        proc = self.keygen("--show", *extra, *args, check=check, **kwargs)
        self.assert_no_crash(proc)
        if check != 0:
            return proc
        shown = path if path is not None else self.identity
        m = re.fullmatch(r"(\d+) (SHA256:[A-Za-z0-9+/]{43}) (.+) \(RSA\)\n", proc.stdout.decode())
        self.assertIsNotNone(m, f"unexpected --show output: {proc.stdout!r}")
        self.assertEqual(m.group(3), shown)
        self.assertEqual(proc.stderr, b"")
        return int(m.group(1)), m.group(2)

    # -- assertions ------------------------------------------------------------------------

    def assert_no_crash(self, proc):
        self.assertGreaterEqual(proc.returncode, 0, f"killed by signal {-proc.returncode}")
        err = proc.stderr.decode(errors="replace")
        for marker in CRASH_MARKERS:
            self.assertNotIn(marker, err)

    def assert_error(self, proc, code=1, *fragments):
        """A runtime error: the exit code, nothing on stdout, one line on stderr."""
        self.assert_no_crash(proc)
        err = proc.stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, code, f"stderr: {err!r}")
        self.assertEqual(proc.stdout, b"")
        self.assertTrue(err.startswith("cryptochat: error: "), f"stderr: {err!r}")
        self.assertTrue(err.endswith("\n"), f"stderr: {err!r}")
        self.assertEqual(err.count("\n"), 1, f"more than one line on stderr: {err!r}")
        for fragment in fragments:
            self.assertIn(fragment, err)
        return err

    def assert_modes(self, key, pub):
        self.assertEqual(mode_of(key), 0o600, f"{key}: {mode_of(key):04o}")
        self.assertEqual(mode_of(pub), 0o644, f"{pub}: {mode_of(pub):04o}")

    def assert_no_leftovers(self, folder, expected):
        self.assertEqual(sorted(os.listdir(folder)), sorted(expected))

    # -- OpenSSL's view --------------------------------------------------------------------

    def openssl_spki_der(self, path, passphrase=None, public=False):
        args = ["pkey", "-in", path, "-pubout", "-outform", "DER"]
        if public:
            args.insert(1, "-pubin")
        if passphrase is not None:
            args += ["-passin", "pass:" + passphrase]
        return self.openssl(*args).stdout

    def openssl_fingerprint(self, path, passphrase=None, public=False):
        der = self.openssl_spki_der(path, passphrase, public)
        digest = hashlib.sha256(der).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    def openssl_bits(self, path, passphrase=None):
        args = ["pkey", "-in", path, "-text", "-noout"]
        if passphrase is not None:
            args += ["-passin", "pass:" + passphrase]
        text = self.openssl(*args).stdout.decode()
        m = re.search(r"Private-Key: \((\d+) bit", text)
        self.assertIsNotNone(m, text[:200])
        return int(m.group(1))

    def openssl_check_private(self, path, passphrase=None):
        args = ["rsa", "-in", path, "-check", "-noout"]
        if passphrase is not None:
            args += ["-passin", "pass:" + passphrase]
        out = self.openssl(*args).stdout.decode()
        self.assertIn("RSA key ok", out)

    def private_copy(self, name, mode=0o600):
        """Copies a tests/data key into the temporary folder (git does not keep 0600)."""
        dst = self.path(name)
        shutil.copyfile(os.path.join(DATA_DIR, name), dst)
        os.chmod(dst, mode)
        return dst

    def write_passphrase_file(self, text, name="passphrase"):
        p = self.path(name)
        with open(p, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.chmod(p, 0o600)
        return p


@unittest.skipIf(OPENSSL is None, "openssl is needed")
class DefaultGenerationTest(KeygenTestCase):

    def test_default_path_modes_and_openssl_agrees(self):
        out = self.generate()
        pub = self.identity + ".pub"
        self.assertEqual(out["private"], self.identity)
        self.assertEqual(out["public"], pub)
        self.assertFalse(out["encrypted"])
        self.assertEqual(out["stderr"], "cryptochat: generating a 2048-bit RSA key...\n")

        # Folders made by cryptochat are private; the key 0600 and the public key 0644.
        self.assertEqual(mode_of(self.config), 0o700)
        self.assertEqual(mode_of(os.path.dirname(self.identity)), 0o700)
        self.assert_modes(self.identity, pub)
        self.assert_no_leftovers(os.path.dirname(self.identity), ["identity", "identity.pub"])

        # Unencrypted PKCS#8 and SPKI, both read by OpenSSL, and a consistent RSA key.
        self.assertTrue(read_bytes(self.identity).startswith(b"-----BEGIN PRIVATE KEY-----\n"))
        self.assertTrue(read_bytes(pub).startswith(b"-----BEGIN PUBLIC KEY-----\n"))
        self.openssl_check_private(self.identity)
        self.assertEqual(self.openssl_bits(self.identity), 2048)
        self.assertEqual(self.openssl_spki_der(self.identity),
                         self.openssl_spki_der(pub, public=True),
                         "the .pub file is not the public half of the private key")

        # The printed fingerprint is OpenSSL's SHA-256 of the SPKI DER, unpadded base64.
        expected = self.openssl_fingerprint(self.identity)
        self.assertEqual(out["fingerprint"], expected)
        self.assertEqual(self.openssl_fingerprint(pub, public=True), expected)

        # --show with no path reads the default identity.
        self.assertEqual(self.show(), (2048, expected))
        self.assertEqual(self.show(pub), (2048, expected))

    def test_modes_do_not_depend_on_umask(self):
        for umask in (0o000, 0o077):
            with self.subTest(umask=f"{umask:03o}"):
                folder = self.path(f"umask{umask:03o}")
                old = os.umask(umask)
                try:
                    out = self.generate("--out", os.path.join(folder, "id"))
                finally:
                    os.umask(old)
                self.assertEqual(mode_of(folder), 0o700)
                self.assert_modes(out["private"], out["public"])

    def test_without_xdg_config_home_uses_home_config(self):
        del self.env["XDG_CONFIG_HOME"]
        out = self.generate()
        expected = os.path.join(self.tmp, ".config", "cryptochat", "identity")
        self.assertEqual(out["private"], expected)
        self.assertTrue(os.path.isfile(expected) and os.path.isfile(expected + ".pub"))

    def test_relative_xdg_config_home_is_ignored(self):
        # The XDG spec says a relative value is invalid: $HOME/.config is used instead.
        self.env["XDG_CONFIG_HOME"] = "relative/config"
        out = self.generate()
        self.assertEqual(out["private"], os.path.join(self.tmp, ".config", "cryptochat", "identity"))

    def test_two_keys_differ(self):
        a = self.generate("--out", self.path("a"))
        b = self.generate("--out", self.path("b"))
        self.assertNotEqual(a["fingerprint"], b["fingerprint"])
        self.assertNotEqual(read_bytes(self.path("a")), read_bytes(self.path("b")))


@unittest.skipIf(OPENSSL is None, "openssl is needed")
class OutPathTest(KeygenTestCase):

    def test_out_into_missing_folders(self):
        target = self.path("new", "deeper", "mykey")
        out = self.generate("--out", target)
        self.assertEqual(out["private"], target)
        self.assertEqual(out["public"], target + ".pub")
        for folder in (self.path("new"), self.path("new", "deeper")):
            self.assertEqual(mode_of(folder), 0o700, folder)
        self.assert_modes(target, target + ".pub")
        self.assert_no_leftovers(self.path("new", "deeper"), ["mykey", "mykey.pub"])
        self.assertEqual(out["fingerprint"], self.openssl_fingerprint(target))
        self.assertEqual(out["fingerprint"], self.openssl_fingerprint(target + ".pub", public=True))
        # The default identity is not touched when --out is given.
        self.assertFalse(os.path.exists(self.config))

    def test_short_option_and_existing_folder_kept(self):
        folder = self.path("existing")
        os.mkdir(folder, 0o755)
        os.chmod(folder, 0o755)
        out = self.generate("-o", os.path.join(folder, "k"))
        self.assertEqual(out["private"], os.path.join(folder, "k"))
        # An existing folder is used as it is.
        self.assertEqual(mode_of(folder), 0o755)
        self.assert_modes(os.path.join(folder, "k"), os.path.join(folder, "k.pub"))

    def test_out_is_a_folder(self):
        folder = self.path("afolder")
        os.mkdir(folder)
        proc = self.keygen("--bits", "2048", "--out", folder)
        self.assert_error(proc, 1, folder)
        self.assertEqual(os.listdir(folder), [])
        self.assertFalse(os.path.exists(folder + ".pub"))


@unittest.skipIf(OPENSSL is None, "openssl is needed")
class KeySizeTest(KeygenTestCase):

    def test_bits_4096(self):
        target = self.path("big")
        out = self.generate("--out", target, bits="4096")
        self.assertIn("4096-bit", out["stderr"])
        self.assertEqual(self.openssl_bits(target), 4096)
        self.assertEqual(self.show(target), (4096, out["fingerprint"]))
        self.assertEqual(out["fingerprint"], self.openssl_fingerprint(target))

    def test_default_size_is_3072(self):
        out = self.generate(bits=None)
        self.assertIn("3072-bit", out["stderr"])
        self.assertEqual(self.openssl_bits(self.identity), 3072)
        self.assertEqual(self.show(), (3072, out["fingerprint"]))

    def test_bits_2048_short_option(self):
        target = self.path("k")
        self.generate("-b", "2048", "--out", target, bits=None)
        self.assertEqual(self.openssl_bits(target), 2048)

    def test_refused_sizes_write_nothing(self):
        for bits in ("1024", "512", "0", "3000", "2047", "4097", "8192", "-1"):
            with self.subTest(bits=bits):
                proc = self.keygen("--bits", bits)
                err = self.assert_error(proc, 2, "--bits")
                if bits in ("1024", "512", "0", "3000", "2047", "4097", "8192"):
                    self.assertIn(bits, err)
                self.assertIn("2048, 3072 or 4096", err)
                self.assertFalse(os.path.exists(self.config), "a folder was created")
                proc = self.keygen("--bits", bits, "--out", self.path("k"))
                self.assert_error(proc, 2)
                self.assertFalse(os.path.exists(self.path("k")))
                self.assertFalse(os.path.exists(self.path("k.pub")))

    def test_non_numeric_bits_is_a_usage_error(self):
        for bits in ("abc", "2048.0", "", "2k"):
            with self.subTest(bits=bits):
                proc = self.keygen("--bits", bits)
                self.assert_no_crash(proc)
                self.assertEqual(proc.returncode, 2, proc.stderr)
                self.assertEqual(proc.stdout, b"")
                self.assertFalse(os.path.exists(self.config))


@unittest.skipIf(OPENSSL is None, "openssl is needed")
class OverwriteTest(KeygenTestCase):

    def make_default_dir(self):
        os.makedirs(os.path.dirname(self.identity), mode=0o700)

    def test_existing_private_key_is_kept(self):
        self.make_default_dir()
        write_bytes(self.identity, b"keep me\n")
        before = os.stat(self.identity)
        proc = self.keygen("--bits", "2048")
        self.assert_error(proc, 1, self.identity, "--force")
        self.assertEqual(read_bytes(self.identity), b"keep me\n")
        self.assertEqual(os.stat(self.identity).st_mtime_ns, before.st_mtime_ns)
        self.assertFalse(os.path.exists(self.identity + ".pub"))
        self.assert_no_leftovers(os.path.dirname(self.identity), ["identity"])

    def test_existing_public_key_is_kept(self):
        self.make_default_dir()
        write_bytes(self.identity + ".pub", b"old public key\n", 0o644)
        proc = self.keygen("--bits", "2048")
        self.assert_error(proc, 1, self.identity + ".pub", "--force")
        self.assertEqual(read_bytes(self.identity + ".pub"), b"old public key\n")
        self.assertFalse(os.path.exists(self.identity))
        self.assert_no_leftovers(os.path.dirname(self.identity), ["identity.pub"])

    def test_generated_pair_not_overwritten_then_force(self):
        first = self.generate()
        key_before = read_bytes(self.identity)
        pub_before = read_bytes(self.identity + ".pub")

        for extra in ([], ["--out", self.identity]):
            proc = self.keygen("--bits", "2048", *extra)
            self.assert_error(proc, 1, "already exists")
            self.assertEqual(read_bytes(self.identity), key_before)
            self.assertEqual(read_bytes(self.identity + ".pub"), pub_before)
        self.assertEqual(self.show(), (2048, first["fingerprint"]))

        # --force replaces both, with the right modes even if the old files were too open.
        os.chmod(self.identity, 0o666)
        os.chmod(self.identity + ".pub", 0o600)
        second = self.generate("--force")
        self.assertNotEqual(second["fingerprint"], first["fingerprint"])
        self.assertNotEqual(read_bytes(self.identity), key_before)
        self.assert_modes(self.identity, self.identity + ".pub")
        self.assertEqual(second["fingerprint"], self.openssl_fingerprint(self.identity))
        self.assertEqual(second["fingerprint"],
                         self.openssl_fingerprint(self.identity + ".pub", public=True))
        self.assert_no_leftovers(os.path.dirname(self.identity), ["identity", "identity.pub"])

    def test_force_short_option_with_missing_files(self):
        target = self.path("k")
        out = self.generate("-f", "--out", target)
        self.assertEqual(out["fingerprint"], self.openssl_fingerprint(target))


@unittest.skipIf(OPENSSL is None, "openssl is needed")
class PassphraseTest(KeygenTestCase):

    def assert_encrypted_with(self, key, passphrase, fingerprint):
        self.assertTrue(read_bytes(key).startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n"))
        self.assertNotIn(passphrase.encode(), read_bytes(key))
        self.assertEqual(self.openssl_fingerprint(key, passphrase), fingerprint)
        self.openssl_check_private(key, passphrase)
        for wrong in (OTHER_PASSPHRASE, passphrase + "x", passphrase[:-1], ""):
            proc = self.openssl("pkey", "-in", key, "-noout", "-passin", "pass:" + wrong,
                                check=False)
            self.assertNotEqual(proc.returncode, 0, f"openssl accepted passphrase {wrong!r}")

    def test_passphrase_file(self):
        pf = self.write_passphrase_file(PASSPHRASE + "\n")
        out = self.generate("--passphrase-file", pf)
        self.assertTrue(out["encrypted"])
        self.assertEqual(self.identity, out["private"])
        self.assert_modes(self.identity, self.identity + ".pub")
        self.assert_encrypted_with(self.identity, PASSPHRASE, out["fingerprint"])
        # The public key is not encrypted.
        self.assertEqual(self.openssl_fingerprint(self.identity + ".pub", public=True),
                         out["fingerprint"])

        self.assertEqual(self.show(None, "--passphrase-file", pf), (2048, out["fingerprint"]))
        self.assertEqual(self.show(self.identity + ".pub"), (2048, out["fingerprint"]))

    def test_env_passphrase(self):
        env = {"CRYPTOCHAT_PASSPHRASE": PASSPHRASE}
        out = self.generate(env_extra=env)
        self.assertTrue(out["encrypted"])
        self.assert_encrypted_with(self.identity, PASSPHRASE, out["fingerprint"])
        self.assertEqual(self.show(env_extra=env), (2048, out["fingerprint"]))

    def test_passphrase_file_takes_only_the_first_line(self):
        pf = self.write_passphrase_file(PASSPHRASE + "\r\nsecond line\n")
        out = self.generate("--passphrase-file", pf)
        self.assert_encrypted_with(self.identity, PASSPHRASE, out["fingerprint"])
        # Without a final newline too.
        pf2 = self.write_passphrase_file(PASSPHRASE, "pf2")
        self.assertEqual(self.show(None, "--passphrase-file", pf2), (2048, out["fingerprint"]))

    def test_passphrase_file_wins_over_env(self):
        pf = self.write_passphrase_file(PASSPHRASE + "\n")
        out = self.generate("--passphrase-file", pf,
                            env_extra={"CRYPTOCHAT_PASSPHRASE": OTHER_PASSPHRASE})
        self.assert_encrypted_with(self.identity, PASSPHRASE, out["fingerprint"])

    def test_utf8_passphrase_interoperates_with_openssl(self):
        passphrase = "pässwörd ✓ ключ"
        pf = self.write_passphrase_file(passphrase + "\n")
        out = self.generate("--passphrase-file", pf)
        self.assertEqual(self.openssl_fingerprint(self.identity, passphrase), out["fingerprint"])

    def test_encrypted_key_is_pbes2_scrypt_aes256(self):
        self.generate(env_extra={"CRYPTOCHAT_PASSPHRASE": PASSPHRASE})
        text = self.openssl("asn1parse", "-in", self.identity).stdout.decode()
        for oid in ("PBES2", "scrypt", "aes-256-cbc"):
            self.assertRegex(text, rf"OBJECT\s+:{oid}\b")

    def test_scrypt_cost_is_at_least_n_2_14(self):
        # src/crypto/keys.cpp documents scrypt N = 2^14, r = 8, p = 1 (16 MiB per guess), and
        # OpenSSL must still read it (its limit is 32 MiB, so N <= 2^15 with r = 8).
        self.generate(env_extra={"CRYPTOCHAT_PASSPHRASE": PASSPHRASE})
        text = self.openssl("asn1parse", "-in", self.identity).stdout.decode()
        after = text[text.index(":scrypt"):]
        ints = [int(v, 16) for v in re.findall(r"prim: INTEGER\s+:([0-9A-Fa-f]+)", after)[:3]]
        self.assertEqual(len(ints), 3, text)
        n, r, p = ints
        self.assertEqual((r, p), (8, 1))
        self.assertLessEqual(n * r * 128, 32 * 1024 * 1024, "OpenSSL could not read this key")
        self.assertGreaterEqual(n, 2 ** 14, f"scrypt N = {n} is below the documented 2^14")

    def test_show_with_wrong_passphrase(self):
        out = self.generate(env_extra={"CRYPTOCHAT_PASSPHRASE": PASSPHRASE})
        wrong_file = self.write_passphrase_file(OTHER_PASSPHRASE + "\n", "wrong")
        cases = {
            "file": (["--passphrase-file", wrong_file], None),
            "env": ([], {"CRYPTOCHAT_PASSPHRASE": OTHER_PASSPHRASE}),
            # The file wins over a right passphrase in the environment.
            "file over env": (["--passphrase-file", wrong_file],
                              {"CRYPTOCHAT_PASSPHRASE": PASSPHRASE}),
        }
        for name, (args, env) in cases.items():
            with self.subTest(name):
                proc = self.show(self.identity, *args, check=None, env_extra=env)
                err = self.assert_error(proc, 1, "wrong passphrase", self.identity)
                self.assertNotIn(OTHER_PASSPHRASE, err)
                self.assertNotIn(PASSPHRASE, err)
        self.assertEqual(self.show(env_extra={"CRYPTOCHAT_PASSPHRASE": PASSPHRASE}),
                         (2048, out["fingerprint"]))

    def test_show_without_passphrase(self):
        self.generate(env_extra={"CRYPTOCHAT_PASSPHRASE": PASSPHRASE})
        empty = self.write_passphrase_file("", "empty")
        cases = {
            "nothing": ([], None),
            "empty env": ([], {"CRYPTOCHAT_PASSPHRASE": ""}),
            "empty file": (["--passphrase-file", empty], None),
        }
        for name, (args, env) in cases.items():
            with self.subTest(name):
                # stdin is /dev/null, not a terminal: it must fail at once, not wait for input.
                proc = self.show(self.identity, *args, check=None, env_extra=env, timeout=30)
                self.assert_error(proc, 1, "no passphrase was given", self.identity)

    def test_missing_passphrase_file(self):
        missing = self.path("no-such-file")
        proc = self.keygen("--bits", "2048", "--passphrase-file", missing)
        self.assert_error(proc, 1, missing)
        self.assertFalse(os.path.exists(self.identity))
        self.assertFalse(os.path.exists(self.identity + ".pub"))

        self.generate(env_extra={"CRYPTOCHAT_PASSPHRASE": PASSPHRASE})
        proc = self.show(self.identity, "--passphrase-file", missing, check=None)
        self.assert_error(proc, 1, missing)

    def test_passphrase_never_printed(self):
        pf = self.write_passphrase_file(PASSPHRASE + "\n")
        wrong = self.write_passphrase_file(PASSPHRASE[::-1] + "\n", "wrong")
        env = {"CRYPTOCHAT_PASSPHRASE": PASSPHRASE}
        key = self.path("k")
        runs = [
            self.keygen("-v", "--bits", "2048", "--out", key, "--passphrase-file", pf, check=0),
            self.keygen("-v", "--bits", "2048", "--out", self.path("k2"), env_extra=env, check=0),
            self.keygen("-v", "--show", key, "--passphrase-file", pf, check=0),
            self.keygen("-v", "--show", key, env_extra=env, check=0),
            self.keygen("-v", "--show", key, "--passphrase-file", wrong, check=1),
            self.keygen("-v", "--show", self.path("k2"),
                        env_extra={"CRYPTOCHAT_PASSPHRASE": PASSPHRASE[::-1]}, check=1),
            # An error after the passphrase was read (the key already exists).
            self.keygen("-v", "--bits", "2048", "--out", key, env_extra=env, check=1),
        ]
        for proc in runs:
            for stream in (proc.stdout, proc.stderr):
                self.assertNotIn(PASSPHRASE.encode(), stream)
                self.assertNotIn(PASSPHRASE[::-1].encode(), stream)
        for path in (key, key + ".pub", self.path("k2"), self.path("k2.pub")):
            self.assertNotIn(PASSPHRASE.encode(), read_bytes(path))


@unittest.skipIf(OPENSSL is None, "openssl is needed")
class ShowOpenSslKeysTest(KeygenTestCase):
    """--show on keys OpenSSL made, compared with OpenSSL's own fingerprint."""

    OPENSSL_PASSPHRASE = "openssl pass"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.keys = tempfile.mkdtemp(prefix="cryptochat-e2e-openssl-")
        cls.addClassCleanup(shutil.rmtree, cls.keys, ignore_errors=True)

        def ossl(*args):
            subprocess.run([OPENSSL, *args], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=120)

        k = lambda name: os.path.join(cls.keys, name)  # noqa: E731
        ossl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
             "-out", k("pkcs8.pem"))
        ossl("pkey", "-in", k("pkcs8.pem"), "-traditional", "-out", k("pkey_traditional.pem"))
        ossl("pkey", "-in", k("pkcs8.pem"), "-pubout", "-out", k("pub.pem"))
        ossl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", k("pkcs8.pem"),
             "-passout", "pass:" + cls.OPENSSL_PASSPHRASE, "-out", k("encrypted.pem"))
        ossl("genrsa", "-traditional", "-out", k("genrsa.pem"), "2048")
        ossl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", k("ec.pem"))
        ossl("pkey", "-in", k("ec.pem"), "-pubout", "-out", k("ec_pub.pem"))
        ossl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", k("ec_traditional.pem"))
        ossl("genpkey", "-algorithm", "ED25519", "-out", k("ed25519.pem"))
        ossl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024",
             "-out", k("rsa1024.pem"))
        ossl("pkey", "-in", k("rsa1024.pem"), "-pubout", "-out", k("rsa1024_pub.pem"))

    def key(self, name, mode=0o600):
        """A private copy of one of the class's OpenSSL keys."""
        dst = self.path(name)
        shutil.copyfile(os.path.join(self.keys, name), dst)
        os.chmod(dst, mode)
        return dst

    def test_pkcs8_and_traditional(self):
        expected = self.openssl_fingerprint(self.key("pkcs8.pem"))
        for name in ("pkcs8.pem", "pkey_traditional.pem"):
            with self.subTest(name):
                path = self.key(name)
                if name != "pkcs8.pem":
                    self.assertTrue(read_bytes(path).startswith(b"-----BEGIN RSA PRIVATE KEY-----"))
                self.assertEqual(self.show(path), (2048, expected))

    def test_genrsa_traditional(self):
        path = self.key("genrsa.pem")
        self.assertTrue(read_bytes(path).startswith(b"-----BEGIN RSA PRIVATE KEY-----"))
        self.assertEqual(self.show(path), (2048, self.openssl_fingerprint(path)))

    def test_public_keys(self):
        expected = self.openssl_fingerprint(self.key("pkcs8.pem"))
        # A public key needs no particular permissions.
        for mode in (0o644, 0o666, 0o600):
            with self.subTest(mode=f"{mode:04o}"):
                self.assertEqual(self.show(self.key("pub.pem", mode)), (2048, expected))

    def test_encrypted_pkcs8(self):
        path = self.key("encrypted.pem")
        expected = self.openssl_fingerprint(path, self.OPENSSL_PASSPHRASE)
        pf = self.write_passphrase_file(self.OPENSSL_PASSPHRASE + "\n")
        self.assertEqual(self.show(path, "--passphrase-file", pf), (2048, expected))
        self.assertEqual(
            self.show(path, env_extra={"CRYPTOCHAT_PASSPHRASE": self.OPENSSL_PASSPHRASE}),
            (2048, expected))
        proc = self.show(path, env_extra={"CRYPTOCHAT_PASSPHRASE": OTHER_PASSPHRASE}, check=None)
        self.assert_error(proc, 1, "wrong passphrase")
        self.assert_error(self.show(path, check=None), 1, "no passphrase was given")

    def test_generated_key_as_seen_by_show_matches_openssl_public_file(self):
        # A cryptochat key converted by OpenSSL to the traditional format still gives the same
        # fingerprint: the fingerprint belongs to the key, not to the file encoding.
        out = self.generate("--out", self.path("mine"))
        trad = self.path("mine_traditional.pem")
        self.openssl("pkey", "-in", self.path("mine"), "-traditional", "-out", trad)
        os.chmod(trad, 0o600)
        self.assertEqual(self.show(trad), (2048, out["fingerprint"]))

    def test_data_dir_keys(self):
        expected = self.openssl_fingerprint(self.private_copy("rsa2048_pkcs8.pem"))
        env = {"CRYPTOCHAT_PASSPHRASE": DATA_PASSPHRASE}
        for name in ("rsa2048_pkcs8.pem", "rsa2048_traditional.pem", "rsa2048_encrypted.pem",
                     "rsa2048_pub.pem"):
            with self.subTest(name):
                self.assertEqual(self.show(self.private_copy(name), env_extra=env),
                                 (2048, expected))

    def test_non_rsa_keys_refused(self):
        for name in ("ec.pem", "ec_pub.pem", "ec_traditional.pem", "ed25519.pem"):
            with self.subTest(name):
                path = self.key(name)
                self.assert_error(self.show(path, check=None), 1, path)
        self.assert_error(self.show(self.private_copy("ec_p256.pem"), check=None), 1, "RSA")

    def test_1024_bit_keys_refused(self):
        for path in (self.key("rsa1024.pem"), self.key("rsa1024_pub.pem"),
                     self.private_copy("rsa1024.pem")):
            with self.subTest(path):
                self.assert_error(self.show(path, check=None), 1, "1024")


@unittest.skipIf(OPENSSL is None, "openssl is needed")
class PermissionTest(KeygenTestCase):

    def test_too_open_private_key_refused(self):
        out = self.generate("--out", self.path("k"))
        key = self.path("k")
        for mode in (0o644, 0o640, 0o604, 0o660, 0o666, 0o700 | 0o040):
            with self.subTest(mode=f"{mode:04o}"):
                os.chmod(key, mode)
                err = self.assert_error(self.show(key, check=None), 1, f"{mode:04o}", key)
                self.assertIn("permissions", err)
        os.chmod(key, 0o600)
        self.assertEqual(self.show(key), (2048, out["fingerprint"]))
        os.chmod(key, 0o400)
        self.assertEqual(self.show(key), (2048, out["fingerprint"]))

    def test_default_identity_too_open(self):
        out = self.generate()
        os.chmod(self.identity, 0o644)
        self.assert_error(self.show(check=None), 1, "0644", self.identity)
        os.chmod(self.identity, 0o600)
        self.assertEqual(self.show(), (2048, out["fingerprint"]))

    def test_encrypted_and_openssl_keys_too_open(self):
        # The permission check comes first, whatever the format and whether a passphrase is given.
        env = {"CRYPTOCHAT_PASSPHRASE": DATA_PASSPHRASE}
        for name in ("rsa2048_pkcs8.pem", "rsa2048_traditional.pem", "rsa2048_encrypted.pem"):
            with self.subTest(name):
                path = self.private_copy(name, 0o644)
                self.assert_error(self.show(path, check=None, env_extra=env), 1, "0644", path)
                self.assert_error(self.show(path, check=None), 1, "0644", path)

    def test_public_key_permissions_are_not_checked(self):
        out = self.generate("--out", self.path("k"))
        os.chmod(self.path("k.pub"), 0o666)
        self.assertEqual(self.show(self.path("k.pub")), (2048, out["fingerprint"]))


@unittest.skipIf(OPENSSL is None, "openssl is needed")
class BadKeyTest(KeygenTestCase):

    def setUp(self):
        super().setUp()
        self.good = read_bytes(os.path.join(DATA_DIR, "rsa2048_pkcs8.pem"))

    def check_refused(self, data, name="bad.pem", *fragments, env=None):
        path = self.path(name)
        write_bytes(path, data)
        return self.assert_error(self.show(path, check=None, env_extra=env), 1, path, *fragments)

    def test_truncated_keys(self):
        lines = self.good.splitlines(keepends=True)
        cases = {
            "empty": b"",
            "one byte": self.good[:1],
            "header only": lines[0],
            "half": self.good[: len(self.good) // 2],
            "no end line": b"".join(lines[:-1]),
            "body cut short": b"".join(lines[:10] + lines[-1:]),
        }
        for name, data in cases.items():
            with self.subTest(name):
                self.check_refused(data)

    def test_truncated_traditional_and_encrypted_keys(self):
        trad = read_bytes(os.path.join(DATA_DIR, "rsa2048_traditional.pem"))
        enc = read_bytes(os.path.join(DATA_DIR, "rsa2048_encrypted.pem"))
        self.check_refused(trad[: len(trad) // 2])
        tl = trad.splitlines(keepends=True)
        self.check_refused(b"".join(tl[:12] + tl[-1:]))
        env = {"CRYPTOCHAT_PASSPHRASE": DATA_PASSPHRASE}
        self.check_refused(enc[: len(enc) // 2], env=env)
        el = enc.splitlines(keepends=True)
        self.check_refused(b"".join(el[:12] + el[-1:]), env=env)

    def test_flipped_der_bytes(self):
        der = pem_to_der(self.good)
        # Offsets in the outer header, the algorithm identifier, the modulus, the private
        # exponent, the primes and the CRT coefficient.
        for offset in (0, 1, 8, 12, 40, 200, 400, 700, 900, 1100, len(der) - 20, len(der) - 1):
            with self.subTest(offset=offset):
                bad = bytearray(der)
                bad[offset] ^= 0x01
                self.check_refused(der_to_pem(bytes(bad), "PRIVATE KEY"))

    def test_flipped_base64_characters(self):
        lines = self.good.splitlines(keepends=True)
        for line_no in (1, 5, 13, 20):
            with self.subTest(line=line_no):
                line = bytearray(lines[line_no])
                line[30] = ord("A") if line[30] != ord("A") else ord("B")
                self.check_refused(b"".join(lines[:line_no] + [bytes(line)] + lines[line_no + 1:]))

    def test_flipped_bytes_in_encrypted_key(self):
        enc = read_bytes(os.path.join(DATA_DIR, "rsa2048_encrypted.pem"))
        der = pem_to_der(enc)
        env = {"CRYPTOCHAT_PASSPHRASE": DATA_PASSPHRASE}
        for offset in (len(der) // 2, len(der) - 1):
            with self.subTest(offset=offset):
                bad = bytearray(der)
                bad[offset] ^= 0x40
                self.check_refused(der_to_pem(bytes(bad), "ENCRYPTED PRIVATE KEY"), env=env)

    def test_not_keys(self):
        cases = {
            "text": b"hello, world\n",
            "binary": bytes(range(256)),
            "certificate label": b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "garbage body": b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n",
            "broken public": b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "legacy encrypted": (b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                                 b"DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n"
                                 b"AAAA\n-----END RSA PRIVATE KEY-----\n"),
        }
        for name, data in cases.items():
            with self.subTest(name):
                self.check_refused(data)

    def test_oversized_file(self):
        self.check_refused(self.good * 64)

    def test_missing_and_folder(self):
        missing = self.path("nope.pem")
        self.assert_error(self.show(missing, check=None), 1, missing)
        self.assert_error(self.show(self.tmp, check=None), 1, self.tmp)
        # No identity yet: --show on the default path.
        self.assert_error(self.show(check=None), 1, self.identity)

    @unittest.skipIf(os.geteuid() == 0, "root reads any file")
    def test_unreadable_file(self):
        path = self.private_copy("rsa2048_pkcs8.pem", 0o000)
        self.assert_error(self.show(path, check=None), 1, path)


SSH_KEYGEN = shutil.which("ssh-keygen")  # openssh-client (.ci/install-deps)


@unittest.skipIf(SSH_KEYGEN is None, "ssh-keygen (openssh-client) is needed")
class OpenSshKeysTest(KeygenTestCase):
    """RSA keys made by ssh-keygen at test time, in each form it writes, are read; their
    fingerprints are checked against OpenSSL (cryptochat's) and ssh-keygen -lf (--ssh)."""

    def ssh_keygen(self, *args, check=True):
        return subprocess.run([SSH_KEYGEN, *args], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=check,
                              env=self.env, timeout=120)

    def make(self, name, *args, passphrase=""):
        path = self.path(name)
        self.ssh_keygen("-q", "-t", "rsa", "-b", "2048", "-N", passphrase, "-C", "e2e@test",
                        "-f", path, *args)
        return path

    def ssh_fingerprint(self, path):
        """The SHA256: fingerprint `ssh-keygen -lf` prints."""
        out = self.ssh_keygen("-l", "-E", "sha256", "-f", path).stdout.decode()
        m = FINGERPRINT_RE.search(out)
        self.assertIsNotNone(m, out)
        return m.group(0)

    def openssl_fingerprint(self, pub_path):
        """cryptochat's fingerprint, from OpenSSL: the SPKI ssh-keygen exports, hashed."""
        spki_pem = self.ssh_keygen("-e", "-m", "PKCS8", "-f", pub_path).stdout
        der = pem_to_der(spki_pem)
        return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode().rstrip("=")

    def show_ssh(self, path, *args):
        proc = self.keygen("--show", "--ssh", path, *args, check=0)
        m = re.fullmatch(r"(\d+) (SHA256:[A-Za-z0-9+/]{43}) (.+) \(RSA, OpenSSH form\)\n",
                         proc.stdout.decode())
        self.assertIsNotNone(m, f"unexpected --show --ssh output: {proc.stdout!r}")
        self.assertEqual(m.group(3), path)
        return int(m.group(1)), m.group(2)

    def test_unencrypted_openssh_key_and_its_pub(self):
        key = self.make("id_rsa")
        self.assertTrue(read_bytes(key).startswith(b"-----BEGIN OPENSSH PRIVATE KEY-----"))
        expected = self.openssl_fingerprint(key + ".pub")
        self.assertEqual(self.show(key), (2048, expected))
        # The .pub is 0644, as ssh-keygen writes it: a public key, never "UNPROTECTED".
        self.assertEqual(mode_of(key + ".pub"), 0o644)
        self.assertEqual(self.show(key + ".pub"), (2048, expected))
        # --ssh: the number ssh-keygen -lf prints, for the private and the public file.
        ssh_fp = self.ssh_fingerprint(key + ".pub")
        self.assertNotEqual(ssh_fp, expected)
        self.assertEqual(self.show_ssh(key + ".pub"), (2048, ssh_fp))
        self.assertEqual(self.show_ssh(key), (2048, ssh_fp))

    def test_encrypted_openssh_key(self):
        key = self.make("id_rsa", passphrase=PASSPHRASE)
        expected = self.openssl_fingerprint(key + ".pub")
        pf = self.path("pass")
        write_bytes(pf, (PASSPHRASE + "\n").encode())
        self.assertEqual(self.show(key, "--passphrase-file", pf), (2048, expected))
        self.assertEqual(self.show(key, env_extra={"CRYPTOCHAT_PASSPHRASE": PASSPHRASE}),
                         (2048, expected))
        wrong = self.path("wrong")
        write_bytes(wrong, (OTHER_PASSPHRASE + "\n").encode())
        self.assert_error(self.keygen("--show", key, "--passphrase-file", wrong), 1,
                          "wrong passphrase", key)
        self.assert_error(self.keygen("--show", key), 1, "no passphrase was given")

    def test_pem_keys(self):
        key = self.make("id_rsa_pem", "-m", "PEM")
        self.assertTrue(read_bytes(key).startswith(b"-----BEGIN RSA PRIVATE KEY-----"))
        self.assertEqual(self.show(key), (2048, self.openssl_fingerprint(key + ".pub")))
        self.assertEqual(self.show_ssh(key), (2048, self.ssh_fingerprint(key + ".pub")))

        enc = self.make("id_rsa_pem_enc", "-m", "PEM", passphrase=PASSPHRASE)
        pf = self.path("pass")
        write_bytes(pf, (PASSPHRASE + "\n").encode())
        self.assert_error(self.keygen("--show", enc, "--passphrase-file", pf), 1,
                          "Proc-Type: 4,ENCRYPTED", f"ssh-keygen -p -m PKCS8 -f {enc}")
        # Converted as the message says, it is read.
        self.ssh_keygen("-q", "-p", "-P", PASSPHRASE, "-N", PASSPHRASE, "-m", "PKCS8", "-f", enc)
        self.assertEqual(self.show(enc, "--passphrase-file", pf),
                         (2048, self.openssl_fingerprint(enc + ".pub")))

    def test_other_ssh_key_types_are_named(self):
        for kind in ("ed25519", "ecdsa"):
            with self.subTest(kind=kind):
                key = self.path(f"id_{kind}")
                self.ssh_keygen("-q", "-t", kind, "-N", "", "-f", key)
                name = "ssh-ed25519" if kind == "ed25519" else "ecdsa-sha2-nistp256"
                for path in (key, key + ".pub"):
                    self.assert_error(self.keygen("--show", path), 1,
                                      f"{path}: this is an {name} key; cryptochat uses RSA keys: "
                                      "make one with 'ssh-keygen -t rsa -b 3072' or "
                                      "'cryptochat keygen'")

    def test_private_mode_rule_still_applies(self):
        key = self.make("id_rsa")
        os.chmod(key, 0o644)
        self.assert_error(self.keygen("--show", key), 1, "UNPROTECTED PRIVATE KEY FILE", "0644")

    def test_ssh_without_show_is_a_usage_error(self):
        proc = self.keygen("--ssh", "--out", self.path("k"))
        self.assert_error(proc, 2, "--ssh is only taken with --show")
        self.assertFalse(os.path.exists(self.path("k")))


if __name__ == "__main__":
    main()
