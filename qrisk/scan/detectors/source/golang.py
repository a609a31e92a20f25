"""Go: the standard library's ``crypto/*`` packages and ``golang.org/x/crypto``.

Confirm: lexical. The file's import block maps local package names to import paths, so
``sha256.Sum256(…)`` counts only where ``crypto/sha256`` (or an alias of it) is imported;
a local variable that happens to be called ``md5`` never does. Calls are matched on the
comment-free text, outside string and raw-string literals.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from qrisk.model import Usage
from qrisk.scan.detectors.source._common import (
    Collector,
    SourceDetector,
    hkdf_name,
    hmac_name,
    resolve_int,
    split_args,
    sym_key_bits,
)
from qrisk.scan.detectors.source._lex import GO, Masked

R_HASH = "QR-GO-001"
R_RSA = "QR-GO-002"
R_EC = "QR-GO-003"
R_EDWARDS = "QR-GO-004"
R_CIPHER = "QR-GO-005"
R_MAC_KDF = "QR-GO-006"
R_TLS = "QR-GO-007"
R_PQC = "QR-GO-008"
R_DSA = "QR-GO-009"

_X = "golang.org/x/crypto/"


@dataclass(frozen=True)
class _Spec:
    rule: str
    algorithm: str
    usage: Usage
    size_arg: int | None = None
    """Index of the argument holding the key size."""
    kind: str = ""
    """Special handling: ``curve``, ``hashref``, ``block``, ``dsa``, ``ref`` (not a call)."""


def _hashes(path: str, table: dict[str, str]) -> dict[tuple[str, str], _Spec]:
    return {(path, fn): _Spec(R_HASH, alg, Usage.HASHING) for fn, alg in table.items()}


_SHA3 = {
    "New224": "SHA3-224", "New256": "SHA3-256", "New384": "SHA3-384", "New512": "SHA3-512", "Sum224": "SHA3-224",
    "Sum256": "SHA3-256", "Sum384": "SHA3-384", "Sum512": "SHA3-512", "NewLegacyKeccak256": "Keccak-256",
    "NewLegacyKeccak512": "Keccak-512", "NewShake128": "SHAKE128", "NewShake256": "SHAKE256", "ShakeSum128": "SHAKE128",
    "ShakeSum256": "SHAKE256", "NewCShake128": "SHAKE128", "NewCShake256": "SHAKE256", "SumSHAKE128": "SHAKE128",
    "SumSHAKE256": "SHAKE256", "NewSHAKE128": "SHAKE128", "NewSHAKE256": "SHAKE256", "New": "SHA3-256",
}
_BLAKE2B = {k: "BLAKE2b" for k in ("New", "New256", "New384", "New512", "Sum256", "Sum384", "Sum512", "NewXOF")}
_BLAKE2S = {k: "BLAKE2s" for k in ("New128", "New256", "Sum256", "NewXOF")}

# Hash constructors by (import path, function); used for calls and for hash references.
_HASH_FUNCS: dict[tuple[str, str], str] = {}
for _path, _table in (
    ("crypto/sha256", {"New": "SHA-256", "Sum256": "SHA-256", "New224": "SHA-224", "Sum224": "SHA-224"}),
    ("crypto/sha512", {"New": "SHA-512", "Sum512": "SHA-512", "New384": "SHA-384", "Sum384": "SHA-384",
                       "New512_224": "SHA-512/224", "Sum512_224": "SHA-512/224", "New512_256": "SHA-512/256",
                       "Sum512_256": "SHA-512/256"}),
    ("crypto/sha1", {"New": "SHA-1", "Sum": "SHA-1"}),
    ("crypto/md5", {"New": "MD5", "Sum": "MD5"}),
    ("crypto/sha3", _SHA3),
    (_X + "sha3", _SHA3),
    (_X + "blake2b", _BLAKE2B),
    (_X + "blake2s", _BLAKE2S),
    (_X + "md4", {"New": "MD4"}),
    (_X + "ripemd160", {"New": "RIPEMD-160"}),
    ("github.com/zeebo/blake3", {"New": "BLAKE3", "Sum256": "BLAKE3", "Sum512": "BLAKE3"}),
    ("lukechampine.com/blake3", {"New": "BLAKE3", "Sum256": "BLAKE3", "Sum512": "BLAKE3"}),
):
    for _fn, _alg in _table.items():
        _HASH_FUNCS[(_path, _fn)] = _alg

_CRYPTO_HASH_CONSTS = {
    "MD4": "MD4", "MD5": "MD5", "SHA1": "SHA-1", "SHA224": "SHA-224", "SHA256": "SHA-256", "SHA384": "SHA-384",
    "SHA512": "SHA-512", "MD5SHA1": "MD5-SHA1", "RIPEMD160": "RIPEMD-160", "SHA3_224": "SHA3-224",
    "SHA3_256": "SHA3-256", "SHA3_384": "SHA3-384", "SHA3_512": "SHA3-512", "SHA512_224": "SHA-512/224",
    "SHA512_256": "SHA-512/256", "BLAKE2s_256": "BLAKE2s", "BLAKE2b_256": "BLAKE2b", "BLAKE2b_384": "BLAKE2b",
    "BLAKE2b_512": "BLAKE2b",
}

_SPECS: dict[tuple[str, str], _Spec] = {
    **{k: _Spec(R_HASH, v, Usage.HASHING) for k, v in _HASH_FUNCS.items()},
    **{("crypto", k): _Spec(R_HASH, v, Usage.HASHING, kind="ref") for k, v in _CRYPTO_HASH_CONSTS.items()},
    ("crypto/rsa", "GenerateKey"): _Spec(R_RSA, "RSA", Usage.UNKNOWN, size_arg=1),
    ("crypto/rsa", "GenerateMultiPrimeKey"): _Spec(R_RSA, "RSA", Usage.UNKNOWN, size_arg=2),
    **{("crypto/rsa", f): _Spec(R_RSA, "RSA", Usage.SIGNATURE) for f in ("SignPKCS1v15", "SignPSS", "VerifyPKCS1v15", "VerifyPSS")},
    **{("crypto/rsa", f): _Spec(R_RSA, "RSA", Usage.ENCRYPTION) for f in (
        "EncryptOAEP", "DecryptOAEP", "EncryptPKCS1v15", "DecryptPKCS1v15", "DecryptPKCS1v15SessionKey")},
    ("crypto/ecdsa", "GenerateKey"): _Spec(R_EC, "ECDSA", Usage.SIGNATURE, kind="curve"),
    **{("crypto/ecdsa", f): _Spec(R_EC, "ECDSA", Usage.SIGNATURE) for f in ("Sign", "SignASN1", "Verify", "VerifyASN1")},
    ("crypto/elliptic", "GenerateKey"): _Spec(R_EC, "ECDH", Usage.KEY_EXCHANGE, kind="curve"),
    ("crypto/ecdh", "P256"): _Spec(R_EC, "ECDH-P256", Usage.KEY_EXCHANGE),
    ("crypto/ecdh", "P384"): _Spec(R_EC, "ECDH-P384", Usage.KEY_EXCHANGE),
    ("crypto/ecdh", "P521"): _Spec(R_EC, "ECDH-P521", Usage.KEY_EXCHANGE),
    ("crypto/ecdh", "X25519"): _Spec(R_EC, "X25519", Usage.KEY_EXCHANGE),
    **{(p, f): _Spec(R_EDWARDS, "Ed25519", Usage.SIGNATURE) for p in ("crypto/ed25519", _X + "ed25519")
       for f in ("GenerateKey", "Sign", "Verify", "VerifyWithOptions", "NewKeyFromSeed")},
    **{(_X + "curve25519", f): _Spec(R_EDWARDS, "X25519", Usage.KEY_EXCHANGE) for f in ("X25519", "ScalarMult", "ScalarBaseMult")},
    **{(_X + "nacl/box", f): _Spec(R_EDWARDS, "X25519", Usage.KEY_EXCHANGE) for f in (
        "GenerateKey", "Seal", "Open", "Precompute", "SealAnonymous", "OpenAnonymous")},
    **{(_X + "nacl/secretbox", f): _Spec(R_CIPHER, "XSalsa20-Poly1305", Usage.ENCRYPTION) for f in ("Seal", "Open")},
    **{(_X + "nacl/sign", f): _Spec(R_EDWARDS, "Ed25519", Usage.SIGNATURE) for f in ("GenerateKey", "Sign", "Open")},
    ("crypto/dsa", "GenerateParameters"): _Spec(R_DSA, "DSA", Usage.SIGNATURE, kind="dsa"),
    **{("crypto/dsa", f): _Spec(R_DSA, "DSA", Usage.SIGNATURE) for f in ("Sign", "Verify")},
    ("crypto/aes", "NewCipher"): _Spec(R_CIPHER, "AES", Usage.ENCRYPTION, kind="block"),
    ("crypto/des", "NewCipher"): _Spec(R_CIPHER, "DES", Usage.ENCRYPTION, kind="block"),
    ("crypto/des", "NewTripleDESCipher"): _Spec(R_CIPHER, "3DES", Usage.ENCRYPTION, kind="block"),
    ("crypto/rc4", "NewCipher"): _Spec(R_CIPHER, "RC4", Usage.ENCRYPTION),
    (_X + "blowfish", "NewCipher"): _Spec(R_CIPHER, "Blowfish", Usage.ENCRYPTION, kind="block"),
    (_X + "blowfish", "NewSaltedCipher"): _Spec(R_CIPHER, "Blowfish", Usage.ENCRYPTION, kind="block"),
    (_X + "cast5", "NewCipher"): _Spec(R_CIPHER, "CAST5", Usage.ENCRYPTION, kind="block"),
    (_X + "chacha20poly1305", "New"): _Spec(R_CIPHER, "ChaCha20-Poly1305", Usage.ENCRYPTION),
    (_X + "chacha20poly1305", "NewX"): _Spec(R_CIPHER, "XChaCha20-Poly1305", Usage.ENCRYPTION),
    (_X + "chacha20", "NewUnauthenticatedCipher"): _Spec(R_CIPHER, "ChaCha20", Usage.ENCRYPTION),
    (_X + "salsa20", "XORKeyStream"): _Spec(R_CIPHER, "Salsa20", Usage.ENCRYPTION),
    ("crypto/hmac", "New"): _Spec(R_MAC_KDF, "HMAC", Usage.AUTHENTICATION, kind="hashref"),
    **{(p, "Key"): _Spec(R_MAC_KDF, "PBKDF2", Usage.KEY_DERIVATION, kind="consume") for p in ("crypto/pbkdf2", _X + "pbkdf2")},
    **{(p, f): _Spec(R_MAC_KDF, "HKDF", Usage.KEY_DERIVATION, kind="hashref") for p in ("crypto/hkdf", _X + "hkdf")
       for f in ("New", "Extract", "Expand", "Key")},
    (_X + "scrypt", "Key"): _Spec(R_MAC_KDF, "scrypt", Usage.KEY_DERIVATION),
    (_X + "argon2", "IDKey"): _Spec(R_MAC_KDF, "Argon2", Usage.KEY_DERIVATION),
    (_X + "argon2", "Key"): _Spec(R_MAC_KDF, "Argon2", Usage.KEY_DERIVATION),
    (_X + "bcrypt", "GenerateFromPassword"): _Spec(R_MAC_KDF, "bcrypt", Usage.KEY_DERIVATION),
    (_X + "bcrypt", "CompareHashAndPassword"): _Spec(R_MAC_KDF, "bcrypt", Usage.KEY_DERIVATION),
    **{("crypto/mlkem", f): _Spec(R_PQC, "ML-KEM-768", Usage.KEY_EXCHANGE) for f in (
        "GenerateKey768", "NewDecapsulationKey768", "NewEncapsulationKey768")},
    **{("crypto/mlkem", f): _Spec(R_PQC, "ML-KEM-1024", Usage.KEY_EXCHANGE) for f in (
        "GenerateKey1024", "NewDecapsulationKey1024", "NewEncapsulationKey1024")},
    **{("crypto/tls", c): _Spec(R_TLS, a, Usage.KEY_EXCHANGE, kind="ref") for c, a in (
        ("CurveP256", "ECDH-P256"), ("CurveP384", "ECDH-P384"), ("CurveP521", "ECDH-P521"), ("X25519", "X25519"),
        ("X25519MLKEM768", "X25519MLKEM768"), ("SecP256r1MLKEM768", "SecP256r1MLKEM768"),
        ("SecP384r1MLKEM1024", "SecP384r1MLKEM1024"), ("X25519Kyber768Draft00", "X25519Kyber768Draft00"))},
}
_MODE_CALL = re.compile(
    r"\.\s*(?P<mode>NewGCM|NewGCMWithNonceSize|NewGCMWithTagSize|NewGCMWithRandomNonce|NewCBCEncrypter|NewCBCDecrypter|"
    r"NewCTR|NewCFBEncrypter|NewCFBDecrypter|NewOFB)\s*\(\s*(?P<var>\w+)\s*[,)]"
)
_GO_MODES = {"NewGCM": "GCM", "NewGCMWithNonceSize": "GCM", "NewGCMWithTagSize": "GCM", "NewGCMWithRandomNonce": "GCM",
             "NewCBCEncrypter": "CBC", "NewCBCDecrypter": "CBC", "NewCTR": "CTR", "NewCFBEncrypter": "CFB",
             "NewCFBDecrypter": "CFB", "NewOFB": "OFB"}
_IMPORT_BLOCK = re.compile(r"\bimport\s*\(([^)]*)\)")
_IMPORT_ONE = re.compile(r"\bimport\s+(?:(?P<alias>[\w.]+)\s+)?\"(?P<path>[^\"]+)\"")
_IMPORT_LINE = re.compile(r"(?:(?P<alias>[\w.]+)\s+)?\"(?P<path>[^\"]+)\"")
_SELECTOR = re.compile(r"(?<![\w.])(?P<pkg>[A-Za-z_]\w*)\s*\.\s*(?P<name>[A-Z]\w*)")
_CURVE = re.compile(r"\bP(224|256|384|521)\s*\(")
_DSA_SIZES = re.compile(r"\bL(1024|2048|3072)N(160|224|256)\b")


def _imports(code: str) -> dict[str, str]:
    out: dict[str, str] = {}
    entries: list[re.Match[str]] = []
    for block in _IMPORT_BLOCK.finditer(code):
        entries.extend(_IMPORT_LINE.finditer(block.group(1)))
    entries.extend(_IMPORT_ONE.finditer(code))
    for e in entries:
        path = e.group("path")
        alias = e.group("alias")
        if alias in ("_", "."):
            continue
        name = alias or path.rstrip("/").rsplit("/", 1)[-1]
        if re.fullmatch(r"v\d+", name):
            name = path.rstrip("/").rsplit("/", 2)[-2]
        out[name] = path
    return out


class GoSourceDetector(SourceDetector):
    """Go source (lexical confirm with import resolution)."""

    id = "source-go"
    description = "crypto/* and golang.org/x/crypto calls in Go source"
    rules: ClassVar[dict[str, str]] = {
        R_HASH: "hash function (crypto/sha256, md5, sha1, sha3, blake2…) or crypto.Hash constant",
        R_RSA: "crypto/rsa key generation, signature or encryption",
        R_EC: "crypto/ecdsa, crypto/ecdh or crypto/elliptic with its curve",
        R_EDWARDS: "Ed25519 or X25519 (crypto/ed25519, x/crypto curve25519, nacl box/sign)",
        R_CIPHER: "block or stream cipher (crypto/aes, des, rc4, x/crypto chacha20poly1305…) with its mode",
        R_MAC_KDF: "HMAC, HKDF, PBKDF2, scrypt, Argon2 or bcrypt",
        R_TLS: "crypto/tls curve or hybrid group preference",
        R_PQC: "crypto/mlkem",
        R_DSA: "crypto/dsa with its parameter size",
    }
    extensions = frozenset({".go"})
    lexer = GO
    keywords: ClassVar[tuple[bytes, ...]] = (b'"crypto/', b'"golang.org/x/crypto/', b"blake3\"")

    def confirm(self, masked: Masked, out: Collector) -> None:
        code = masked.code
        imports = _imports(code)
        if not imports:
            return
        consumed: list[tuple[int, int]] = []
        for m in _SELECTOR.finditer(code):
            path = imports.get(m.group("pkg"))
            if path is None:
                continue
            spec = _SPECS.get((path, m.group("name")))
            if spec is None or masked.in_string(m.start()) or any(a <= m.start() < b for a, b in consumed):
                continue
            after = code[m.end() : m.end() + 40].lstrip()
            is_call = after.startswith("(")
            if spec.kind != "ref" and not is_call:
                continue
            line = masked.line_of(m.start())
            args_text = masked.call_args(m.end() + code[m.end() :].find("(")) if is_call else None
            args = split_args(args_text) if args_text else []
            if args_text is not None:
                open_at = m.end() + code[m.end() :].find("(")
                span = (open_at, open_at + len(args_text) + 2)
            else:
                span = (m.end(), m.end())
            alg = spec.algorithm
            size = resolve_int(masked, args[spec.size_arg]) if spec.size_arg is not None and len(args) > spec.size_arg else None
            curve = None
            mode = None
            if spec.kind == "curve" and args:
                cm = _CURVE.search(args[0])
                curve = f"P-{cm.group(1)}" if cm else None
                if cm:
                    consumed.append(span)
            elif spec.kind == "dsa" and len(args) >= 3:
                dm = _DSA_SIZES.search(args[2])
                size = int(dm.group(1)) if dm else None
            elif spec.kind in ("hashref", "consume"):
                consumed.append(span)
                if spec.kind == "hashref" and args:
                    h = self._hash_ref(args[0], imports)
                    alg = hmac_name(h) if spec.algorithm == "HMAC" else hkdf_name(h)
            elif spec.kind == "block":
                if args:
                    size = sym_key_bits(masked, args[0], m.start())
                mode = self._mode(masked, m)
            out.add(spec.rule, alg, line, spec.usage, key_size=size, curve=curve, mode=mode)

    @staticmethod
    def _hash_ref(arg: str, imports: dict[str, str]) -> str | None:
        for m in _SELECTOR.finditer(arg):
            path = imports.get(m.group("pkg"))
            if path == "crypto":
                return _CRYPTO_HASH_CONSTS.get(m.group("name"))
            if path is not None:
                h = _HASH_FUNCS.get((path, m.group("name")))
                if h:
                    return h
        return None

    @staticmethod
    def _mode(masked: Masked, m: re.Match[str]) -> str | None:
        code = masked.code
        start_of_line = code.rfind("\n", 0, m.start()) + 1
        var = re.search(r"(?P<v>\w+)\s*(?:,\s*\w+\s*)?:?=\s*$", code[start_of_line : m.start()])
        if not var:
            return None
        for mm in _MODE_CALL.finditer(code, m.end()):
            if mm.group("var") == var.group("v"):
                return _GO_MODES[mm.group("mode")]
        return None


__all__ = ["GoSourceDetector"]
