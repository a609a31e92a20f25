"""C and C++: OpenSSL (EVP getters and fetches, ``EVP_PKEY`` key generation, the legacy
``RSA_*``/``AES_*``/``MD5`` APIs, TLS group lists) and libsodium.

Confirm: lexical. Comments are blanked by the C lexer and calls inside string literals do
not count. Key sizes and curves set on a key-generation context
(``EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072)``) join the nearest key-generation finding
above them. Digests passed to HMAC, PBKDF2 or HKDF become one finding (``HMAC-SHA256``).
The all-caps legacy one-shots (``MD5(``, ``SHA1(``, ``RC4(``) count only in files that
include an OpenSSL header, because those names are common macro names elsewhere.
"""

from __future__ import annotations

import re
from typing import ClassVar

from qrisk.model import Usage
from qrisk.scan.detectors.source._common import (
    Collector,
    Item,
    SourceDetector,
    cipher_mode,
    hkdf_name,
    hmac_name,
    resolve_int,
    resolve_str,
    split_args,
)
from qrisk.scan.detectors.source._lex import C_FAMILY, Masked

R_EVP_CIPHER = "QR-C-001"
R_EVP_DIGEST = "QR-C-002"
R_EVP_PKEY = "QR-C-003"
R_FETCH = "QR-C-004"
R_LEGACY = "QR-C-005"
R_MAC_KDF = "QR-C-006"
R_TLS_GROUPS = "QR-C-007"
R_SODIUM = "QR-C-008"

_EVP_GETTER = re.compile(r"(?<![\w])EVP_(?P<name>[a-z][a-z0-9_]*)\s*\(\s*(?:void\s*)?\)")
_EVP_DIGEST_NAMES = re.compile(r"^(md[245]|md5_sha1|sha1|sha224|sha256|sha384|sha512(?:_224|_256)?|sha3_\d+|shake\d+|"
                               r"blake2[bs]\d+|ripemd160|rmd160|sm3|whirlpool|mdc2)$")
