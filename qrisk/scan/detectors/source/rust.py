"""Rust: RustCrypto (``rsa``, ``p256``/``p384``/``k256``, ``ed25519-dalek``,
``x25519-dalek``, ``aes-gcm``, ``chacha20poly1305``, ``sha2``, ``hmac``…), ``ring``,
``aws-lc-rs`` and the ``openssl`` crate.

Confirm: lexical with path resolution. ``use`` declarations (nested braces and ``as``
renames included) map local names to crate paths, so ``SigningKey::random(..)`` counts
as ECDSA P-256 only when ``SigningKey`` came from ``p256::ecdsa``; ring/aws-lc-rs
algorithm constants (``&signature::ECDSA_P256_SHA256_ASN1_SIGNING``) count only in files
that use those crates. Raw strings, byte strings and lifetimes are handled by the lexer.
"""

from __future__ import annotations

import re
from typing import ClassVar

from qrisk.model import Usage
from qrisk.scan.detectors.source._common import (
    Collector,
    SourceDetector,
    cipher_mode,
    hkdf_name,
    hmac_name,
    resolve_int,
    split_args,
    sym_key_bits,
)
from qrisk.scan.detectors.source._lex import RUST, Masked

R_RUSTCRYPTO_ASYM = "QR-RS-001"
R_RUSTCRYPTO_SYM = "QR-RS-002"
R_RUSTCRYPTO_HASH = "QR-RS-003"
R_RUSTCRYPTO_MAC_KDF = "QR-RS-004"
R_RING = "QR-RS-005"
R_OPENSSL = "QR-RS-006"
R_PQC = "QR-RS-007"

_USE = re.compile(r"\buse\s+(?P<tree>[\w:{}\s,*]+?)\s*;")
_PATH_USE = re.compile(r"(?<![\w:])(?P<path>(?:[A-Za-z_]\w*::)+)(?P<last>[A-Za-z_]\w*)")

# Curve crates: (module after the crate) → algorithm.
_CURVE_CRATES = {"p256": "P-256", "p384": "P-384", "p521": "P-521", "k256": "secp256k1", "p224": "P-224",
                 "p192": "P-192", "bp256": "brainpoolP256r1", "bp384": "brainpoolP384r1", "sm2": "SM2"}
