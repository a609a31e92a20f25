"""Java and Kotlin: the JCA/JCE (``Cipher``, ``KeyPairGenerator``, ``Signature``…), its
parameter specs, and Bouncy Castle's lightweight API (``new AESEngine()``, ``SHA256Digest``…).

Confirm: lexical. Comments are blanked and string literals located by the Java/Kotlin
lexer; a rule fires only on an API call outside a string, and reads its literal
argument (or a same-file ``static final``/``const val`` constant). Key sizes and curves
given later through ``kpg.initialize(…)``/``kg.init(…)`` are joined to the
``getInstance`` call by the variable name (or a Kotlin ``apply {}`` block).
"""

from __future__ import annotations

import re
from typing import ClassVar

from qrisk.model import Confidence, Usage
from qrisk.scan.detectors.source._common import (
    Collector,
    SourceDetector,
    add_parts,
    canonical,
    hmac_name,
    initializer_span,
    mode_of,
    resolve_int,
    resolve_str,
    split_args,
)
from qrisk.scan.detectors.source._lex import JAVA, Masked

R_CIPHER = "QR-JAVA-001"
R_KEYPAIRGEN = "QR-JAVA-002"
R_KEYGEN = "QR-JAVA-003"
R_SIGNATURE = "QR-JAVA-004"
R_DIGEST = "QR-JAVA-005"
R_MAC = "QR-JAVA-006"
R_AGREEMENT = "QR-JAVA-007"
R_SKF = "QR-JAVA-008"
R_KEYFACTORY = "QR-JAVA-009"
R_SECRETKEYSPEC = "QR-JAVA-010"
R_PARAMSPEC = "QR-JAVA-011"
R_BC = "QR-JAVA-012"
R_BC_UTIL = "QR-JAVA-013"

_GET_INSTANCE = re.compile(
    r"(?<![\w.])(?:javax?\.crypto\.|java\.security\.)?(?P<cls>Cipher|KeyPairGenerator|KeyGenerator|Signature|MessageDigest|Mac|"
    r"KeyAgreement|SecretKeyFactory|KeyFactory|KEM)\s*\.\s*getInstance\s*\("
)
_SPEC = re.compile(r"(?<![\w.])(?:new\s+)?(?P<cls>ECGenParameterSpec|NamedParameterSpec|RSAKeyGenParameterSpec|SecretKeySpec)\s*\(")
_NAMED_SPEC_CONST = re.compile(r"\bNamedParameterSpec\s*\.\s*(?P<name>[A-Z][A-Z0-9_]+)\b")
_BC_NEW = re.compile(
    r"(?<![\w.])(?:new\s+)?(?:[a-z][\w]*\.)*(?P<name>[A-Z][A-Za-z0-9]*?)(?P<kind>Engine|Digest|Signer|KeyPairGenerator|Agreement|"
    r"BasicAgreement|Mac|KEMGenerator|KEMExtractor)\s*(?:\.\s*newInstance\s*)?\("
)
_BC_PARAMS = re.compile(
    r"(?<![\w.])(?P<cls>MLKEMParameters|MLDSAParameters|KyberParameters|DilithiumParameters|SLHDSAParameters|"
    r"SPHINCSPlusParameters|FalconParameters)\s*\.\s*(?P<name>\w+)"
)
_BC_UTIL = re.compile(
    r"(?<![\w.])(?P<cls>ECNamedCurveTable|CustomNamedCurves|SECNamedCurves|NISTNamedCurves)\s*\.\s*getByName\s*\(|"
    r"(?<![\w.])ECNamedCurveTable\s*\.\s*getParameterSpec\s*\(|"
    r"(?<![\w.])new\s+(?P<builder>JcaContentSignerBuilder|JcaContentVerifierProviderBuilder)\s*\(|"
    r"(?<![\w.])new\s+RSAKeyGenerationParameters\s*\("
)
_CHAINED_INIT = re.compile(r"\s*\.\s*(?:apply|also|run)\s*\{\s*(?:it\s*\.\s*)?(?:initialize|init)\s*\(")
_BC_MODE = re.compile(r"\b(GCM|CBC|CTR|SIC|CFB|OFB|CCM|EAX|OCB)(?:Block)?Cipher\s*(?:\.\s*newInstance\s*)?\(\s*$")
# Bouncy Castle lightweight class-name stems that are not algorithm names.
_BC_NOT_ALG = frozenset({"Block", "Null", "Short", "Long", "Buffered", "Stream", "Default", "Generic", "Ed", "Hash", "Raw"})
_BC_STEMS = {
    "DESede": "3DES", "TripleDES": "3DES", "RC4": "RC4", "RC532": "RC5", "AESLight": "AES", "AESFast": "AES",
    "RSABlinded": "RSA", "Ed25519ph": "Ed25519", "X25519": "X25519", "X448": "X448", "ECDH": "ECDH", "ECDHC": "ECDH",
    "ECDSA": "ECDSA", "DH": "DH", "DHBasic": "DH", "Kyber": "ML-KEM", "MLKEM": "ML-KEM", "Dilithium": "ML-DSA",
    "MLDSA": "ML-DSA", "SLHDSA": "SLH-DSA", "SPHINCSPlus": "SLH-DSA", "Falcon": "FN-DSA", "GOST3411": "GOST R 34.11-94",
    "SHA3": "SHA3-256", "SHAKE": "SHAKE128", "Blake2b": "BLAKE2b", "Blake2s": "BLAKE2s", "Blake3": "BLAKE3",
    "RIPEMD160": "RIPEMD-160", "MD5": "MD5", "SHA1": "SHA-1", "SHA224": "SHA-224", "SHA256": "SHA-256",
    "SHA384": "SHA-384", "SHA512": "SHA-512", "SM3": "SM3", "Whirlpool": "Whirlpool", "Poly1305": "Poly1305",
    "ChaCha7539": "ChaCha20", "ChaCha": "ChaCha20", "XSalsa20": "Salsa20",
}
_CLASS_USAGE = {
    "Cipher": Usage.ENCRYPTION, "Signature": Usage.SIGNATURE, "MessageDigest": Usage.HASHING,
    "Mac": Usage.AUTHENTICATION, "KeyAgreement": Usage.KEY_EXCHANGE, "SecretKeyFactory": Usage.KEY_DERIVATION,
    "KEM": Usage.KEY_EXCHANGE,
}
_EC_SIZES = {"192": "P-192", "224": "P-224", "256": "P-256", "384": "P-384", "521": "P-521"}


