"""PHP: the ``openssl_*`` functions, ``hash*``/``md5``/``sha1``, ``password_hash``,
``sodium_*``, legacy ``mcrypt_*`` and phpseclib.

Confirm: lexical. ``//``, ``#`` and ``/* */`` comments are blanked, heredocs and strings
located; a function counts only as a global call, never as a method (``$x->hash(``), a
static call on another class or a definition (``function md5(``). PHP function names
are case-insensitive, and so are these rules.
"""

from __future__ import annotations

import re
from typing import ClassVar

from qrisk.model import Confidence, Usage
from qrisk.scan.detectors.source._common import (
    Collector,
    SourceDetector,
    add_parts,
    cipher_mode,
    hkdf_name,
    hmac_name,
    initializer,
    mode_of,
    resolve_int,
    resolve_str,
    split_args,
)
from qrisk.scan.detectors.source._lex import PHP, Masked
from qrisk.scan.detectors.source.clang import _SODIUM_SKIP, _SODIUM_TABLE

R_OPENSSL = "QR-PHP-001"
R_HASH = "QR-PHP-002"
R_PASSWORD = "QR-PHP-003"
R_SODIUM = "QR-PHP-004"
R_MCRYPT = "QR-PHP-005"
R_PHPSECLIB = "QR-PHP-006"

_FUNCS = (
    "openssl_encrypt|openssl_decrypt|openssl_pkey_new|openssl_sign|openssl_verify|openssl_public_encrypt|"
    "openssl_private_decrypt|openssl_private_encrypt|openssl_public_decrypt|openssl_digest|openssl_pbkdf2|"
    "openssl_dh_compute_key|openssl_seal|openssl_open|openssl_csr_sign|"
    "hash|hash_init|hash_file|hash_hmac|hash_hmac_file|hash_pbkdf2|hash_hkdf|md5|sha1|md5_file|sha1_file|"
    "password_hash|mcrypt_encrypt|mcrypt_decrypt|mcrypt_module_open|mcrypt_generic_init"
)
_CALL = re.compile(rf"(?<![\w$>:\\])\\?(?P<fn>{_FUNCS})\s*\(", re.IGNORECASE)
_SODIUM = re.compile(r"(?<![\w$>:])\\?sodium_crypto_(?P<fn>[a-z0-9_]+)\s*\(", re.IGNORECASE)
_KEYTYPES = {"RSA": "RSA", "EC": "ECDSA", "DSA": "DSA", "DH": "DH", "X25519": "X25519", "ED25519": "Ed25519",
             "X448": "X448", "ED448": "Ed448"}
_MCRYPT = {"RIJNDAEL_128": "AES", "RIJNDAEL_192": "AES", "RIJNDAEL_256": "AES", "DES": "DES", "TRIPLEDES": "3DES",
           "3DES": "3DES", "BLOWFISH": "Blowfish", "RC2": "RC2", "ARCFOUR": "RC4", "CAST_128": "CAST5", "IDEA": "IDEA",
           "SERPENT": "", "TWOFISH": ""}
_PHPSECLIB = re.compile(
    r"(?<![\w$>])(?:new\s+)?\\?(?:[\w\\]+\\)?(?P<cls>RSA|EC|DSA|DH|AES|Rijndael|TripleDES|DES|RC4|RC2|Blowfish|ChaCha20|Hash)"
    r"(?:\s*::\s*(?P<fn>createKey|loadPrivateKey|loadPublicKey|load|createParameters))?\s*\("
)