# Type names by crate: crate → {type: (algorithm, usage)}.
_HASH_TYPES = {
    "sha2": {"Sha224": "SHA-224", "Sha256": "SHA-256", "Sha384": "SHA-384", "Sha512": "SHA-512",
             "Sha512_224": "SHA-512/224", "Sha512_256": "SHA-512/256"},
    "sha1": {"Sha1": "SHA-1"}, "sha1_smol": {"Sha1": "SHA-1"}, "md5": {"Md5": "MD5"}, "md_5": {"Md5": "MD5"},
    "md4": {"Md4": "MD4"},
    "sha3": {"Sha3_224": "SHA3-224", "Sha3_256": "SHA3-256", "Sha3_384": "SHA3-384", "Sha3_512": "SHA3-512",
             "Keccak256": "Keccak-256", "Keccak512": "Keccak-512", "Shake128": "SHAKE128", "Shake256": "SHAKE256"},
    "blake2": {"Blake2b512": "BLAKE2b", "Blake2s256": "BLAKE2s", "Blake2b": "BLAKE2b", "Blake2s": "BLAKE2s",
               "Blake2bVar": "BLAKE2b", "Blake2sVar": "BLAKE2s", "Blake2bMac512": "BLAKE2b"},
    "blake3": {"Hasher": "BLAKE3", "hash": "BLAKE3"}, "ripemd": {"Ripemd160": "RIPEMD-160"}, "sm3": {"Sm3": "SM3"},
    "whirlpool": {"Whirlpool": "Whirlpool"},
}
_SYM_TYPES = {
    "aes_gcm": {"Aes128Gcm": ("AES-128", "GCM"), "Aes256Gcm": ("AES-256", "GCM"), "AesGcm": ("AES", "GCM")},
    "aes_gcm_siv": {"Aes128GcmSiv": ("AES-128", "GCM-SIV"), "Aes256GcmSiv": ("AES-256", "GCM-SIV")},
    "aes_siv": {"Aes128SivAead": ("AES-128", "SIV"), "Aes256SivAead": ("AES-256", "SIV")},
    "ccm": {"Ccm": ("AES", "CCM")},
    "chacha20poly1305": {"ChaCha20Poly1305": ("ChaCha20-Poly1305", None), "XChaCha20Poly1305": ("XChaCha20-Poly1305", None)},
    "chacha20": {"ChaCha20": ("ChaCha20", None), "XChaCha20": ("ChaCha20", None)},
    "aes": {"Aes128": ("AES-128", None), "Aes192": ("AES-192", None), "Aes256": ("AES-256", None)},
    "des": {"Des": ("DES", None), "TdesEde3": ("3DES", None), "TdesEde2": ("3DES", None), "TdesEee3": ("3DES", None)},
    "blowfish": {"Blowfish": ("Blowfish", None)}, "rc4": {"Rc4": ("RC4", None)}, "cast5": {"Cast5": ("CAST5", None)},
    "idea": {"Idea": ("IDEA", None)}, "sm4": {"Sm4": ("SM4", None)}, "camellia": {"Camellia128": ("Camellia-128", None),
                                                                          "Camellia256": ("Camellia-256", None)},
    "salsa20": {"Salsa20": ("Salsa20", None), "XSalsa20": ("Salsa20", None)},
    "crypto_secretbox": {"XSalsa20Poly1305": ("XSalsa20-Poly1305", None), "XChaCha20Poly1305": ("XChaCha20-Poly1305", None)},
    "crypto_box": {"SalsaBox": ("X25519", None), "ChaChaBox": ("X25519", None)},
}
_MODE_CRATES = {"cbc": "CBC", "ecb": "ECB", "ctr": "CTR", "cfb_mode": "CFB", "ofb": "OFB", "cfb8": "CFB8"}
# ring / aws-lc-rs algorithm constants.
_RING_CONST = re.compile(
    r"(?<![\w])(?P<c>RSA_PKCS1_(?:\d+_\d+_)?SHA(?:1|256|384|512)(?:_FOR_LEGACY_USE_ONLY)?|RSA_PSS_(?:\d+_\d+_)?SHA(?:256|384|512)|"
    r"RSA_PKCS1_SHA(?:1|256|384|512)|RSA_OAEP_(?:2048_8192_)?SHA(?:1|256|384|512)(?:_MGF1SHA\d+)?|"
    r"ECDSA_P(?:256|384|521)(?:K1)?_SHA(?:256|384|512|3_\d+)_(?:ASN1|FIXED)(?:_SIGNING)?|ED25519|X25519|ECDH_P(?:256|384|521)|"
    r"AES_(?:128|192|256)_GCM(?:_SIV)?|AES_(?:128|256)(?:_CTR|_CBC)?|CHACHA20_POLY1305|SHA1_FOR_LEGACY_USE_ONLY|SHA(?:224|256|384|512|512_256)|"
    r"SHA3_(?:256|384|512)|HMAC_SHA(?:1_FOR_LEGACY_USE_ONLY|224|256|384|512)|PBKDF2_HMAC_SHA(?:1|256|384|512)|"
    r"HKDF_SHA(?:1_FOR_LEGACY_USE_ONLY|256|384|512)|ML_KEM_(?:512|768|1024)|ML_DSA_(?:44|65|87)(?:_SIGNING)?|"
    r"X25519_MLKEM768|SECP256R1_MLKEM768)\b"
)
_RING_TYPES = re.compile(r"(?<![\w])(?P<t>Ed25519KeyPair|RsaKeyPair|EcdsaKeyPair)\s*::\s*\w+\s*\(")
_RING_TYPE_ALGS = {"Ed25519KeyPair": ("Ed25519", Usage.SIGNATURE), "RsaKeyPair": ("RSA", Usage.SIGNATURE),
                   "EcdsaKeyPair": ("ECDSA", Usage.SIGNATURE)}