def _jca_name(raw: str) -> tuple[str, str | None, str | None]:
    """(algorithm, mode, oaep hash) of a JCA transformation like ``AES/GCM/NoPadding``."""
    parts = raw.split("/")
    alg = parts[0].strip()
    mode = parts[1].strip().upper() if len(parts) > 1 else None
    oaep = None
    if len(parts) > 2:
        m = re.match(r"OAEPWith(?P<h>[\w-]+?)AndMGF1Padding", parts[2], re.IGNORECASE)
        if m:
            oaep = m.group("h")
    m = re.match(r"^(AES|Camellia|ARIA)_(128|192|256)$", alg, re.IGNORECASE)
    if m:
        alg = f"{m.group(1)}-{m.group(2)}"
    if mode in ("NONE", "ECB") and alg.upper().startswith("RSA"):
        mode = None
    return alg, mode_of(mode) if mode else None, oaep


class JvmSourceDetector(SourceDetector):
    """Java and Kotlin source (lexical confirm)."""

    id = "source-jvm"
    description = "JCA/JCE and Bouncy Castle calls in Java and Kotlin source"
    rules: ClassVar[dict[str, str]] = {
        R_CIPHER: "Cipher.getInstance transformation",
        R_KEYPAIRGEN: "KeyPairGenerator.getInstance with its initialize() size or curve",
        R_KEYGEN: "KeyGenerator.getInstance with its init() size",
        R_SIGNATURE: "Signature.getInstance algorithm (signature and hash)",
        R_DIGEST: "MessageDigest.getInstance",
        R_MAC: "Mac.getInstance",
        R_AGREEMENT: "KeyAgreement or KEM getInstance",
        R_SKF: "SecretKeyFactory.getInstance (PBKDF2, DESede…)",
        R_KEYFACTORY: "KeyFactory.getInstance",
        R_SECRETKEYSPEC: "SecretKeySpec algorithm",
        R_PARAMSPEC: "ECGenParameterSpec / NamedParameterSpec / RSAKeyGenParameterSpec",
        R_BC: "Bouncy Castle lightweight engine, digest, signer, key-pair generator or agreement",
        R_BC_UTIL: "Bouncy Castle named curve, content signer or parameter set",
    }
    extensions = frozenset({".java", ".kt", ".kts", ".scala", ".groovy"})
    lexer = JAVA
    keywords: ClassVar[tuple[bytes, ...]] = (
        b"getinstance", b"secretkeyspec", b"parameterspec", b"bouncycastle", b"engine(", b"digest(", b"signer(",
        b"keypairgenerator", b"agreement(",
    )

    def confirm(self, masked: Masked, out: Collector) -> None:
        code = masked.code
        bound: list[tuple[int, int]] = []
        for m in _GET_INSTANCE.finditer(code):
            if masked.in_string(m.start()):
                continue
            args = masked.call_args(m.end() - 1)
            if args is None:
                continue
            first = split_args(args)[0] if args.strip() else ""
            name = resolve_str(masked, first) or _android_name(first)
            if not name:
                continue
            arg_pos = m.end() + max(0, args.find(first))
            line = masked.line_of(arg_pos) if parse_literal_here(first) else masked.line_of(m.start())
            cls = m.group("cls")
            self._get_instance(masked, out, cls, name, line, m, bound)
        self._specs(masked, out, bound)
        self._bouncy_castle(masked, out, bound)

    # ------------------------------------------------------------------ JCA

    def _get_instance(
        self, masked: Masked, out: Collector, cls: str, name: str, line: int, m: re.Match[str],
        bound: list[tuple[int, int]],
    ) -> None:
        if cls == "Cipher":
            alg, mode, oaep = _jca_name(name)
            if mode is None and "/" not in name and canonical(alg) in ("AES", "AES-128", "AES-192", "AES-256", "DES", "3DES", "Blowfish"):
                # JCA providers default a bare block-cipher name to ECB/PKCS5Padding.
                mode = "ECB"
            if out.add(R_CIPHER, alg, line, Usage.ENCRYPTION, mode=mode) and oaep:
                out.add(R_CIPHER, oaep, line, Usage.HASHING)
        elif cls == "Signature":
            add_parts(out, R_SIGNATURE, name, line, Usage.SIGNATURE)
        elif cls == "MessageDigest":
            out.add(R_DIGEST, name, line, Usage.HASHING)
        elif cls == "Mac":
            out.add(R_MAC, name if canonical(name) else hmac_name(None), line, Usage.AUTHENTICATION)
        elif cls in ("KeyAgreement", "KEM"):
            out.add(R_AGREEMENT, name, line, Usage.KEY_EXCHANGE)
        elif cls == "SecretKeyFactory":
            alg = name.split("/")[0]
            out.add(R_SKF, alg, line, Usage.KEY_DERIVATION if canonical(alg) == "PBKDF2" else Usage.ENCRYPTION)
        elif cls == "KeyFactory":
            out.add(R_KEYFACTORY, name, line, None)
        elif cls in ("KeyPairGenerator", "KeyGenerator"):
            size, curve, spans = self._init_args(masked, m)
            bound.extend(spans)
            rule = R_KEYPAIRGEN if cls == "KeyPairGenerator" else R_KEYGEN
            upper = name.upper()
            if upper in ("EC", "ECDSA", "ECDH") and size and curve is None:
                curve = _EC_SIZES.get(str(size))
                size = None
            if cls == "KeyGenerator" and upper.startswith("HMAC"):
                size = None
            usage = None
            if upper in ("EC", "ECDSA") and cls == "KeyPairGenerator":
                usage = Usage.UNKNOWN
            if curve and upper in ("XDH", "EDDSA", "ML-KEM", "ML-DSA", "SLH-DSA"):
                out.add(rule, curve, line, None)
                return
            out.add(rule, "ECDSA" if upper == "EC" else name, line, usage, key_size=size, curve=curve)

    def _init_args(self, masked: Masked, m: re.Match[str]) -> tuple[int | None, str | None, list[tuple[int, int]]]:
        """(key size, curve, spans consumed here) from the initialize()/init() that follows."""
        code = masked.code
        start_of_line = code.rfind("\n", 0, m.start()) + 1
        before = code[start_of_line : m.start()]
        var = re.search(r"(?P<v>[A-Za-z_$][\w$]*)\s*(?::\s*[\w.<>?]+\s*)?=\s*$", before)
        close = masked.call_args(m.end() - 1)
        after_call = m.end() + (len(close) + 1 if close is not None else 0)
        # chained (Kotlin ``.apply { initialize(n) }``) first, then through the variable
        init = _CHAINED_INIT.match(code, after_call)
        if init is None and var:
            rx = re.compile(rf"(?<![\w$]){re.escape(var.group('v'))}\s*\??\.\s*(?:initialize|init)\s*\(")
            next_assign = re.compile(rf"(?<![\w$.]){re.escape(var.group('v'))}\s*=(?!=)")
            init = rx.search(code, after_call)
            reassigned = next_assign.search(code, after_call)
            if init and reassigned and reassigned.start() < init.start():
                init = None
        if init is None or masked.in_string(init.start()):
            return None, None, []
        args = masked.call_args(init.end() - 1)
        if not args:
            return None, None, []
        spans = [(init.end(), init.end() + len(args))]
        first = split_args(args)[0]
        size = resolve_int(masked, first)
        if size is not None:
            return size, None, spans
        ident = re.fullmatch(r"[A-Za-z_$][\w$]*", first.strip())
        if ident:
            found = initializer_span(masked, ident.group(0), init.start())
            if found is None:
                return None, None, spans
            first = found[0]
            spans.append((found[1], found[1] + len(first)))
        named = _NAMED_SPEC_CONST.search(first)
        if named:
            return None, named.group("name"), spans
        ncs = re.search(r"ECNamedCurveTable\s*\.\s*getParameterSpec\s*\(\s*(\"[^\"]+\"|\w+)", first)
        if ncs:
            return None, resolve_str(masked, ncs.group(1)), spans
        spec_m = _SPEC.search(first)
        if spec_m is None:
            return None, None, spans
        spec_args = first[spec_m.end() :]
        parts = split_args(spec_args.rsplit(")", 1)[0]) if spec_args else []
        if not parts:
            return None, None, spans
        if spec_m.group("cls") == "RSAKeyGenParameterSpec":
            return resolve_int(masked, parts[0]), None, spans
        return None, resolve_str(masked, parts[0]), spans

    def _specs(self, masked: Masked, out: Collector, bound: list[tuple[int, int]]) -> None:
        for m in _SPEC.finditer(masked.code):
            if masked.in_string(m.start()) or _within(m.start(), bound):
                continue
            args = masked.call_args(m.end() - 1)
            if not args:
                continue
            parts = split_args(args)
            cls = m.group("cls")
            line = masked.line_of(m.start())
            if cls == "SecretKeySpec" and len(parts) >= 2:
                alg = resolve_str(masked, parts[-1])
                if alg:
                    out.add(R_SECRETKEYSPEC, alg.split("/")[0], line, None)
            elif cls == "ECGenParameterSpec":
                curve = resolve_str(masked, parts[0])
                if curve:
                    out.add(R_PARAMSPEC, "ECDSA", line, Usage.UNKNOWN, curve=curve)
            elif cls == "NamedParameterSpec":
                name = resolve_str(masked, parts[0])
                if name:
                    out.add(R_PARAMSPEC, name, line, None)
            elif cls == "RSAKeyGenParameterSpec":
                out.add(R_PARAMSPEC, "RSA", line, None, key_size=resolve_int(masked, parts[0]))

    # ------------------------------------------------------------------ Bouncy Castle

    def _bouncy_castle(self, masked: Masked, out: Collector, bound: list[tuple[int, int]]) -> None:
        code = masked.code
        if "bouncycastle" not in masked.text.lower():
            return
        consumed: list[tuple[int, int]] = []
        for m in _BC_NEW.finditer(code):
            if masked.in_string(m.start()) or _within(m.start(), consumed):
                continue
            stem, kind = m.group("name"), m.group("kind")
            if stem in _BC_NOT_ALG:
                continue
            alg = _BC_STEMS.get(stem, stem)
            line = masked.line_of(m.start())
            args = masked.call_args(m.end() - 1) or ""
            if kind == "Digest":
                if stem in ("SHA3", "Keccak", "SHAKE"):
                    bits = resolve_int(masked, args.strip()) if args.strip() else None
                    base = {"SHA3": "SHA3-{}", "Keccak": "Keccak-{}", "SHAKE": "SHAKE{}"}[stem]
                    alg = base.format(bits or (128 if stem == "SHAKE" else 256))
                out.add(R_BC, alg, line, Usage.HASHING)
            elif kind == "Mac":
                if stem == "H":
                    consumed.append((m.end(), m.end() + len(args)))
                    inner = re.search(r"(?:new\s+)?(\w+?)Digest\s*\(", args)
                    out.add(R_BC, hmac_name(_BC_STEMS.get(inner.group(1), inner.group(1)) if inner else None), line, Usage.AUTHENTICATION)
                else:
                    out.add(R_BC, alg, line, Usage.AUTHENTICATION)
            elif kind == "Engine":
                wrapper = _BC_MODE.search(code[max(0, m.start() - 60) : m.start()])
                out.add(R_BC, alg, line, Usage.ENCRYPTION, mode=mode_of(wrapper.group(1).replace("SIC", "CTR")) if wrapper else None)
            elif kind == "Signer":
                if stem in ("PSS", "RSADigest", "ISO9796d2", "X931"):
                    out.add(R_BC, "RSA", line, Usage.SIGNATURE)
                else:
                    out.add(R_BC, alg, line, Usage.SIGNATURE)
            elif kind in ("Agreement", "BasicAgreement") or kind in ("KEMGenerator", "KEMExtractor"):
                out.add(R_BC, alg, line, Usage.KEY_EXCHANGE)
            elif kind == "KeyPairGenerator":
                out.add(R_BC, alg, line, None)
        for m in _BC_PARAMS.finditer(code):
            if masked.in_string(m.start()):
                continue
            out.add(R_BC_UTIL, m.group("name").replace("_", "-"), masked.line_of(m.start()), None)
        for m in _BC_UTIL.finditer(code):
            if masked.in_string(m.start()) or _within(m.start(), bound):
                continue
            args = masked.call_args(m.end() - 1) or ""
            parts = split_args(args)
            line = masked.line_of(m.start())
            text = m.group(0)
            if "RSAKeyGenerationParameters" in text:
                size = resolve_int(masked, parts[2]) if len(parts) >= 3 else None
                out.add(R_BC_UTIL, "RSA", line, None, key_size=size)
            elif m.group("builder"):
                name = resolve_str(masked, parts[0]) if parts else None
                if name:
                    add_parts(out, R_BC_UTIL, name, line, Usage.SIGNATURE)
            else:
                curve = resolve_str(masked, parts[0]) if parts else None
                if curve:
                    out.add(R_BC_UTIL, "ECDSA", line, Usage.UNKNOWN, curve=curve, confidence=Confidence.MEDIUM)


def _android_name(token: str) -> str | None:
    """``KeyProperties.KEY_ALGORITHM_AES`` (Android keystore constants) → ``AES``."""
    m = re.fullmatch(r"\s*(?:android\.security\.keystore\.)?KeyProperties\s*\.\s*KEY_ALGORITHM_(?P<n>\w+)\s*", token)
    if not m:
        return None
    name = m.group("n")
    return {"EC": "EC", "HMAC_SHA256": "HmacSHA256", "HMAC_SHA1": "HmacSHA1", "HMAC_SHA384": "HmacSHA384",
            "HMAC_SHA512": "HmacSHA512", "HMAC_SHA224": "HmacSHA224", "3DES": "DESede"}.get(name, name)


def _within(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


def parse_literal_here(token: str) -> bool:
    """Whether an argument is written as a literal (its line is then the finding's line)."""
    t = token.strip()
    return bool(t) and t[0] in "\"'"