_PKEY_CONST = re.compile(r"\bEVP_PKEY_(?P<k>RSA_PSS|RSA|EC|ED25519|ED448|X25519|X448|DHX|DH|DSA|SM2|HMAC|CMAC|HKDF|SCRYPT|TLS1_PRF|POLY1305|SIPHASH)\b")
_PKEY_FUNCS = re.compile(
    r"\b(?P<fn>EVP_PKEY_CTX_new_id|EVP_PKEY_new_raw_private_key|EVP_PKEY_new_raw_public_key|EVP_PKEY_new_mac_key|"
    r"EVP_PKEY_CTX_new_from_name|EVP_PKEY_Q_keygen|EVP_RSA_gen|EVP_EC_gen|EVP_PKEY_new_raw_private_key_ex|"
    r"EVP_PKEY_new_raw_public_key_ex)\s*\("
)
_PKEY_NAMES = {
    "RSA": ("RSA", Usage.UNKNOWN), "RSA_PSS": ("RSA", Usage.SIGNATURE), "EC": ("ECDSA", Usage.UNKNOWN),
    "ED25519": ("Ed25519", Usage.SIGNATURE), "ED448": ("Ed448", Usage.SIGNATURE), "X25519": ("X25519", Usage.KEY_EXCHANGE),
    "X448": ("X448", Usage.KEY_EXCHANGE), "DH": ("DH", Usage.KEY_EXCHANGE), "DHX": ("DH", Usage.KEY_EXCHANGE),
    "DSA": ("DSA", Usage.SIGNATURE), "SM2": ("SM2", Usage.SIGNATURE), "HMAC": ("HMAC", Usage.AUTHENTICATION),
    "CMAC": ("CMAC", Usage.AUTHENTICATION), "HKDF": ("HKDF", Usage.KEY_DERIVATION), "SCRYPT": ("scrypt", Usage.KEY_DERIVATION),
    "TLS1_PRF": ("TLS1-PRF", Usage.KEY_DERIVATION), "POLY1305": ("Poly1305", Usage.AUTHENTICATION),
    "SIPHASH": ("SipHash", Usage.AUTHENTICATION),
}
_CTX_PARAMS = re.compile(
    r"\b(?P<fn>EVP_PKEY_CTX_set_rsa_keygen_bits|EVP_PKEY_CTX_set_ec_paramgen_curve_nid|EVP_PKEY_CTX_set_dh_paramgen_prime_len|"
    r"EVP_PKEY_CTX_set_dsa_paramgen_bits|EVP_PKEY_CTX_set_group_name)\s*\("
)
_FETCH = re.compile(
    r"\b(?P<fn>EVP_MD_fetch|EVP_CIPHER_fetch|EVP_MAC_fetch|EVP_KDF_fetch|EVP_SIGNATURE_fetch|EVP_KEM_fetch|"
    r"EVP_KEYEXCH_fetch|EVP_get_digestbyname|EVP_get_cipherbyname|OBJ_txt2nid|EVP_PKEY_CTX_new_from_name)\s*\("
)
_FETCH_USAGE = {
    "EVP_MD_fetch": Usage.HASHING, "EVP_get_digestbyname": Usage.HASHING, "EVP_CIPHER_fetch": Usage.ENCRYPTION,
    "EVP_get_cipherbyname": Usage.ENCRYPTION, "EVP_MAC_fetch": Usage.AUTHENTICATION, "EVP_KDF_fetch": Usage.KEY_DERIVATION,
    "EVP_SIGNATURE_fetch": Usage.SIGNATURE, "EVP_KEM_fetch": Usage.KEY_EXCHANGE, "EVP_KEYEXCH_fetch": Usage.KEY_EXCHANGE,
}
_WRAPPERS = re.compile(
    r"\b(?P<fn>HMAC|HMAC_Init_ex|HMAC_Init|PKCS5_PBKDF2_HMAC|EVP_PKEY_CTX_set_hkdf_md|EVP_PKEY_CTX_set_tls1_prf_md)\s*\("
)
# Legacy low-level API: function → (algorithm, usage, index of the key-size argument, mode).
_LEGACY: dict[str, tuple[str, Usage, int | None, str | None]] = {
    "RSA_generate_key_ex": ("RSA", Usage.UNKNOWN, 1, None), "RSA_generate_key": ("RSA", Usage.UNKNOWN, 0, None),
    "RSA_generate_multi_prime_key": ("RSA", Usage.UNKNOWN, 1, None),
    "RSA_public_encrypt": ("RSA", Usage.ENCRYPTION, None, None), "RSA_private_decrypt": ("RSA", Usage.ENCRYPTION, None, None),
    "RSA_private_encrypt": ("RSA", Usage.SIGNATURE, None, None), "RSA_public_decrypt": ("RSA", Usage.SIGNATURE, None, None),
    "RSA_sign": ("RSA", Usage.SIGNATURE, None, None), "RSA_verify": ("RSA", Usage.SIGNATURE, None, None),
    "DSA_generate_parameters_ex": ("DSA", Usage.SIGNATURE, 1, None), "DSA_generate_parameters": ("DSA", Usage.SIGNATURE, 0, None),
    "DSA_sign": ("DSA", Usage.SIGNATURE, None, None), "DSA_do_sign": ("DSA", Usage.SIGNATURE, None, None),
    "DSA_verify": ("DSA", Usage.SIGNATURE, None, None),
    "DH_generate_parameters_ex": ("DH", Usage.KEY_EXCHANGE, 1, None), "DH_generate_parameters": ("DH", Usage.KEY_EXCHANGE, 0, None),
    "DH_compute_key": ("DH", Usage.KEY_EXCHANGE, None, None), "DH_get_2048_256": ("DH", Usage.KEY_EXCHANGE, None, None),
    "DH_get_1024_160": ("DH", Usage.KEY_EXCHANGE, None, None), "DH_get_2048_224": ("DH", Usage.KEY_EXCHANGE, None, None),
    "ECDSA_sign": ("ECDSA", Usage.SIGNATURE, None, None), "ECDSA_do_sign": ("ECDSA", Usage.SIGNATURE, None, None),
    "ECDSA_verify": ("ECDSA", Usage.SIGNATURE, None, None), "ECDSA_do_verify": ("ECDSA", Usage.SIGNATURE, None, None),
    "ECDH_compute_key": ("ECDH", Usage.KEY_EXCHANGE, None, None),
    "AES_set_encrypt_key": ("AES", Usage.ENCRYPTION, 1, None), "AES_set_decrypt_key": ("AES", Usage.ENCRYPTION, 1, None),
    "AES_cbc_encrypt": ("AES", Usage.ENCRYPTION, None, "CBC"), "AES_ecb_encrypt": ("AES", Usage.ENCRYPTION, None, "ECB"),
    "AES_cfb128_encrypt": ("AES", Usage.ENCRYPTION, None, "CFB"), "AES_ofb128_encrypt": ("AES", Usage.ENCRYPTION, None, "OFB"),
    "AES_ige_encrypt": ("AES", Usage.ENCRYPTION, None, None), "AES_wrap_key": ("AES", Usage.ENCRYPTION, None, "KW"),
    "DES_set_key": ("DES", Usage.ENCRYPTION, None, None), "DES_set_key_checked": ("DES", Usage.ENCRYPTION, None, None),
    "DES_set_key_unchecked": ("DES", Usage.ENCRYPTION, None, None), "DES_key_sched": ("DES", Usage.ENCRYPTION, None, None),
    "DES_ecb_encrypt": ("DES", Usage.ENCRYPTION, None, "ECB"), "DES_ncbc_encrypt": ("DES", Usage.ENCRYPTION, None, "CBC"),
    "DES_cbc_encrypt": ("DES", Usage.ENCRYPTION, None, "CBC"), "DES_ede3_cbc_encrypt": ("3DES", Usage.ENCRYPTION, None, "CBC"),
    "DES_ecb3_encrypt": ("3DES", Usage.ENCRYPTION, None, "ECB"),
    "RC4_set_key": ("RC4", Usage.ENCRYPTION, None, None), "BF_set_key": ("Blowfish", Usage.ENCRYPTION, None, None),
    "BF_cbc_encrypt": ("Blowfish", Usage.ENCRYPTION, None, "CBC"), "BF_ecb_encrypt": ("Blowfish", Usage.ENCRYPTION, None, "ECB"),
    "CAST_set_key": ("CAST5", Usage.ENCRYPTION, None, None), "IDEA_set_encrypt_key": ("IDEA", Usage.ENCRYPTION, None, None),
    "RC2_set_key": ("RC2", Usage.ENCRYPTION, None, None), "Camellia_set_key": ("Camellia", Usage.ENCRYPTION, 1, None),
    "SEED_set_key": ("SEED", Usage.ENCRYPTION, None, None),
    "MD4_Init": ("MD4", Usage.HASHING, None, None), "MD5_Init": ("MD5", Usage.HASHING, None, None),
    "SHA1_Init": ("SHA-1", Usage.HASHING, None, None), "SHA224_Init": ("SHA-224", Usage.HASHING, None, None),
    "SHA256_Init": ("SHA-256", Usage.HASHING, None, None), "SHA384_Init": ("SHA-384", Usage.HASHING, None, None),
    "SHA512_Init": ("SHA-512", Usage.HASHING, None, None), "RIPEMD160_Init": ("RIPEMD-160", Usage.HASHING, None, None),
}
# All-caps one-shots: only in files that include an OpenSSL header.
_ONESHOT = {"MD4": "MD4", "MD5": "MD5", "SHA1": "SHA-1", "SHA224": "SHA-224", "SHA256": "SHA-256", "SHA384": "SHA-384",
            "SHA512": "SHA-512", "RIPEMD160": "RIPEMD-160", "RC4": "RC4"}