_OPENSSL_CALL = re.compile(
    r"(?<![\w])(?P<cls>Rsa|Dsa|Dh|EcGroup|EcKey|Cipher|MessageDigest|PKey|Nid|Hasher|hash|sha)\s*::\s*(?P<fn>\w+)"
)


def _parse_use(tree: str, prefix: str = "") -> list[tuple[str, str]]:
    """(local name, full path) pairs of one normalised ``use`` tree (``a::{b::C, D as E}``)."""
    out: list[tuple[str, str]] = []
    brace = tree.find("{")
    if brace < 0:
        for part in tree.split(","):
            part = part.strip()
            if not part or part.endswith("*"):
                continue
            path, _, alias = part.partition(" as ")
            full = prefix + path.strip()
            name = alias.strip() or full.rsplit("::", 1)[-1]
            if name == "self":
                full = full.rsplit("::", 1)[0]
                name = full.rsplit("::", 1)[-1]
            if name != "_":
                out.append((name, full))
        return out
    head = tree[:brace]
    depth = 0
    items: list[str] = []
    cur = ""
    for ch in tree[brace + 1 : tree.rfind("}")]:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        if ch == "," and depth == 0:
            items.append(cur)
            cur = ""
        else:
            cur += ch
    items.append(cur)
    for item in items:
        item = item.strip()
        if not item:
            continue
        if "{" in item:
            out.extend(_parse_use(item, prefix + head))
        else:
            out.extend(_parse_use(item, prefix + head))
    return out