class PhpSourceDetector(SourceDetector):
    """PHP source (lexical confirm)."""

    id = "source-php"
    description = "openssl, hash, sodium, mcrypt and phpseclib calls in PHP source"
    rules: ClassVar[dict[str, str]] = {
        R_OPENSSL: "openssl_* cipher, key generation, signature, digest or PBKDF2",
        R_HASH: "hash / hash_hmac / hash_pbkdf2 / hash_hkdf / md5 / sha1",
        R_PASSWORD: "password_hash algorithm",
        R_SODIUM: "sodium_crypto_* primitive",
        R_MCRYPT: "legacy mcrypt cipher and mode",
        R_PHPSECLIB: "phpseclib key or cipher class",
    }
    extensions = frozenset({".php", ".phtml", ".php5", ".php7", ".php8", ".inc"})
    lexer = PHP
    keywords: ClassVar[tuple[bytes, ...]] = (
        b"openssl_", b"hash(", b"hash_", b"md5", b"sha1", b"password_hash", b"sodium_crypto_", b"mcrypt_", b"phpseclib",
    )

    def confirm(self, masked: Masked, out: Collector) -> None:
        code = masked.code
        for m in _CALL.finditer(code):
            if masked.in_string(m.start()) or re.search(r"function\s+&?\s*$", code[max(0, m.start() - 20) : m.start()]):
                continue
            args_text = masked.call_args(m.end() - 1)
            if args_text is None:
                continue
            args = split_args(args_text)
            fn = m.group("fn").lower()
            base = m.end()
            line = masked.line_of(m.start())

            def arg_line(i: int, args: list[str] = args, args_text: str = args_text, base: int = base, line: int = line) -> int:
                if i < len(args) and args[i]:
                    return masked.line_of(base + max(0, args_text.find(args[i])))
                return line

            def s(i: int, args: list[str] = args) -> str | None:
                return resolve_str(masked, args[i]) if i < len(args) else None

            if fn in ("openssl_encrypt", "openssl_decrypt"):
                name = s(1)
                if name:
                    out.add(R_OPENSSL, name, arg_line(1), Usage.ENCRYPTION, mode=cipher_mode(name))
            elif fn in ("openssl_seal", "openssl_open"):
                name = s(4)
                out.add(R_OPENSSL, "RSA", line, Usage.ENCRYPTION)
                if name:
                    out.add(R_OPENSSL, name, arg_line(4), Usage.ENCRYPTION, mode=cipher_mode(name))
            elif fn == "openssl_pkey_new":
                self._pkey_new(masked, out, args, line, m.start())
            elif fn in ("openssl_sign", "openssl_verify", "openssl_csr_sign"):
                index = 3 if fn != "openssl_csr_sign" else 4
                self._sig_alg(masked, out, args[index] if len(args) > index else None, arg_line(index), fn != "openssl_csr_sign")
            elif fn in ("openssl_public_encrypt", "openssl_private_decrypt"):
                out.add(R_OPENSSL, "RSA", line, Usage.ENCRYPTION)
            elif fn in ("openssl_private_encrypt", "openssl_public_decrypt"):
                out.add(R_OPENSSL, "RSA", line, Usage.SIGNATURE)
            elif fn == "openssl_digest":
                name = s(1)
                if name:
                    out.add(R_OPENSSL, name, arg_line(1), Usage.HASHING)
            elif fn == "openssl_pbkdf2":
                out.add(R_OPENSSL, "PBKDF2", line, Usage.KEY_DERIVATION)
            elif fn == "openssl_dh_compute_key":
                out.add(R_OPENSSL, "DH", line, Usage.KEY_EXCHANGE)
            elif fn in ("hash", "hash_init", "hash_file"):
                name = s(0)
                if name:
                    out.add(R_HASH, name, arg_line(0), Usage.HASHING)
            elif fn in ("hash_hmac", "hash_hmac_file"):
                out.add(R_HASH, hmac_name(s(0)), arg_line(0), Usage.AUTHENTICATION)
            elif fn == "hash_pbkdf2":
                out.add(R_HASH, "PBKDF2", line, Usage.KEY_DERIVATION)
            elif fn == "hash_hkdf":
                out.add(R_HASH, hkdf_name(s(0)), line, Usage.KEY_DERIVATION)
            elif fn in ("md5", "md5_file"):
                out.add(R_HASH, "MD5", line, Usage.HASHING)
            elif fn in ("sha1", "sha1_file"):
                out.add(R_HASH, "SHA-1", line, Usage.HASHING)
            elif fn == "password_hash":
                const = (args[1] if len(args) > 1 else "").upper()
                if "ARGON2" in const or "'ARGON2" in const:
                    out.add(R_PASSWORD, "Argon2", line, Usage.KEY_DERIVATION)
                elif "BCRYPT" in const or "DEFAULT" in const or const in ("'2Y'", '"2Y"', "1"):
                    out.add(R_PASSWORD, "bcrypt", line, Usage.KEY_DERIVATION)
            elif fn.startswith("mcrypt_"):
                cm = re.search(r"\bMCRYPT_(?!MODE_)(?P<c>\w+)", args_text)
                if cm and _MCRYPT.get(cm.group("c"), ""):
                    mm = re.search(r"\bMCRYPT_MODE_(?P<m>\w+)|['\"](?P<s>cbc|ecb|cfb|ofb|ctr|nofb|stream)['\"]", args_text, re.I)
                    mode = mode_of((mm.group("m") or mm.group("s")) if mm else None)
                    size = {"RIJNDAEL_192": None}.get(cm.group("c"))
                    out.add(R_MCRYPT, _MCRYPT[cm.group("c")], line, Usage.ENCRYPTION, mode=mode, key_size=size)
        for m in _SODIUM.finditer(code):
            fn = m.group("fn").lower()
            if _SODIUM_SKIP.search(fn) or masked.in_string(m.start()):
                continue
            for prefix, alg, usage in _SODIUM_TABLE:
                if fn == prefix or fn.startswith(prefix + "_"):
                    if alg:
                        out.add(R_SODIUM, alg, masked.line_of(m.start()), usage,
                                mode="GCM" if prefix == "aead_aes256gcm" else None)
                    break
        if "phpseclib" in masked.text.lower():
            self._phpseclib(masked, out)

    def _pkey_new(self, masked: Masked, out: Collector, args: list[str], line: int, pos: int) -> None:
        config = args[0] if args else ""
        if re.fullmatch(r"\$\w+", config.strip()):
            config = initializer(masked, config.strip(), pos) or ""
        kt = re.search(r"['\"]private_key_type['\"]\s*=>\s*OPENSSL_KEYTYPE_(?P<t>\w+)", config)
        bits = re.search(r"['\"]private_key_bits['\"]\s*=>\s*(?P<b>[\w$]+)", config)
        curve = re.search(r"['\"]curve_name['\"]\s*=>\s*(?P<c>['\"][^'\"]+['\"])", config)
        alg = _KEYTYPES.get(kt.group("t").upper(), "RSA") if kt else ("ECDSA" if curve else "RSA")
        size = resolve_int(masked, bits.group("b")) if bits else None
        out.add(R_OPENSSL, alg, line, Usage.UNKNOWN if alg in ("RSA", "ECDSA") else None, key_size=size,
                curve=resolve_str(masked, curve.group("c")) if curve else None)

    @staticmethod
    def _sig_alg(masked: Masked, out: Collector, token: str | None, line: int, default_sha1: bool) -> None:
        if token is None or not token.strip():
            if default_sha1:
                out.add(R_OPENSSL, "SHA-1", line, Usage.HASHING, confidence=Confidence.MEDIUM, note="openssl_sign default")
            return
        const = re.search(r"\bOPENSSL_ALGO_(?P<h>\w+)", token)
        if const:
            out.add(R_OPENSSL, const.group("h").replace("_", "-"), line, Usage.HASHING)
            return
        name = resolve_str(masked, token)
        if name:
            add_parts(out, R_OPENSSL, name, line, Usage.HASHING)

    def _phpseclib(self, masked: Masked, out: Collector) -> None:
        for m in _PHPSECLIB.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            cls, fn = m.group("cls"), m.group("fn")
            is_new = m.group(0).lstrip().startswith("new")
            if not (is_new or fn):
                continue
            args = split_args(masked.call_args(m.end() - 1) or "")
            a0 = args[0] if args else ""
            line = masked.line_of(m.start())
            if cls == "RSA":
                out.add(R_PHPSECLIB, "RSA", line, Usage.UNKNOWN, key_size=resolve_int(masked, a0) if fn == "createKey" else None)
            elif cls == "DSA":
                out.add(R_PHPSECLIB, "DSA", line, Usage.SIGNATURE,
                        key_size=resolve_int(masked, a0) if fn in ("createKey", "createParameters") else None)
            elif cls == "DH":
                out.add(R_PHPSECLIB, "DH", line, Usage.KEY_EXCHANGE)
            elif cls == "EC":
                curve = resolve_str(masked, a0) if fn == "createKey" else None
                if curve and curve.lower() in ("ed25519", "ed448"):
                    out.add(R_PHPSECLIB, curve, line, Usage.SIGNATURE)
                elif curve and curve.lower() in ("curve25519", "curve448"):
                    out.add(R_PHPSECLIB, curve, line, Usage.KEY_EXCHANGE)
                else:
                    out.add(R_PHPSECLIB, "ECDSA", line, Usage.UNKNOWN, curve=curve)
            elif cls == "Hash" and is_new:
                name = resolve_str(masked, a0)
                if name:
                    out.add(R_PHPSECLIB, name, line, Usage.HASHING)
            elif is_new:
                alg = {"Rijndael": "AES", "TripleDES": "3DES"}.get(cls, cls)
                out.add(R_PHPSECLIB, alg, line, Usage.ENCRYPTION, mode=mode_of(resolve_str(masked, a0)))
