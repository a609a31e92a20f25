"""Python: ``hashlib``, ``hmac``, ``ssl``, pyca ``cryptography``, PyCryptodome, PyNaCl,
paramiko, PyJWT, liboqs-python, bcrypt and argon2-cffi calls, confirmed with ``ast``.

Names are resolved through the file's imports (``from cryptography.hazmat.primitives
import hashes`` makes ``hashes.SHA256()`` a pyca call), so look-alike identifiers,
comments, docstrings and prose never count. A file that does not parse (Python 2, a
template) falls back to a few lexical rules on the comment-free text.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable
from typing import ClassVar

from qrisk.model import Confidence, Usage
from qrisk.scan.detectors.base import DetectorOutput
from qrisk.scan.detectors.source._common import (
    Collector,
    SourceDetector,
    add_parts,
    canonical,
    hkdf_name,
    hmac_name,
    mode_of,
)
from qrisk.scan.detectors.source._lex import PYTHON, Masked

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
R_PYTHON_RSA = "QR-PY-015"

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
_PYTHON_RSA = {"newkeys": Usage.UNKNOWN, "sign": Usage.SIGNATURE, "sign_hash": Usage.SIGNATURE,
               "verify": Usage.SIGNATURE, "encrypt": Usage.ENCRYPTION, "decrypt": Usage.ENCRYPTION}
_KEY_FUNCS = {  # calls that return key bytes of a stated length (bytes)
    "os.urandom", "secrets.token_bytes", "Crypto.Random.get_random_bytes", "nacl.utils.random",
}


def _walk(root: ast.AST) -> list[ast.AST]:
    """Every node under ``root``, parents before children (faster than :func:`ast.walk`)."""
    out: list[ast.AST] = []
    stack = [root]
    ast_type = ast.AST
    while stack:
        node = stack.pop()
        out.append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(v for v in reversed(value) if isinstance(v, ast_type))
            elif isinstance(value, ast_type):
                stack.append(value)
    return out


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


_FAILURE_CONTEXTS = frozenset({"assertRaises", "assertRaisesRegex", "assertRaisesRegexp", "assertWarns",
                               "assertWarnsRegex", "raises", "warns"})


def _expects_failure(expr: ast.AST) -> bool:
    """``self.assertRaises(...)``, ``pytest.raises(...)``, ``pytest.warns(...)`` as a context manager."""
    if not isinstance(expr, ast.Call):
        return False
    func = expr.func
    name = func.attr if isinstance(func, ast.Attribute) else (func.id if isinstance(func, ast.Name) else "")
    return name in _FAILURE_CONTEXTS


class _Visitor:
    def __init__(self, tree: ast.AST, out: Collector, values: dict[str, ast.AST] | None = None) -> None:
        self.out = out
        self.imports: dict[str, str] = {}
        self.constants: dict[str, ast.AST] = dict(values or {})
        self.consumed: set[int] = set()
        self.mode_for: dict[int, str] = {}
        self.imports_ssl = False
        # one pass over the nodes, dispatching on the exact node type (ast classes are final)
        failing: set[int] = set()
        calls: list[ast.Call] = []
        self.table_entries: set[int] = set()
        for node in _walk(tree):
            t = type(node)
            if t is ast.Call:
                calls.append(node)  # type: ignore[arg-type]
            elif t is ast.Import:
                for a in node.names:  # type: ignore[attr-defined]
                    if a.asname:
                        self.imports[a.asname] = a.name
                    else:
                        head = a.name.split(".", 1)[0]
                        self.imports.setdefault(head, head)
                    if a.name == "ssl":
                        self.imports_ssl = True
            elif t is ast.ImportFrom:
                if node.module and node.level == 0:  # type: ignore[attr-defined]
                    for a in node.names:  # type: ignore[attr-defined]
                        self.imports[a.asname or a.name] = f"{node.module}.{a.name}"  # type: ignore[attr-defined]
                    if node.module == "ssl":  # type: ignore[attr-defined]
                        self.imports_ssl = True
            elif t is ast.Assign:
                if len(node.targets) == 1 and type(node.targets[0]) is ast.Name:  # type: ignore[attr-defined]
                    self.constants[node.targets[0].id] = node.value  # type: ignore[attr-defined]
            elif t is ast.With or t is ast.AsyncWith:
                # Calls written to fail (``with self.assertRaises(TypeError): hashlib.scrypt(b"x")``)
                # compute nothing: the file's other calls carry the evidence.
                if any(_expects_failure(i.context_expr) for i in node.items):  # type: ignore[attr-defined]
                    for stmt in node.body:  # type: ignore[attr-defined]
                        failing.update(id(n) for n in _walk(stmt) if type(n) is ast.Call)
            elif t is ast.Dict or t is ast.List or t is ast.Tuple or t is ast.Set:
                # ``{OID.RSA_WITH_MD5: hashes.MD5(), …}``: an entry of a lookup table states what the
                # code supports rather than a call site; kept, with low confidence and a note
                elements = node.values if t is ast.Dict else node.elts  # type: ignore[attr-defined]
                if len(elements) >= 3:
                    self.table_entries.update(id(e) for e in elements if type(e) is ast.Call)
        self.calls = [n for n in calls if id(n) not in failing] if failing else calls

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
            if id(call) in self.table_entries:
                real, self.out = self.out, _Qualified(self.out, Confidence.LOW, "lookup-table entry")  # type: ignore[assignment]
                try:
                    self.dispatch(call, full)
                finally:
                    self.out = real
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
        elif module == "rsa" and name in _PYTHON_RSA:
            self.python_rsa(call, name, line)
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
        not_security = self.const(self.arg(call, None, "usedforsecurity")) is False
        if not_security:
            out = _Qualified(out, Confidence.MEDIUM, "usedforsecurity=False")  # type: ignore[assignment]
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
        elif (module in ("cryptography.fernet",) and name in ("Fernet", "MultiFernet")) or (
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

    def python_rsa(self, call: ast.Call, name: str, line: int) -> None:
        """python-rsa (``import rsa``): ``rsa.newkeys(2048)``, ``rsa.sign(msg, key, "SHA-256")``."""
        usage = _PYTHON_RSA[name]
        bits = self.int_arg(call, 0, "nbits") if name == "newkeys" else None
        self.out.add(R_PYTHON_RSA, "RSA", line, usage, key_size=bits)
        if name in ("sign", "compute_hash"):
            h = self.str_arg(call, 2 if name == "sign" else 1, "hash_method", "method_name")
            if h:
                self.out.add(R_PYTHON_RSA, h, line, Usage.HASHING)

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


class _Qualified:
    """Collector proxy that lowers the confidence of what it adds and attaches a note
    (``hashlib.md5(usedforsecurity=False)``, entries of lookup tables)."""

    def __init__(self, out: Collector | _Qualified, confidence: Confidence, note: str) -> None:
        self._out = out
        self._confidence = confidence
        self._note = note

    def add(self, rule_id: str, algorithm: str, line: int, usage: Usage | None = None, **kw: object) -> object:
        kw["confidence"] = self._confidence
        kw["note"] = self._note
        return self._out.add(rule_id, algorithm, line, usage, **kw)  # type: ignore[arg-type]


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


# --------------------------------------------------------------------------- windows

# Modules whose import makes a file worth parsing (``import hashlib``, ``from cryptography…``).
_RELEVANT_IMPORT = re.compile(
    rb"^[ \t]*(?:import|from)[ \t]+(?:hashlib|hmac|cryptography|Crypto|Cryptodome|nacl|paramiko|jwt|oqs|bcrypt|"
    rb"argon2|ssl|rsa|_sha\w*|_md5|_blake2|_hashlib)\b",
    re.MULTILINE,
)
_IMPORT_STMT = re.compile(
    r"^[ \t]*(?:from[ \t]+[\w.]+[ \t]+import[ \t]*(?:\([^)]*\)|[^\n]*)|import[ \t]+[^\n]*)", re.MULTILINE
)
# Module-level constants and key variables: ``KEY_BITS = 3072``, ``DATA_KEY = os.urandom(32)``.
_CONSTANT = re.compile(
    r"^[A-Za-z_]\w*[ \t]*(?::[^=\n]+)?=[ \t]*(?:-?\d[\w.]*|[rbuRBU]?'[^'\n]*'|[rbuRBU]?\"[^\"\n]*\"|"
    r"[A-Za-z_][\w.]*\([^()\n]*\))[ \t]*$",
    re.MULTILINE,
)
_HEADER = re.compile(r"[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]")
_CONTINUES = ("(", "[", "{", ",", "\\", "+", "-", "*", "/", "%", "|", "&", "=", ":", ".")
_CLAUSES = ("else", "elif", "except", "finally", "case", ")", "]", "}")
_WINDOW_FAILED = object()


class _Source:
    """Lines of a file with the comments blanked, and which lines begin inside a string."""

    def __init__(self, text: str) -> None:
        self.masked = PYTHON.mask(text)
        self.text = text
        self.lines = self.masked.code.split("\n")
        self.text_lines = text.split("\n")
        starts = [0, *itertools.accumulate(len(line) + 1 for line in self.text_lines)]
        self.line_starts = starts
        self.masked._newlines = [x - 1 for x in starts[1:-1]]

    def is_code(self, i: int) -> bool:
        """A non-blank line whose first character is not inside a string that began earlier."""
        line = self.lines[i]
        stripped = line.lstrip(" \t")
        if not stripped:
            return False
        pos = self.line_starts[i] + len(line) - len(stripped)
        span = self.masked.string_at(pos)
        return span is None or span[0] >= self.line_starts[i]


# ``ssl`` is imported by most network code; only its ``set_ecdh_curve`` matters (matched by name).
_WINDOW_MODULES = frozenset({"hashlib", "hmac", "cryptography", "Crypto", "Cryptodome", "nacl", "paramiko", "jwt", "oqs",
                             "bcrypt", "argon2", "rsa", "_hashlib", "_md5", "_blake2"})


def _relevant_module(module: str) -> bool:
    root = module.split(".", 1)[0]
    return root in _WINDOW_MODULES or root.startswith("_sha")


def _is_fstring(text: str, start: int) -> bool:
    """Whether the string literal at ``start`` is an f-string (its expressions are code)."""
    return "f" in text[start : start + 3].split("'")[0].split('"')[0].lower()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _block_bounds(src: _Source, i: int) -> tuple[int, int]:
    """0-based [start, end) of the innermost ``def``/``class`` around line ``i``, else of the
    top-level statement around it (walking out through enclosing blocks)."""
    lines = src.lines
    current = _indent(lines[i])
    start = i
    base = 0
    j = i - 1
    while current > 0 and j >= 0:
        if src.is_code(j):
            ind = _indent(lines[j])
            if ind < current:
                if _HEADER.match(lines[j]):
                    start, base = j, ind
                    break
                current = ind
                start = j
        j -= 1
    else:
        base = 0
    if base == 0 and not _HEADER.match(lines[start]):
        while start > 0 and not (src.is_code(start) and _indent(lines[start]) == 0
                                 and not lines[start].lstrip().startswith(_CLAUSES)):
            start -= 1
    end = max(start, i) + 1
    last_code = lines[end - 1].rstrip()
    while end < len(lines):
        if src.is_code(end):
            line = lines[end]
            if _indent(line) <= base and not line.lstrip().startswith(_CLAUSES) and not last_code.endswith(_CONTINUES):
                break
            last_code = line.rstrip()
        end += 1
    return start, end


def _parse_window(src: _Source, start: int, end: int) -> ast.Module | None:
    text_lines = src.text_lines[start:end]
    base = _indent(text_lines[0]) if text_lines else 0
    # leading newlines put the window at its real line numbers without a pass over the tree
    body = "\n" * start + "\n".join(line[base:] if not line[:base].strip() else line for line in text_lines)
    try:
        return ast.parse(body)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _parse_statements(snippets: list[str]) -> list[ast.stmt]:
    """Parse independent one-statement snippets (imports, constants) together, else one by one."""
    if not snippets:
        return []
    try:
        return ast.parse("\n".join(snippets)).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        out: list[ast.stmt] = []
        for snippet in snippets:
            try:
                out.extend(ast.parse(snippet).body)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
        return out


def _windowed_tree(text: str) -> tuple[ast.Module, dict[str, ast.AST]] | None:
    """A module holding only what is worth examining: the import statements, simple module-level
    constants (``KEY_BITS = 3072``), and the innermost function or top-level statement around
    every use of an imported name, with the values of module-level names. Strings and
    comments never start a window. None when a window does not parse (the caller then
    parses the whole file)."""
    src = _Source(text)
    code = src.masked.code
    imports: list[str] = []
    for m in _IMPORT_STMT.finditer(code):
        if not src.is_code(src.masked.line_of(m.start()) - 1):
            continue
        imports.append(" ".join(m.group(0).split()))
    import_nodes = [n for n in _parse_statements(imports) if isinstance(n, (ast.Import, ast.ImportFrom))]
    names: set[str] = set()
    for n in import_nodes:
        if isinstance(n, ast.ImportFrom):
            if n.module and n.level == 0 and _relevant_module(n.module):
                names.update(a.asname or a.name for a in n.names)
        else:
            names.update((a.asname or a.name).split(".")[0] for a in n.names if _relevant_module(a.name))
    body: list[ast.stmt] = list(import_nodes)
    alternatives = [rf"(?<![\w.])(?:{'|'.join(re.escape(n) for n in sorted(names))})\b[ \t]*[.(]"] if names else []
    if "set_ecdh_curve" in code:
        alternatives.append("set_ecdh_curve")
    if not alternatives:
        # no crypto module imported in code (only in strings or comments): no call to examine
        return ast.Module(body=body, type_ignores=[]), {}
    constants = [
        m.group(0).strip()
        for m in _CONSTANT.finditer(code)
        if src.is_code(src.masked.line_of(m.start()) - 1)
    ]
    # parsed out of place (wrong line numbers): used only as values, never searched for calls
    assigns = [n for n in _parse_statements(constants) if isinstance(n, ast.Assign)]
    known_values: dict[str, ast.AST] = {
        n.targets[0].id: n.value for n in assigns if len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)
    }
    use = re.compile("|".join(alternatives))
    windows: list[tuple[int, int]] = []
    covered = bytearray(len(src.lines) + 1)
    for m in use.finditer(code):
        i = src.masked.line_of(m.start()) - 1
        if covered[i] or _IMPORT_STMT.match(src.lines[i]):
            continue
        span = src.masked.string_at(m.start())
        if span is not None and not _is_fstring(src.text, span[0]):
            continue
        start, end = _block_bounds(src, i)
        covered[start:end] = b"\x01" * (end - start)
        windows.append((start, end))
    windows.sort(key=lambda w: (w[0], -w[1]))
    kept: list[tuple[int, int]] = []
    for w in windows:
        if not kept or w[1] > kept[-1][1] or w[0] >= kept[-1][1]:
            if kept and w[0] < kept[-1][1]:  # overlapping: merge
                kept[-1] = (kept[-1][0], w[1])
            else:
                kept.append(w)
    for start, end in kept:
        tree = _parse_window(src, start, end)
        if tree is None:
            return None
        body.extend(tree.body)
    return ast.Module(body=body, type_ignores=[]), known_values


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
        R_PYTHON_RSA: "python-rsa key generation, signature or encryption",
    }
    extensions = frozenset({".py", ".pyw"})
    lexer = PYTHON
    keywords: ClassVar[tuple[bytes, ...]] = (
        b"hashlib", b"hmac", b"hazmat", b"cryptography.fernet", b"crypto.", b"cryptodome", b"nacl", b"paramiko",
        b"jwt", b"import oqs", b"import rsa", b"bcrypt", b"argon2", b"set_ecdh_curve", b"import _sha", b"from _sha",
        b"import _md5", b"from _md5", b"_blake2 import", b"import _blake2",
    )

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        if not _RELEVANT_IMPORT.search(data):
            return []  # no crypto module is imported: no call can resolve to one
        text = data.decode("utf-8", errors="replace")
        lines = text.split("\n")
        out = Collector(lambda n: lines[n - 1] if 0 < n <= len(lines) else "")
        windowed = _windowed_tree(text)
        values: dict[str, ast.AST] = {}
        if windowed is None:
            try:
                tree = ast.parse(data)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                return super().detect(path, data)
        else:
            tree, values = windowed
        _Visitor(tree, out, values).run()
        return out.findings()

    def confirm(self, masked: Masked, out: Collector) -> None:
        _fallback(masked, out)