def _uses(code: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _USE.finditer(code):
        tree = re.sub(r"\s+", " ", m.group("tree")).strip()
        tree = re.sub(r"\s*(::|\{|\}|,)\s*", r"\1", tree)
        tree = tree.removeprefix("crate::").removeprefix("::")
        for local, full in _parse_use(tree):
            out[local] = full
    return out


def _crate(path: str) -> str:
    return path.split("::", 1)[0]


class RustSourceDetector(SourceDetector):
    """Rust source (lexical confirm with ``use`` resolution)."""

    id = "source-rust"
    description = "RustCrypto, ring, aws-lc-rs and openssl crate usage in Rust source"
    rules: ClassVar[dict[str, str]] = {
        R_RUSTCRYPTO_ASYM: "RustCrypto rsa / p256 / p384 / k256 / ed25519-dalek / x25519-dalek",
        R_RUSTCRYPTO_SYM: "RustCrypto cipher or AEAD (aes-gcm, chacha20poly1305, aes + block mode…)",
        R_RUSTCRYPTO_HASH: "RustCrypto hash (sha2, sha1, md5, sha3, blake2…)",
        R_RUSTCRYPTO_MAC_KDF: "RustCrypto HMAC, HKDF, PBKDF2, Argon2, scrypt or bcrypt",
        R_RING: "ring / aws-lc-rs algorithm constant",
        R_OPENSSL: "openssl crate key generation, cipher or digest",
        R_PQC: "ml-kem / ml-dsa / pqcrypto crate",
    }
    extensions = frozenset({".rs"})
    lexer = RUST
    keywords: ClassVar[tuple[bytes, ...]] = (
        b"ring::", b"aws_lc_rs::", b"openssl::", b"sha2::", b"sha1::", b"md5", b"sha3::", b"blake2::", b"blake3",
        b"aes_gcm", b"aes::", b"chacha20", b"rsa::", b"p256", b"p384", b"p521", b"k256", b"ed25519", b"x25519",
        b"hmac::", b"hkdf::", b"pbkdf2", b"argon2", b"scrypt", b"bcrypt", b"ml_kem", b"ml_dsa", b"pqcrypto", b"des::",
        b"cbc::", b"ecb::", b"ctr::", b"crypto_box", b"crypto_secretbox", b"ripemd",
    )

    def confirm(self, masked: Masked, out: Collector) -> None:
        code = masked.code
        uses = _uses(code)
        # ``mod md5 { … }`` in this file shadows the crate of the same name
        local_mods = set(re.findall(r"(?<![\w])mod\s+([a-z_][a-z0-9_]*)\s*[{;]", code))
        self._local_mods = local_mods
        crates = {_crate(p) for p in uses.values()} | set(re.findall(r"(?<![\w:])([a-z_][a-z0-9_]*)::", code))
        seen_positions: set[int] = set()
        use_spans = [(m.start(), m.end()) for m in _USE.finditer(code)]

        def in_use(pos: int) -> bool:
            return any(a <= pos < b for a, b in use_spans)

        for m in _PATH_USE.finditer(code):
            if in_use(m.start()) or masked.in_string(m.start()):
                continue
            path = m.group("path") + m.group("last")
            first = path.split("::", 1)[0]
            full = uses.get(first, first) + path[len(first) :] if first in uses else path
            self._path(masked, out, full, m, seen_positions)
        for name, full in uses.items():
            # bare names imported with ``use``: find their uses in expressions
            if name in ("self", "*") or not re.fullmatch(r"[A-Za-z_]\w*", name):
                continue
            crate = _crate(full)
            if crate not in _INTERESTING:
                continue
            for m in re.finditer(rf"(?<![\w:]){re.escape(name)}\b(?!\s*::\s*\{{)", code):
                if in_use(m.start()) or masked.in_string(m.start()) or m.start() in seen_positions:
                    continue
                self._path(masked, out, full, m, seen_positions, bare=True)
        if crates & {"ring", "aws_lc_rs"}:
            for m in _RING_TYPES.finditer(code):
                if not in_use(m.start()) and not masked.in_string(m.start()):
                    alg, usage = _RING_TYPE_ALGS[m.group("t")]
                    out.add(R_RING, alg, masked.line_of(m.start()), usage)
            for m in _RING_CONST.finditer(code):
                if in_use(m.start()) or masked.in_string(m.start()):
                    continue
                self._ring(out, m.group("c"), masked.line_of(m.start()))

    def _path(self, masked: Masked, out: Collector, full: str, m: re.Match[str], seen: set[int], bare: bool = False) -> None:
        """Classify one use of a resolved path (``p256::ecdsa::SigningKey``, ``sha2::Sha256``…)."""
        code = masked.code
        end = m.end()
        tail = code[end : end + 120]
        parts = full.split("::")
        if parts[0] in getattr(self, "_local_mods", ()):
            return
        path_fn = None
        if len(parts) >= 2 and parts[-1][:1].islower() and parts[-2][:1].isupper():
            path_fn = parts[-1]
            parts = parts[:-1]
        crate = parts[0]
        last = parts[-1]
        line = masked.line_of(m.start())
        # only expressions: a call, an associated function, a generic argument, or a generic
        # type instantiation (``type HmacSha256 = Hmac<Sha256>;``)
        call = re.match(r"\s*(?:::\s*<[^>]*>\s*)?(?:::\s*(?P<fn>\w+)\s*)?(?:::\s*<[^>]*>\s*)?\(", tail)
        generic_arg = re.search(r"<\s*(?:[\w:]+\s*,\s*)*$", code[max(0, m.start() - 40) : m.start()])
        generic_type = re.match(r"\s*<\s*[\w:]+\s*(?:,[^>]*)?>", tail) if crate in ("hmac", "hkdf") else None
        if not call and not generic_arg and not generic_type and crate not in ("ring", "aws_lc_rs"):
            return
        if m.start() in seen:
            return
        seen.add(m.start())
        fn = path_fn or (call.group("fn") if call else None)
        if crate in _CURVE_CRATES:
            sub = parts[1] if len(parts) > 2 else ""
            if sub in ("ecdsa",) or (last in ("SigningKey", "VerifyingKey") and sub != "ecdh"):
                out.add(R_RUSTCRYPTO_ASYM, "ECDSA", line, Usage.SIGNATURE, curve=_CURVE_CRATES[crate])
            elif sub == "ecdh" or last in ("EphemeralSecret", "SharedSecret"):
                out.add(R_RUSTCRYPTO_ASYM, "ECDH", line, Usage.KEY_EXCHANGE, curve=_CURVE_CRATES[crate])
            elif last in ("SecretKey", "PublicKey") and fn:
                out.add(R_RUSTCRYPTO_ASYM, "ECDSA", line, Usage.UNKNOWN, curve=_CURVE_CRATES[crate])
            return
        if crate == "rsa":
            if last in ("RsaPrivateKey", "RsaPublicKey") and fn in ("new", "new_with_exp", "from_pkcs1_pem", "from_pkcs8_pem",
                                                                   "from_public_key_pem", "from_pkcs1_der", "from_pkcs8_der",
                                                                   "from_components", "read_pkcs1_pem_file"):
                size = None
                if fn in ("new", "new_with_exp"):
                    args = split_args(masked.call_args(end + tail.find("(")) or "")
                    size = resolve_int(masked, args[1]) if len(args) > 1 else None
                out.add(R_RUSTCRYPTO_ASYM, "RSA", line, Usage.UNKNOWN, key_size=size)
            elif last in ("Pkcs1v15Sign", "Pss", "BlindedSigningKey") or ("pkcs1v15" in parts and last == "SigningKey") or "pss" in parts:
                out.add(R_RUSTCRYPTO_ASYM, "RSA", line, Usage.SIGNATURE)
            elif last in ("Oaep", "Pkcs1v15Encrypt"):
                out.add(R_RUSTCRYPTO_ASYM, "RSA", line, Usage.ENCRYPTION)
            return
        if crate in ("ed25519_dalek", "ed25519") and last in ("SigningKey", "Keypair", "VerifyingKey", "PublicKey", "SecretKey", "Signature"):
            if fn or generic_arg:
                out.add(R_RUSTCRYPTO_ASYM, "Ed25519", line, Usage.SIGNATURE)
            return
        if crate == "ed448_goldilocks":
            out.add(R_RUSTCRYPTO_ASYM, "Ed448", line, Usage.SIGNATURE)
            return
        if crate == "x25519_dalek" and last in ("EphemeralSecret", "StaticSecret", "PublicKey", "ReusableSecret", "x25519"):
            out.add(R_RUSTCRYPTO_ASYM, "X25519", line, Usage.KEY_EXCHANGE)
            return
        if crate in _HASH_TYPES and last in _HASH_TYPES[crate]:
            if self._inside_wrapper(code, m.start()):
                return
            out.add(R_RUSTCRYPTO_HASH, _HASH_TYPES[crate][last], line, Usage.HASHING)
            return
        if crate == "md5" and last == "compute":
            out.add(R_RUSTCRYPTO_HASH, "MD5", line, Usage.HASHING)
            return
        if crate in _SYM_TYPES and last in _SYM_TYPES[crate]:
            alg, mode = _SYM_TYPES[crate][last]
            before = code[max(0, m.start() - 60) : m.start()]
            wrap = re.search(r"\b(cbc|ecb|ctr|cfb_mode|ofb|cfb8)\s*::\s*\w+\s*::\s*<\s*(?:[\w:]*::)?$", before)
            if wrap:
                mode = _MODE_CRATES[wrap.group(1)]
            elif re.search(r"\b(?:Cbc|Ecb)\w*\s*<\s*(?:[\w:]*::)?$", before):
                mode = cipher_mode(re.search(r"\b(Cbc|Ecb)", before).group(1))  # type: ignore[union-attr]
            usage = Usage.KEY_EXCHANGE if crate == "crypto_box" else Usage.ENCRYPTION
            size = None
            if fn in ("new", "new_from_slice"):
                args = split_args(masked.call_args(end + tail.find("(")) or "")
                size = sym_key_bits(masked, args[0], m.start()) if args else None
            out.add(R_RUSTCRYPTO_SYM, alg, line, usage, key_size=size if alg in ("AES",) else None, mode=mode)
            return
        if crate == "hmac" and last in ("Hmac", "SimpleHmac"):
            h = self._generic_hash(code, m.end())
            out.add(R_RUSTCRYPTO_MAC_KDF, hmac_name(h), line, Usage.AUTHENTICATION)
            return
        if crate == "hkdf" and last in ("Hkdf", "SimpleHkdf"):
            out.add(R_RUSTCRYPTO_MAC_KDF, hkdf_name(self._generic_hash(code, m.end())), line, Usage.KEY_DERIVATION)
            return
        if crate == "pbkdf2" and last in ("pbkdf2_hmac", "pbkdf2", "pbkdf2_hmac_array", "Pbkdf2"):
            out.add(R_RUSTCRYPTO_MAC_KDF, "PBKDF2", line, Usage.KEY_DERIVATION)
            return
        if crate == "argon2" and last in ("Argon2", "hash_encoded", "hash_raw") and fn:
            out.add(R_RUSTCRYPTO_MAC_KDF, "Argon2", line, Usage.KEY_DERIVATION)
            return
        if crate == "scrypt" and last in ("scrypt", "Scrypt", "Params") and fn:
            out.add(R_RUSTCRYPTO_MAC_KDF, "scrypt", line, Usage.KEY_DERIVATION)
            return
        if crate == "bcrypt" and last in ("hash", "verify", "hash_with_result"):
            out.add(R_RUSTCRYPTO_MAC_KDF, "bcrypt", line, Usage.KEY_DERIVATION)
            return
        if crate in ("ml_kem", "ml_dsa", "pqcrypto_kyber", "pqcrypto_dilithium", "pqcrypto_mlkem", "pqcrypto_mldsa", "oqs"):
            name = re.sub(r"^(?:MlKem|MlDsa)", lambda x: "ML-KEM-" if x.group(0) == "MlKem" else "ML-DSA-", last)
            for p in parts[1:]:
                if re.fullmatch(r"(?:mlkem|mldsa|kyber|dilithium)\d+", p):
                    name = p
            out.add(R_PQC, name, line, Usage.KEY_EXCHANGE if "kem" in crate or "kyber" in crate else Usage.SIGNATURE)
            return
        if crate == "openssl":
            self._openssl(masked, out, parts, fn, m, line)

    @staticmethod
    def _inside_wrapper(code: str, pos: int) -> bool:
        """``Hmac<Sha256>``, ``Hkdf::<Sha256>``, ``pbkdf2_hmac::<Sha256>``: the hash is part of the MAC/KDF."""
        before = code[max(0, pos - 40) : pos]
        return bool(re.search(r"\b(?:Hmac|SimpleHmac|Hkdf|SimpleHkdf|pbkdf2_hmac|pbkdf2_hmac_array|pbkdf2)\s*(?:::\s*)?<\s*(?:[\w:]*::)?$", before))

    @staticmethod
    def _generic_hash(code: str, end: int) -> str | None:
        m = re.match(r"\s*(?:::\s*)?<\s*(?:[\w:]*::)?(?P<h>\w+)\s*>", code[end : end + 80])
        if not m:
            return None
        for table in _HASH_TYPES.values():
            if m.group("h") in table:
                return table[m.group("h")]
        return None

    @staticmethod
    def _ring(out: Collector, const: str, line: int) -> None:
        if const.startswith("RSA_"):
            usage = Usage.ENCRYPTION if const.startswith("RSA_OAEP") else Usage.SIGNATURE
            out.add(R_RING, "RSA", line, usage)
            h = re.search(r"SHA(1|256|384|512)", const)
            if h and not const.startswith("RSA_OAEP"):
                out.add(R_RING, "SHA-1" if h.group(1) == "1" else f"SHA-{h.group(1)}", line, Usage.HASHING)
        elif const.startswith("ECDSA_"):
            cm = re.match(r"ECDSA_P(256|384|521)(K1)?_SHA(3_)?(\d+)", const)
            if cm:
                curve = "secp256k1" if cm.group(2) else f"P-{cm.group(1)}"
                out.add(R_RING, "ECDSA", line, Usage.SIGNATURE, curve=curve)
                out.add(R_RING, ("SHA3-" if cm.group(3) else "SHA-") + cm.group(4), line, Usage.HASHING)
        elif const == "ED25519":
            out.add(R_RING, "Ed25519", line, Usage.SIGNATURE)
        elif const == "X25519":
            out.add(R_RING, "X25519", line, Usage.KEY_EXCHANGE)
        elif const.startswith("ECDH_P"):
            out.add(R_RING, "ECDH", line, Usage.KEY_EXCHANGE, curve=f"P-{const[6:]}")
        elif const.startswith("AES_"):
            size = int(const.split("_")[1])
            out.add(R_RING, "AES", line, Usage.ENCRYPTION, key_size=size, mode=cipher_mode(const.replace("GCM_SIV", "GCMSIV")))
        elif const == "CHACHA20_POLY1305":
            out.add(R_RING, "ChaCha20-Poly1305", line, Usage.ENCRYPTION)
        elif const.startswith("HMAC_"):
            out.add(R_RING, hmac_name(const[5:].replace("_FOR_LEGACY_USE_ONLY", "")), line, Usage.AUTHENTICATION)
        elif const.startswith("PBKDF2_"):
            out.add(R_RING, "PBKDF2", line, Usage.KEY_DERIVATION)
        elif const.startswith("HKDF_"):
            out.add(R_RING, hkdf_name(const[5:].replace("_FOR_LEGACY_USE_ONLY", "")), line, Usage.KEY_DERIVATION)
        elif const.startswith(("SHA", "SHA3_")):
            name = const.replace("_FOR_LEGACY_USE_ONLY", "")
            name = {"SHA512_256": "SHA-512/256"}.get(name, name)
            out.add(R_RING, name, line, Usage.HASHING)
        elif const.startswith("ML_KEM_"):
            out.add(R_PQC, "ML-KEM-" + const.rsplit("_", 1)[-1], line, Usage.KEY_EXCHANGE)
        elif const.startswith("ML_DSA_"):
            out.add(R_PQC, "ML-DSA-" + const.split("_")[2], line, Usage.SIGNATURE)
        elif const in ("X25519_MLKEM768", "SECP256R1_MLKEM768"):
            out.add(R_PQC, const.replace("_", ""), line, Usage.KEY_EXCHANGE)

    @staticmethod
    def _openssl(masked: Masked, out: Collector, parts: list[str], fn: str | None, m: re.Match[str], line: int) -> None:
        last = parts[-1]
        code = masked.code
        args_text = masked.call_args(m.end() + code[m.end() :].find("(")) if fn else None
        args = split_args(args_text) if args_text else []
        if last == "Rsa" and fn == "generate":
            out.add(R_OPENSSL, "RSA", line, Usage.UNKNOWN, key_size=resolve_int(masked, args[0]) if args else None)
        elif last == "Dsa" and fn == "generate":
            out.add(R_OPENSSL, "DSA", line, Usage.SIGNATURE, key_size=resolve_int(masked, args[0]) if args else None)
        elif last == "EcGroup" and fn == "from_curve_name":
            cm = re.search(r"Nid\s*::\s*(?:X9_62_)?(\w+)", args_text or "")
            out.add(R_OPENSSL, "ECDSA", line, Usage.UNKNOWN, curve=cm.group(1).lower() if cm else None)
        elif last == "Cipher" and fn:
            out.add(R_OPENSSL, fn.replace("_", "-"), line, Usage.ENCRYPTION, mode=cipher_mode(fn))
        elif last == "MessageDigest" and fn:
            out.add(R_OPENSSL, fn, line, Usage.HASHING)
        elif parts[-2:-1] == ["sha"] and last in ("sha1", "sha224", "sha256", "sha384", "sha512"):
            out.add(R_OPENSSL, last, line, Usage.HASHING)
        elif last == "PKey" and fn in ("generate_ed25519", "generate_x25519", "generate_ed448", "generate_x448"):
            out.add(R_OPENSSL, fn.split("_", 1)[1], line, None)


_INTERESTING = frozenset(
    {*_CURVE_CRATES, "rsa", "ed25519_dalek", "ed25519", "x25519_dalek", "ed448_goldilocks", *_HASH_TYPES, *_SYM_TYPES,
     "hmac", "hkdf", "pbkdf2", "argon2", "scrypt", "bcrypt", "ml_kem", "ml_dsa", "pqcrypto_kyber", "pqcrypto_dilithium",
     "pqcrypto_mlkem", "pqcrypto_mldsa", "openssl", "md5"}
)
