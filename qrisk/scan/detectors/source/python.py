"""Python: ``hashlib``, ``hmac``, ``ssl``, pyca ``cryptography``, PyCryptodome, PyNaCl,
paramiko, PyJWT, liboqs-python, bcrypt and argon2-cffi calls, confirmed with ``ast``.

Names are resolved through the file's imports (``from cryptography.hazmat.primitives
import hashes`` makes ``hashes.SHA256()`` a pyca call), so look-alike identifiers,
comments, docstrings and prose never count. A file that does not parse (Python 2, a
template) falls back to a few lexical rules on the comment-free text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import ClassVar

from qrisk.model import Confidence, Usage
from qrisk.scan.detectors.base import DetectorOutput
from qrisk.scan.detectors.source._common import Collector, add_parts, canonical, hkdf_name, hmac_name, mode_of
from qrisk.scan.detectors.source._lex import PYTHON, Masked
from qrisk.scan.detectors.source._common import SourceDetector

R_HASHLIB = "QR-PY-001"
R_HMAC = "QR-PY-002"
R_PYCA_HASH = "QR-PY-003"
R_PYCA_CIPHER = "QR-PY-004"
R_PYCA_ASYM = "QR-PY-005"
R_PYCA_KDF_MAC = "QR-PY-006"
R_PYCRYPTODOME = "QR-PY-007"
R_NACL = "QR-PY-008"
R_PARAMIKO = "QR-PY-009"
R_JWT = "QR-PY-010"
R_OQS = "QR-PY-011"
R_PASSWORD = "QR-PY-012"
R_SSL = "QR-PY-013"
R_FALLBACK = "QR-PY-014"

_PYCA = "cryptography.hazmat.primitives"
_ASYM = f"{_PYCA}.asymmetric"
_HASH_FUNCS = frozenset(
    {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512_224", "sha512_256", "sha3_224", "sha3_256",
     "sha3_384", "sha3_512", "shake_128", "shake_256", "blake2b", "blake2s", "md4", "ripemd160", "sm3"}
)
# CPython's private hash modules (``random`` seeds with ``_sha512.sha512``).
_PRIVATE_HASH_MODULES = frozenset({"_md5", "_sha1", "_sha256", "_sha512", "_sha2", "_sha3", "_blake2"})
_PYCA_HASH_SKIP = frozenset({"Hash", "HashAlgorithm", "HashContext", "ExtendableOutputFunction"})
_PYCA_CIPHER_MODULES = frozenset({f"{_PYCA}.ciphers.algorithms", "cryptography.hazmat.decrepit.ciphers.algorithms"})
_PYCA_CIPHER_NAMES = {
    "AES": "AES", "AES128": "AES-128", "AES256": "AES-256", "Camellia": "Camellia", "TripleDES": "3DES",
    "Blowfish": "Blowfish", "CAST5": "CAST5", "ARC4": "RC4", "IDEA": "IDEA", "SEED": "SEED", "SM4": "SM4",
    "ChaCha20": "ChaCha20", "RC2": "RC2",
}
_PYCA_AEAD = {
    "AESGCM": ("AES", "GCM"), "AESCCM": ("AES", "CCM"), "AESOCB3": ("AES", "OCB"), "AESSIV": ("AES", "SIV"),
    "AESGCMSIV": ("AES", "GCM-SIV"), "ChaCha20Poly1305": ("ChaCha20-Poly1305", None),
}
_ASYM_KEY_CLASSES = {
    "ed25519": ("Ed25519", Usage.SIGNATURE), "ed448": ("Ed448", Usage.SIGNATURE),
    "x25519": ("X25519", Usage.KEY_EXCHANGE), "x448": ("X448", Usage.KEY_EXCHANGE),
}
_PYCRYPTODOME_CIPHERS = {
    "AES": "AES", "DES": "DES", "DES3": "3DES", "ARC4": "RC4", "ARC2": "RC2", "Blowfish": "Blowfish",
    "CAST": "CAST5", "ChaCha20": "ChaCha20", "ChaCha20_Poly1305": "ChaCha20-Poly1305", "Salsa20": "Salsa20",
}
_PYCRYPTODOME_HASH_SKIP = frozenset({"HMAC", "CMAC", "Poly1305", "KMAC128", "KMAC256"})
_KEY_FUNCS = {  # calls that return key bytes of a stated length (bytes)
    "os.urandom", "secrets.token_bytes", "Crypto.Random.get_random_bytes", "nacl.utils.random",
}


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Call):
        # ``KeyPairGenerator().x``-style chains are not module paths
        return None
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


class _Visitor:
    def __init__(self, tree: ast.AST, out: Collector) -> None:
        self.out = out
        self.imports: dict[str, str] = {}
        self.constants: dict[str, ast.AST] = {}
        self.consumed: set[int] = set()
        self.mode_for: dict[int, str] = {}
        self.imports_ssl = False
        nodes = list(ast.walk(tree))
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.imports[a.asname] = a.name
                    else:
                        head = a.name.split(".", 1)[0]
                        self.imports.setdefault(head, head)
                    if a.name == "ssl":
                        self.imports_ssl = True
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for a in node.names:
                    self.imports[a.asname or a.name] = f"{node.module}.{a.name}"
                if node.module == "ssl":
                    self.imports_ssl = True
            elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.constants[node.targets[0].id] = node.value
        self.calls = [n for n in nodes if isinstance(n, ast.Call)]

    # ------------------------------------------------------------------ helpers

    def resolve(self, node: ast.AST) -> str | None:
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        mapped = self.imports.get(head)
        if mapped is None:
            return None
        full = f"{mapped}.{rest}" if rest else mapped
        if full.startswith("Cryptodome."):
            full = "Crypto." + full[len("Cryptodome.") :]
        return full

    @staticmethod
    def arg(call: ast.Call, index: int | None, *names: str) -> ast.AST | None:
        for kw in call.keywords:
            if kw.arg in names:
                return kw.value
        if index is not None and index < len(call.args) and not isinstance(call.args[index], ast.Starred):
            return call.args[index]
        return None

    def const(self, node: ast.AST | None, depth: int = 0) -> object:
        if node is None or depth > 3:
            return None
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.const(self.constants[node.id], depth + 1)
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Add, ast.LShift)):
            a, b = self.const(node.left, depth + 1), self.const(node.right, depth + 1)
            if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
                if isinstance(node.op, ast.Mult):
                    return a * b
                if isinstance(node.op, ast.Add):
                    return a + b
                return a << b if b < 32 else None
        return None

    def int_arg(self, call: ast.Call, index: int | None, *names: str) -> int | None:
        v = self.const(self.arg(call, index, *names))
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    def str_arg(self, call: ast.Call, index: int | None, *names: str) -> str | None:
        v = self.const(self.arg(call, index, *names))
        if isinstance(v, bytes):
            try:
                v = v.decode("ascii")
            except UnicodeDecodeError:
                return None
        return v if isinstance(v, str) else None

    def hash_name(self, node: ast.AST | None) -> str | None:
        """The hash a digestmod-like argument names: ``'sha256'``, ``hashlib.sha256``,
        ``hashes.SHA256()``, ``SHA256`` (PyCryptodome module)."""
        if node is None:
            return None
        value = self.const(node)
        if isinstance(value, str):
            return value if canonical(value) else None
        target = node.func if isinstance(node, ast.Call) else node
        full = self.resolve(target)
        if full is None:
            return None
        last = full.rsplit(".", 1)[-1]
        if isinstance(node, ast.Call):
            self.consumed.add(id(node))
        if full.startswith(("hashlib.", f"{_PYCA}.hashes.", "Crypto.Hash.")) or full.split(".")[0] in _PRIVATE_HASH_MODULES:
            return last if canonical(last) else None
        return None

    def key_bits(self, node: ast.AST | None) -> int | None:
        """Bit length of a symmetric key given as ``os.urandom(32)``, a variable holding it,
        ``AESGCM.generate_key(bit_length=256)`` or a bytes literal."""
        for _ in range(3):
            if isinstance(node, ast.Name) and node.id in self.constants:
                node = self.constants[node.id]
            else:
                break
        if isinstance(node, ast.Constant) and isinstance(node.value, bytes) and len(node.value) in (16, 24, 32):
            return len(node.value) * 8
        if isinstance(node, ast.Call):
            full = self.resolve(node.func)
            if full in _KEY_FUNCS:
                n = self.int_arg(node, 0)
                return n * 8 if n in (16, 24, 32) else None
            if full and full.endswith(".generate_key"):
                return self.int_arg(node, 0, "bit_length")
        return None

    # ------------------------------------------------------------------ rules

    def run(self) -> None:
        for call in self.calls:
            full = self.resolve(call.func)
            if full is None:
                if self.imports_ssl and isinstance(call.func, ast.Attribute) and call.func.attr == "set_ecdh_curve":
                    curve = self.str_arg(call, 0)
                    if curve:
                        self.out.add(R_SSL, "ECDH", call.lineno, Usage.KEY_EXCHANGE, curve=curve)
                continue
            if id(call) in self.consumed:
                continue
            self.dispatch(call, full)

    def dispatch(self, call: ast.Call, full: str) -> None:
        module, _, name = full.rpartition(".")
        line = call.lineno
        out = self.out
        if module == "hashlib" or module in _PRIVATE_HASH_MODULES or module == "_hashlib":
            self.hashlib(call, name, line)
        elif module == "hmac" and name in ("new", "HMAC", "digest"):
            digest = self.hash_name(self.arg(call, 2, "digestmod", "digest"))
            out.add(R_HMAC, hmac_name(digest), line, Usage.AUTHENTICATION,
                    confidence=Confidence.HIGH if digest else Confidence.MEDIUM)
        elif full.startswith(_PYCA) or full.startswith("cryptography."):
            self.pyca(call, module, name, line)
        elif full.startswith("Crypto."):
            self.pycryptodome(call, module, name, line)
        elif full.startswith("nacl."):
            self.nacl(call, module, name, line)
        elif full.startswith("paramiko."):
            self.paramiko(call, full, line)
        elif module == "jwt" and name in ("encode", "decode"):
            if name == "encode":
                alg = self.str_arg(call, 2, "algorithm")
                if alg and alg.lower() != "none":
                    add_parts(out, R_JWT, alg, line)
            else:
                node = self.arg(call, None, "algorithms")
                if isinstance(node, (ast.List, ast.Tuple)):
                    for elt in node.elts:
                        v = self.const(elt)
                        if isinstance(v, str) and v.lower() != "none":
                            add_parts(out, R_JWT, v, getattr(elt, "lineno", line))
        elif module == "oqs" and name in ("KeyEncapsulation", "Signature"):
            alg = self.str_arg(call, 0, "alg_name")
            if alg:
                out.add(R_OQS, alg, line, Usage.KEY_EXCHANGE if name == "KeyEncapsulation" else Usage.SIGNATURE)
        elif module == "bcrypt" and name in ("hashpw", "kdf"):
            out.add(R_PASSWORD, "bcrypt", line, Usage.KEY_DERIVATION)
        elif (module == "argon2" and name == "PasswordHasher") or (
            module == "argon2.low_level" and name in ("hash_secret", "hash_secret_raw")
        ):
            out.add(R_PASSWORD, "Argon2", line, Usage.KEY_DERIVATION)

    def hashlib(self, call: ast.Call, name: str, line: int) -> None:
        out = self.out
        if name.startswith("openssl_"):
            name = name[len("openssl_") :]
        if name in _HASH_FUNCS:
            out.add(R_HASHLIB, name, line, Usage.HASHING)
        elif name == "new":
            alg = self.str_arg(call, 0, "name")
            if alg:
                out.add(R_HASHLIB, alg, line, Usage.HASHING)
        elif name == "pbkdf2_hmac":
            out.add(R_HASHLIB, "PBKDF2", line, Usage.KEY_DERIVATION)
        elif name == "scrypt":
            out.add(R_HASHLIB, "scrypt", line, Usage.KEY_DERIVATION)
        elif name == "file_digest":
            alg = self.hash_name(self.arg(call, 1, "digest"))
            if alg:
                out.add(R_HASHLIB, alg, line, Usage.HASHING)

    def pyca(self, call: ast.Call, module: str, name: str, line: int) -> None:
        out = self.out
        if module == f"{_PYCA}.hashes":
            if name not in _PYCA_HASH_SKIP:
                out.add(R_PYCA_HASH, name, line, Usage.HASHING)
        elif module in (f"{_PYCA}.ciphers", f"{_PYCA}.ciphers.base") and name == "Cipher":
            alg = self.arg(call, 0, "algorithm")
            mode = self.arg(call, 1, "mode")
            if isinstance(alg, ast.Call) and isinstance(mode, ast.Call):
                mode_full = self.resolve(mode.func)
                if mode_full:
                    m = mode_of(mode_full.rsplit(".", 1)[-1])
                    if m:
                        self.mode_for[id(alg)] = m
        elif module in _PYCA_CIPHER_MODULES:
            alg = _PYCA_CIPHER_NAMES.get(name)
            if alg:
                bits = self.key_bits(self.arg(call, 0, "key"))
                out.add(R_PYCA_CIPHER, alg, line, Usage.ENCRYPTION, key_size=bits, mode=self.mode_for.get(id(call)))
        elif module == f"{_PYCA}.ciphers.aead" or module.startswith(f"{_PYCA}.ciphers.aead."):
            cls = name if module == f"{_PYCA}.ciphers.aead" else module.rsplit(".", 1)[-1]
            spec = _PYCA_AEAD.get(cls)
            if spec:
                bits = self.int_arg(call, 0, "bit_length") if name == "generate_key" else self.key_bits(self.arg(call, 0, "key"))
                out.add(R_PYCA_CIPHER, spec[0], line, Usage.ENCRYPTION, key_size=bits, mode=spec[1])
        elif module in ("cryptography.fernet",) and name in ("Fernet", "MultiFernet") or (
            module == "cryptography.fernet.Fernet" and name == "generate_key"
        ):
            out.add(R_PYCA_CIPHER, "AES", line, Usage.ENCRYPTION, key_size=128, mode="CBC", note="Fernet")
        elif module.startswith(_ASYM):
            self.pyca_asym(call, module, name, line)
        elif module == f"{_PYCA}.hmac" and name == "HMAC":
            h = self.hash_name(self.arg(call, 1, "algorithm"))
            out.add(R_PYCA_KDF_MAC, hmac_name(h), line, Usage.AUTHENTICATION)
        elif module == f"{_PYCA}.cmac" and name == "CMAC":
            inner = self.arg(call, 0, "algorithm")
            if isinstance(inner, ast.Call):
                self.consumed.add(id(inner))
            out.add(R_PYCA_KDF_MAC, "CMAC", line, Usage.AUTHENTICATION)
        elif module.startswith(f"{_PYCA}.poly1305"):
            out.add(R_PYCA_KDF_MAC, "Poly1305", line, Usage.AUTHENTICATION)
        elif module == f"{_PYCA}.kdf.pbkdf2" and name == "PBKDF2HMAC":
            self.hash_name(self.arg(call, 0, "algorithm"))
            out.add(R_PYCA_KDF_MAC, "PBKDF2", line, Usage.KEY_DERIVATION)
        elif module == f"{_PYCA}.kdf.hkdf" and name in ("HKDF", "HKDFExpand"):
            h = self.hash_name(self.arg(call, 0, "algorithm"))
            out.add(R_PYCA_KDF_MAC, hkdf_name(h), line, Usage.KEY_DERIVATION)
        elif module == f"{_PYCA}.kdf.scrypt" and name == "Scrypt":
            out.add(R_PYCA_KDF_MAC, "scrypt", line, Usage.KEY_DERIVATION)
        elif module == f"{_PYCA}.kdf.argon2" and name.startswith("Argon2"):
            out.add(R_PYCA_KDF_MAC, "Argon2", line, Usage.KEY_DERIVATION)

    def pyca_asym(self, call: ast.Call, module: str, name: str, line: int) -> None:
        out = self.out
        sub = module[len(_ASYM) + 1 :]
        head = sub.split(".", 1)[0]
        if head == "rsa":
            if name == "generate_private_key":
                out.add(R_PYCA_ASYM, "RSA", line, Usage.UNKNOWN, key_size=self.int_arg(call, 1, "key_size"))
            elif name in ("RSAPublicNumbers", "RSAPrivateNumbers"):
                out.add(R_PYCA_ASYM, "RSA", line, Usage.UNKNOWN)
        elif head == "dsa" and name in ("generate_private_key", "generate_parameters"):
            out.add(R_PYCA_ASYM, "DSA", line, Usage.SIGNATURE, key_size=self.int_arg(call, 0, "key_size"))
        elif head == "dh" and name in ("generate_parameters", "DHParameterNumbers"):
            bits = self.int_arg(call, 1, "key_size") if name == "generate_parameters" else None
            out.add(R_PYCA_ASYM, "DH", line, Usage.KEY_EXCHANGE, key_size=bits)
        elif head == "ec":
            if name in ("generate_private_key", "derive_private_key", "from_encoded_point", "EllipticCurvePublicNumbers"):
                index = {"generate_private_key": 0, "derive_private_key": 1, "from_encoded_point": 0}.get(name, 2)
                curve_node = self.arg(call, index, "curve")
                curve = None
                if isinstance(curve_node, ast.Call):
                    full = self.resolve(curve_node.func)
                    curve = full.rsplit(".", 1)[-1] if full else None
                out.add(R_PYCA_ASYM, "ECDSA", line, Usage.UNKNOWN, curve=curve)
            elif name == "ECDSA":
                out.add(R_PYCA_ASYM, "ECDSA", line, Usage.SIGNATURE)
            elif name == "ECDH":
                out.add(R_PYCA_ASYM, "ECDH", line, Usage.KEY_EXCHANGE)
        elif head in _ASYM_KEY_CLASSES:
            alg, usage = _ASYM_KEY_CLASSES[head]
            out.add(R_PYCA_ASYM, alg, line, usage)
        elif head == "padding":
            if name == "OAEP":
                out.add(R_PYCA_ASYM, "RSA", line, Usage.ENCRYPTION, note="OAEP")
            elif name == "PSS":
                out.add(R_PYCA_ASYM, "RSA", line, Usage.SIGNATURE, note="PSS")
            elif name == "PKCS1v15":
                out.add(R_PYCA_ASYM, "RSA", line, Usage.UNKNOWN, note="PKCS#1 v1.5")
        elif head in ("mlkem", "mldsa"):
            cls = sub.split(".")[1] if "." in sub else name
            m = re.match(r"(ML(?:KEM|DSA)\d+)", cls)
            if m:
                out.add(R_PYCA_ASYM, m.group(1), line, Usage.KEY_EXCHANGE if head == "mlkem" else Usage.SIGNATURE)

    def pycryptodome(self, call: ast.Call, module: str, name: str, line: int) -> None:
        out = self.out
        parts = module.split(".")
        if len(parts) < 3:
            return
        pkg, cls = parts[1], parts[2]
        if pkg == "PublicKey":
            if cls in ("RSA", "DSA") and name in ("generate", "import_key", "importKey", "construct"):
                bits = self.int_arg(call, 0, "bits") if name == "generate" else None
                out.add(R_PYCRYPTODOME, cls, line, Usage.SIGNATURE if cls == "DSA" else Usage.UNKNOWN, key_size=bits)
            elif cls == "ECC" and name in ("generate", "import_key", "construct"):
                curve = self.str_arg(call, None, "curve")
                if curve and curve.lower() in ("ed25519", "ed448"):
                    out.add(R_PYCRYPTODOME, curve, line, Usage.SIGNATURE)
                else:
                    out.add(R_PYCRYPTODOME, "ECDSA", line, Usage.UNKNOWN, curve=curve)
        elif pkg == "Cipher":
            if cls in _PYCRYPTODOME_CIPHERS and name == "new":
                mode_node = self.arg(call, 1, "mode")
                mode = mode_of(_dotted(mode_node)) if mode_node is not None else None
                bits = self.key_bits(self.arg(call, 0, "key"))
                out.add(R_PYCRYPTODOME, _PYCRYPTODOME_CIPHERS[cls], line, Usage.ENCRYPTION, key_size=bits, mode=mode)
            elif cls in ("PKCS1_OAEP", "PKCS1_v1_5") and name == "new":
                out.add(R_PYCRYPTODOME, "RSA", line, Usage.ENCRYPTION)
        elif pkg == "Signature" and name == "new":
            if cls in ("pkcs1_15", "PKCS1_v1_5", "pss", "PKCS1_PSS"):
                out.add(R_PYCRYPTODOME, "RSA", line, Usage.SIGNATURE)
            elif cls == "eddsa":
                out.add(R_PYCRYPTODOME, "EdDSA", line, Usage.SIGNATURE)
        elif pkg == "Hash" and name == "new":
            if cls == "HMAC":
                h = self.hash_name(self.arg(call, 2, "digestmod"))
                out.add(R_PYCRYPTODOME, hmac_name(h), line, Usage.AUTHENTICATION)
            elif cls in ("CMAC", "Poly1305", "KMAC128", "KMAC256"):
                inner = self.arg(call, None, "ciphermod")
                out.add(R_PYCRYPTODOME, cls, line, Usage.AUTHENTICATION)
                del inner
            elif cls not in _PYCRYPTODOME_HASH_SKIP:
                out.add(R_PYCRYPTODOME, cls, line, Usage.HASHING)
        elif pkg == "Protocol" and cls == "KDF":
            if name == "PBKDF2":
                out.add(R_PYCRYPTODOME, "PBKDF2", line, Usage.KEY_DERIVATION)
            elif name == "scrypt":
                out.add(R_PYCRYPTODOME, "scrypt", line, Usage.KEY_DERIVATION)
            elif name == "HKDF":
                h = self.hash_name(self.arg(call, 3, "hashmod"))
                out.add(R_PYCRYPTODOME, hkdf_name(h), line, Usage.KEY_DERIVATION)
            elif name == "bcrypt":
                out.add(R_PYCRYPTODOME, "bcrypt", line, Usage.KEY_DERIVATION)

    def nacl(self, call: ast.Call, module: str, name: str, line: int) -> None:
        out = self.out
        full = f"{module}.{name}"
        if full.startswith(("nacl.signing.SigningKey", "nacl.signing.VerifyKey")):
            out.add(R_NACL, "Ed25519", line, Usage.SIGNATURE)
        elif full.startswith(("nacl.public.PrivateKey", "nacl.public.Box", "nacl.public.SealedBox", "nacl.public.PublicKey")):
            out.add(R_NACL, "X25519", line, Usage.KEY_EXCHANGE)
        elif full.startswith("nacl.secret.SecretBox"):
            out.add(R_NACL, "XSalsa20-Poly1305", line, Usage.ENCRYPTION)
        elif full.startswith("nacl.secret.Aead"):
            out.add(R_NACL, "XChaCha20-Poly1305", line, Usage.ENCRYPTION)
        elif module == "nacl.hash" and name in ("sha256", "sha512", "blake2b"):
            out.add(R_NACL, name, line, Usage.HASHING)
        elif module.startswith("nacl.pwhash"):
            if "scrypt" in full:
                out.add(R_NACL, "scrypt", line, Usage.KEY_DERIVATION)
            elif name in ("kdf", "str") or "argon2" in module:
                out.add(R_NACL, "Argon2", line, Usage.KEY_DERIVATION)

    def paramiko(self, call: ast.Call, full: str, line: int) -> None:
        parts = full.split(".")
        cls = next((p for p in parts if p.endswith("Key") and p[0].isupper()), None)
        if cls is None:
            return
        method = parts[-1] if parts[-1] != cls else ""
        bits = self.int_arg(call, 0, "bits") if method == "generate" else None
        if cls == "RSAKey":
            self.out.add(R_PARAMIKO, "RSA", line, Usage.SIGNATURE, key_size=bits)
        elif cls == "DSSKey":
            self.out.add(R_PARAMIKO, "DSA", line, Usage.SIGNATURE, key_size=bits)
        elif cls == "ECDSAKey":
            curve = {256: "P-256", 384: "P-384", 521: "P-521"}.get(bits or 0)
            self.out.add(R_PARAMIKO, "ECDSA", line, Usage.SIGNATURE, curve=curve)
        elif cls == "Ed25519Key":
            self.out.add(R_PARAMIKO, "Ed25519", line, Usage.SIGNATURE)


# --------------------------------------------------------------------------- fallback

_FALLBACK_RULES = (
    (re.compile(r"(?<![\w.])hashlib\s*\.\s*(md5|sha1|sha224|sha256|sha384|sha512|sha3_\d+|blake2[bs])\s*\("), Usage.HASHING),
    (re.compile(r"(?<![\w.])hashlib\s*\.\s*new\s*\(\s*['\"]([\w-]+)['\"]"), Usage.HASHING),
    (re.compile(r"(?<![\w.])(?:md5|sha)\s*\.\s*new\s*\(()"), Usage.HASHING),
)


def _fallback(masked: Masked, out: Collector) -> None:
    """Lexical rules for files ``ast`` cannot parse (e.g. Python 2 sources)."""
    code = masked.code
    for rx, usage in _FALLBACK_RULES:
        for m in rx.finditer(code):
            if masked.in_string(m.start()):
                continue
            alg = m.group(1) or ("MD5" if code[m.start() : m.start() + 3].lower() == "md5" else "SHA-1")
            out.add(R_FALLBACK, alg, masked.line_of(m.start()), usage, confidence=Confidence.MEDIUM)


class PythonSourceDetector(SourceDetector):
    """Python source (``ast`` confirm)."""

    id = "source-python"
    description = "Cryptographic API calls in Python source (hashlib, hmac, ssl, cryptography, PyCryptodome, PyNaCl, paramiko, PyJWT, oqs)"
    rules: ClassVar[dict[str, str]] = {
        R_HASHLIB: "hashlib hash, PBKDF2 or scrypt call",
        R_HMAC: "hmac module with its digest",
        R_PYCA_HASH: "pyca cryptography hash algorithm",
        R_PYCA_CIPHER: "pyca cryptography cipher, AEAD or Fernet",
        R_PYCA_ASYM: "pyca cryptography public-key algorithm (RSA, DSA, DH, EC, Ed/X25519, ML-KEM, ML-DSA)",
        R_PYCA_KDF_MAC: "pyca cryptography MAC or KDF",
        R_PYCRYPTODOME: "PyCryptodome cipher, hash, signature, KDF or key generation",
        R_NACL: "PyNaCl box, secret box, signing key, hash or password hash",
        R_PARAMIKO: "paramiko SSH key class",
        R_JWT: "PyJWT algorithm",
        R_OQS: "liboqs-python KEM or signature",
        R_PASSWORD: "bcrypt or argon2 password hashing",
        R_SSL: "ssl context ECDH curve",
        R_FALLBACK: "hash call in a file that does not parse",
    }
    extensions = frozenset({".py", ".pyw"})
    lexer = PYTHON
    keywords: ClassVar[tuple[bytes, ...]] = (
        b"hashlib", b"hmac", b"hazmat", b"cryptography.fernet", b"crypto.", b"cryptodome", b"nacl", b"paramiko",
        b"jwt", b"import oqs", b"bcrypt", b"argon2", b"set_ecdh_curve", b"_sha", b"_md5", b"_blake2",
    )

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        try:
            tree = ast.parse(data)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return super().detect(path, data)
        text = data.decode("utf-8", errors="replace")
        lines = text.splitlines()
        out = Collector(lambda n: lines[n - 1] if 0 < n <= len(lines) else "")
        _Visitor(tree, out).run()
        return out.findings()

    def confirm(self, masked: Masked, out: Collector) -> None:
        _fallback(masked, out)