_LEGACY_RX = re.compile(r"(?<![\w])(?P<fn>" + "|".join(sorted(_LEGACY, key=len, reverse=True)) + r")\s*\(")
_ONESHOT_RX = re.compile(r"(?<![\w])(?P<fn>MD4|MD5|SHA1|SHA224|SHA256|SHA384|SHA512|RIPEMD160|RC4)\s*\(")
_CURVE_RX = re.compile(r"\b(?:NID|SN|LN)_(?:X9_62_)?(?P<c>\w+)\b|\"(?P<s>[\w-]+)\"")
_EC_BY_CURVE = re.compile(r"\b(?P<fn>EC_KEY_new_by_curve_name|EC_GROUP_new_by_curve_name)\s*\(")
_GROUPS = re.compile(r"\b(?:SSL_CTX|SSL)_set1_(?:groups|curves)_list\s*\(")
_SODIUM = re.compile(r"(?<![\w])crypto_(?P<fn>[a-z0-9_]+)\s*\(")
_SODIUM_TABLE: list[tuple[str, str, Usage]] = [
    ("box_curve25519xchacha20poly1305", "X25519", Usage.KEY_EXCHANGE),
    ("box", "X25519", Usage.KEY_EXCHANGE), ("kx", "X25519", Usage.KEY_EXCHANGE),
    ("scalarmult_curve25519", "X25519", Usage.KEY_EXCHANGE), ("scalarmult_ed25519", "Ed25519", Usage.SIGNATURE),
    ("scalarmult", "X25519", Usage.KEY_EXCHANGE), ("sign_ed25519", "Ed25519", Usage.SIGNATURE), ("sign", "Ed25519", Usage.SIGNATURE),
    ("secretbox_xchacha20poly1305", "XChaCha20-Poly1305", Usage.ENCRYPTION),
    ("secretbox", "XSalsa20-Poly1305", Usage.ENCRYPTION), ("secretstream_xchacha20poly1305", "XChaCha20-Poly1305", Usage.ENCRYPTION),
    ("aead_xchacha20poly1305_ietf", "XChaCha20-Poly1305", Usage.ENCRYPTION),
    ("aead_chacha20poly1305", "ChaCha20-Poly1305", Usage.ENCRYPTION), ("aead_aes256gcm", "AES-256", Usage.ENCRYPTION),
    ("aead_aegis", "", Usage.ENCRYPTION),
    ("generichash", "BLAKE2b", Usage.HASHING), ("hash_sha256", "SHA-256", Usage.HASHING), ("hash_sha512", "SHA-512", Usage.HASHING),
    ("hash", "SHA-512", Usage.HASHING), ("pwhash_scryptsalsa208sha256", "scrypt", Usage.KEY_DERIVATION),
    ("pwhash", "Argon2", Usage.KEY_DERIVATION), ("auth_hmacsha256", "HMAC-SHA256", Usage.AUTHENTICATION),
    ("auth_hmacsha512256", "HMAC-SHA512", Usage.AUTHENTICATION), ("auth_hmacsha512", "HMAC-SHA512", Usage.AUTHENTICATION),
    ("auth", "HMAC-SHA512", Usage.AUTHENTICATION), ("onetimeauth", "Poly1305", Usage.AUTHENTICATION),
    ("shorthash", "SipHash", Usage.AUTHENTICATION), ("stream_chacha20", "ChaCha20", Usage.ENCRYPTION),
    ("stream_xchacha20", "ChaCha20", Usage.ENCRYPTION), ("stream_salsa20", "Salsa20", Usage.ENCRYPTION),
    ("stream_xsalsa20", "Salsa20", Usage.ENCRYPTION), ("stream", "Salsa20", Usage.ENCRYPTION),
]
# Short names that other libraries (the Linux kernel crypto API…) also use: need a sodium/NaCl include.
_SODIUM_GENERIC = frozenset({"hash", "auth", "stream", "sign", "onetimeauth", "shorthash", "scalarmult", "box", "kx"})
_SODIUM_SKIP = re.compile(r"_(?:bytes|keybytes|noncebytes|seedbytes|saltbytes|macbytes|abytes|npubbytes|publickeybytes|"
                          r"secretkeybytes|sessionkeybytes|statebytes|primitive|strbytes|strprefix|opslimit_\w+|"
                          r"memlimit_\w+|bytes_min|bytes_max|messagebytes_max|keybytes_min|keybytes_max|alg_\w+|"
                          r"is_available|init|update|final|keygen)$")


def _evp_name(raw: str) -> str:
    return raw.replace("_", "-")


class CSourceDetector(SourceDetector):
    """C and C++ source (lexical confirm)."""

    id = "source-c"
    description = "OpenSSL (EVP and legacy) and libsodium calls in C and C++ source"
    rules: ClassVar[dict[str, str]] = {
        R_EVP_CIPHER: "OpenSSL EVP cipher getter (EVP_aes_256_gcm()…)",
        R_EVP_DIGEST: "OpenSSL EVP digest getter (EVP_sha256()…)",
        R_EVP_PKEY: "OpenSSL EVP_PKEY key type with its key size or curve",
        R_FETCH: "OpenSSL 3 fetch or lookup by name (EVP_MD_fetch, EVP_get_cipherbyname…)",
        R_LEGACY: "OpenSSL legacy low-level API (RSA_generate_key_ex, AES_set_encrypt_key, MD5…)",
        R_MAC_KDF: "HMAC, PBKDF2 or HKDF with its digest",
        R_TLS_GROUPS: "TLS key-exchange groups set in code",
        R_SODIUM: "libsodium primitive",
    }
    extensions = frozenset({".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx", ".c++", ".h++", ".inl", ".ipp", ".m", ".mm"})
    lexer = C_FAMILY
    keywords: ClassVar[tuple[bytes, ...]] = (
        b"evp_", b"openssl/", b"rsa_generate", b"rsa_public", b"rsa_private", b"rsa_sign", b"dsa_", b"dh_generate",
        b"dh_compute", b"ec_key_new", b"ec_group_new", b"ecdsa_", b"ecdh_", b"aes_set", b"des_set", b"des_key_sched",
        b"rc4_set_key", b"bf_set_key", b"md5_init", b"sha1_init", b"sha256_init", b"sha512_init", b"md4_init",
        b"sha224_init", b"sha384_init", b"ripemd160_init", b"crypto_", b"set1_groups", b"set1_curves", b"sodium",
    )

    def confirm(self, masked: Masked, out: Collector) -> None:
        code = masked.code
        text = masked.text
        has_openssl = "openssl/" in text or "OPENSSL" in text or "<openssl" in text
        consumed: set[int] = set()
        self._wrappers(masked, out, consumed)
        keygen: list[tuple[int, Item]] = []
        for m in _EVP_GETTER.finditer(code):
            if m.start() in consumed or masked.in_string(m.start()):
                continue
            name = m.group("name")
            line = masked.line_of(m.start())
            if _EVP_DIGEST_NAMES.match(name):
                out.add(R_EVP_DIGEST, _evp_name(name), line, Usage.HASHING)
            else:
                evp = _evp_name(name)
                out.add(R_EVP_CIPHER, evp, line, Usage.ENCRYPTION, mode=cipher_mode(evp))
        self._pkey(masked, out, keygen)
        self._fetch(masked, out, keygen)
        self._ctx_params(masked, out, keygen)
        for m in _LEGACY_RX.finditer(code):
            if masked.in_string(m.start()) or self._is_definition(code, m):
                continue
            alg, usage, size_arg, mode = _LEGACY[m.group("fn")]
            size = None
            if size_arg is not None:
                args = split_args(masked.call_args(m.end() - 1) or "")
                size = resolve_int(masked, args[size_arg]) if len(args) > size_arg else None
            item = out.add(R_LEGACY, alg, masked.line_of(m.start()), usage, key_size=size, mode=mode)
            if item is not None and alg in ("RSA", "DSA", "DH") and size is None and "generate" in m.group("fn"):
                keygen.append((m.start(), item))
        if has_openssl:
            for m in _ONESHOT_RX.finditer(code):
                if masked.in_string(m.start()) or self._is_definition(code, m):
                    continue
                fn = m.group("fn")
                out.add(R_LEGACY, _ONESHOT[fn], masked.line_of(m.start()), Usage.ENCRYPTION if fn == "RC4" else Usage.HASHING)
        for m in _EC_BY_CURVE.finditer(code):
            if masked.in_string(m.start()):
                continue
            args = split_args(masked.call_args(m.end() - 1) or "")
            curve = self._curve(args[0]) if args else None
            out.add(R_LEGACY, "ECDSA", masked.line_of(m.start()), Usage.UNKNOWN, curve=curve)
        for m in _GROUPS.finditer(code):
            if masked.in_string(m.start()):
                continue
            args_text = masked.call_args(m.end() - 1) or ""
            args = split_args(args_text)
            groups = resolve_str(masked, args[1]) if len(args) > 1 else None
            if groups:
                line = masked.line_of(m.end() + args_text.find(args[1]))
                for g in groups.split(":"):
                    out.add(R_TLS_GROUPS, g.strip().lstrip("?"), line, Usage.KEY_EXCHANGE)
        self._sodium(masked, out)

    @staticmethod
    def _is_definition(code: str, m: re.Match[str]) -> bool:
        """``int MD5(const char *p) {`` or a prototype ending in ``;`` after a type: not a call."""
        head = code[max(0, m.start() - 40) : m.start()]
        return bool(re.search(r"(?:\b(?:void|int|char|unsigned|static|extern|const|size_t|long)\b[\s*]*|#\s*define\s+)$", head))

    @staticmethod
    def _curve(token: str) -> str | None:
        cm = _CURVE_RX.search(token)
        if not cm:
            return None
        return cm.group("c") or cm.group("s")

    def _wrappers(self, masked: Masked, out: Collector, consumed: set[int]) -> None:
        for m in _WRAPPERS.finditer(masked.code):
            if masked.in_string(m.start()) or self._is_definition(masked.code, m):
                continue
            args_text = masked.call_args(m.end() - 1) or ""
            inner = _EVP_GETTER.search(args_text)
            digest = None
            if inner:
                consumed.add(m.end() + inner.start())
                digest = _evp_name(inner.group("name"))
            fn = m.group("fn")
            line = masked.line_of(m.end() + inner.start()) if inner else masked.line_of(m.start())
            if fn.startswith("HMAC"):
                out.add(R_MAC_KDF, hmac_name(digest), line, Usage.AUTHENTICATION)
            elif fn == "PKCS5_PBKDF2_HMAC":
                out.add(R_MAC_KDF, "PBKDF2", masked.line_of(m.start()), Usage.KEY_DERIVATION)
            elif fn == "EVP_PKEY_CTX_set_hkdf_md":
                out.add(R_MAC_KDF, hkdf_name(digest), masked.line_of(m.start()), Usage.KEY_DERIVATION)
            else:
                out.add(R_MAC_KDF, "TLS1-PRF", masked.line_of(m.start()), Usage.KEY_DERIVATION)
        for m in re.finditer(r"\bPKCS5_PBKDF2_HMAC_SHA1\s*\(", masked.code):
            if not masked.in_string(m.start()):
                out.add(R_MAC_KDF, "PBKDF2", masked.line_of(m.start()), Usage.KEY_DERIVATION)

    def _pkey(self, masked: Masked, out: Collector, keygen: list[tuple[int, Item]]) -> None:
        for m in _PKEY_FUNCS.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            fn = m.group("fn")
            args_text = masked.call_args(m.end() - 1) or ""
            args = split_args(args_text)
            line = masked.line_of(m.start())
            if fn == "EVP_RSA_gen":
                item = out.add(R_EVP_PKEY, "RSA", line, Usage.UNKNOWN, key_size=resolve_int(masked, args[0]) if args else None)
            elif fn == "EVP_EC_gen":
                item = out.add(R_EVP_PKEY, "ECDSA", line, Usage.UNKNOWN, curve=resolve_str(masked, args[0]) if args else None)
            elif fn == "EVP_PKEY_Q_keygen":
                name = resolve_str(masked, args[2]) if len(args) > 2 else None
                if not name:
                    continue
                extra = args[3] if len(args) > 3 else None
                upper = name.upper()
                if upper == "RSA":
                    item = out.add(R_EVP_PKEY, "RSA", line, Usage.UNKNOWN, key_size=resolve_int(masked, extra))
                elif upper == "EC":
                    item = out.add(R_EVP_PKEY, "ECDSA", line, Usage.UNKNOWN, curve=resolve_str(masked, extra))
                else:
                    item = out.add(R_EVP_PKEY, name, line, None)
            elif fn == "EVP_PKEY_CTX_new_from_name":
                continue  # handled with the fetches
            else:
                const = _PKEY_CONST.search(args_text)
                if not const:
                    continue
                alg, usage = _PKEY_NAMES[const.group("k")]
                item = out.add(R_EVP_PKEY, alg, masked.line_of(m.end() + const.start()), usage)
            if item is not None:
                keygen.append((m.start(), item))

    def _fetch(self, masked: Masked, out: Collector, keygen: list[tuple[int, Item]]) -> None:
        for m in _FETCH.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            fn = m.group("fn")
            args_text = masked.call_args(m.end() - 1) or ""
            args = split_args(args_text)
            index = 0 if fn in ("EVP_get_digestbyname", "EVP_get_cipherbyname", "OBJ_txt2nid") else 1
            name = resolve_str(masked, args[index]) if len(args) > index else None
            if not name:
                continue
            line = masked.line_of(m.end() + args_text.find(args[index]))
            if fn == "EVP_PKEY_CTX_new_from_name":
                upper = name.upper()
                item = out.add(R_FETCH, "ECDSA" if upper == "EC" else name, line, Usage.UNKNOWN if upper in ("RSA", "EC") else None)
                if item is not None:
                    keygen.append((m.start(), item))
                continue
            usage = _FETCH_USAGE.get(fn)
            if fn == "EVP_CIPHER_fetch" or fn == "EVP_get_cipherbyname":
                out.add(R_FETCH, name, line, usage, mode=cipher_mode(name))
            elif fn == "OBJ_txt2nid":
                out.add(R_FETCH, name, line, None)
            else:
                out.add(R_FETCH, name, line, usage)

    def _ctx_params(self, masked: Masked, out: Collector, keygen: list[tuple[int, Item]]) -> None:
        keygen.sort(key=lambda p: p[0])
        for m in _CTX_PARAMS.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            fn = m.group("fn")
            args = split_args(masked.call_args(m.end() - 1) or "")
            if len(args) < 2:
                continue
            want = {"EVP_PKEY_CTX_set_rsa_keygen_bits": "RSA", "EVP_PKEY_CTX_set_ec_paramgen_curve_nid": "ECDSA",
                    "EVP_PKEY_CTX_set_dh_paramgen_prime_len": "DH", "EVP_PKEY_CTX_set_dsa_paramgen_bits": "DSA",
                    "EVP_PKEY_CTX_set_group_name": "ECDSA"}[fn]
            target = None
            for pos, item in reversed(keygen):
                if pos < m.start() and item.algorithm.upper().startswith(want[:2]):
                    target = item
                    break
            if fn.endswith(("_curve_nid", "group_name")):
                curve = self._curve(args[1]) if fn.endswith("_nid") else resolve_str(masked, args[1])
                if target is not None:
                    target.curve = target.curve or curve
                else:
                    out.add(R_EVP_PKEY, want, masked.line_of(m.start()), Usage.UNKNOWN, curve=curve)
            else:
                size = resolve_int(masked, args[1])
                if target is not None:
                    target.key_size = target.key_size or size
                else:
                    out.add(R_EVP_PKEY, want, masked.line_of(m.start()), None, key_size=size)

    def _sodium(self, masked: Masked, out: Collector) -> None:
        includes_sodium = bool(re.search(r"#\s*include\s*[<\"][^>\"]*(?:sodium|nacl)", masked.code))
        for m in _SODIUM.finditer(masked.code):
            fn = m.group("fn")
            if _SODIUM_SKIP.search(fn) or masked.in_string(m.start()) or self._is_definition(masked.code, m):
                continue
            for prefix, alg, usage in _SODIUM_TABLE:
                if fn == prefix or fn.startswith(prefix + "_"):
                    if prefix in _SODIUM_GENERIC and not includes_sodium:
                        break
                    if alg:
                        mode = "GCM" if prefix == "aead_aes256gcm" else None
                        out.add(R_SODIUM, alg, masked.line_of(m.start()), usage, mode=mode)
                    break


__all__ = ["CSourceDetector"]
