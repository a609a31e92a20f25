""".NET (C#): ``System.Security.Cryptography`` (``RSA.Create(2048)``, ``Aes.Create()``,
``ECDsa.Create(ECCurve.NamedCurves.nistP384)``, ``new HMACSHA256(key)``, ``Rfc2898DeriveBytes``,
``MLKem``…) and Bouncy Castle for .NET's utility factories.

Confirm: lexical. Comments and strings (verbatim, interpolated and raw) are handled by
the C# lexer. ``KeySize``/``Mode`` set later on the same variable (``aes.KeySize = 256;``)
or in an object initializer join the creating call's finding.
"""

from __future__ import annotations

import re
from typing import ClassVar

from qrisk.model import Usage
from qrisk.scan.detectors.source._common import (
    Collector,
    SourceDetector,
    add_parts,
    hkdf_name,
    hmac_name,
    mode_of,
    resolve_int,
    resolve_str,
    split_args,
)
from qrisk.scan.detectors.source._lex import CSHARP, Masked

R_ASYM = "QR-CS-001"
R_SYM = "QR-CS-002"
R_HASH = "QR-CS-003"
R_MAC_KDF = "QR-CS-004"
R_PQC = "QR-CS-005"
R_BC = "QR-CS-006"
R_BYNAME = "QR-CS-007"

# Class → (algorithm, usage, kind): kind ``asym`` takes a key size or curve, ``sym`` a
# KeySize/Mode, ``hash`` is a digest, ``mac`` a keyed hash.
_CLASSES: dict[str, tuple[str, Usage, str]] = {
    "RSA": ("RSA", Usage.UNKNOWN, "asym"), "RSACryptoServiceProvider": ("RSA", Usage.UNKNOWN, "asym"),
    "RSACng": ("RSA", Usage.UNKNOWN, "asym"), "RSAOpenSsl": ("RSA", Usage.UNKNOWN, "asym"),
    "DSA": ("DSA", Usage.SIGNATURE, "asym"), "DSACryptoServiceProvider": ("DSA", Usage.SIGNATURE, "asym"),
    "DSACng": ("DSA", Usage.SIGNATURE, "asym"),
    "ECDsa": ("ECDSA", Usage.SIGNATURE, "ec"), "ECDsaCng": ("ECDSA", Usage.SIGNATURE, "ec"),
    "ECDsaOpenSsl": ("ECDSA", Usage.SIGNATURE, "ec"), "ECDiffieHellman": ("ECDH", Usage.KEY_EXCHANGE, "ec"),
    "ECDiffieHellmanCng": ("ECDH", Usage.KEY_EXCHANGE, "ec"), "ECDiffieHellmanOpenSsl": ("ECDH", Usage.KEY_EXCHANGE, "ec"),
    "Aes": ("AES", Usage.ENCRYPTION, "sym"), "AesManaged": ("AES", Usage.ENCRYPTION, "sym"),
    "AesCryptoServiceProvider": ("AES", Usage.ENCRYPTION, "sym"), "AesCng": ("AES", Usage.ENCRYPTION, "sym"),
    "Rijndael": ("AES", Usage.ENCRYPTION, "sym"), "RijndaelManaged": ("AES", Usage.ENCRYPTION, "sym"),
    "AesGcm": ("AES", Usage.ENCRYPTION, "gcm"), "AesCcm": ("AES", Usage.ENCRYPTION, "ccm"),
    "ChaCha20Poly1305": ("ChaCha20-Poly1305", Usage.ENCRYPTION, "aead"),
    "DES": ("DES", Usage.ENCRYPTION, "sym"), "DESCryptoServiceProvider": ("DES", Usage.ENCRYPTION, "sym"),
    "TripleDES": ("3DES", Usage.ENCRYPTION, "sym"), "TripleDESCryptoServiceProvider": ("3DES", Usage.ENCRYPTION, "sym"),
    "TripleDESCng": ("3DES", Usage.ENCRYPTION, "sym"), "RC2": ("RC2", Usage.ENCRYPTION, "sym"),
    "RC2CryptoServiceProvider": ("RC2", Usage.ENCRYPTION, "sym"),
    **{f"{h}{suffix}": (alg, Usage.HASHING, "hash") for h, alg in (
        ("MD5", "MD5"), ("SHA1", "SHA-1"), ("SHA256", "SHA-256"), ("SHA384", "SHA-384"), ("SHA512", "SHA-512"),
        ("SHA3_256", "SHA3-256"), ("SHA3_384", "SHA3-384"), ("SHA3_512", "SHA3-512"), ("RIPEMD160", "RIPEMD-160"))
       for suffix in ("", "Managed", "CryptoServiceProvider", "Cng")},
    "Shake128": ("SHAKE128", Usage.HASHING, "hash"), "Shake256": ("SHAKE256", Usage.HASHING, "hash"),
    **{f"HMAC{h}": (hmac_name(h), Usage.AUTHENTICATION, "mac") for h in ("MD5", "SHA1", "SHA256", "SHA384", "SHA512", "SHA3_256", "RIPEMD160")},
    "Rfc2898DeriveBytes": ("PBKDF2", Usage.KEY_DERIVATION, "pbkdf2"), "PasswordDeriveBytes": ("PBKDF2", Usage.KEY_DERIVATION, "kdf"),
    "HKDF": ("HKDF", Usage.KEY_DERIVATION, "hkdf"),
    "MLKem": ("ML-KEM", Usage.KEY_EXCHANGE, "pqc"), "MLDsa": ("ML-DSA", Usage.SIGNATURE, "pqc"),
    "SlhDsa": ("SLH-DSA", Usage.SIGNATURE, "pqc"), "CompositeMLDsa": ("ML-DSA", Usage.SIGNATURE, "pqc"),
}
_CLASS_ALT = "|".join(sorted(_CLASSES, key=len, reverse=True))
_CREATE = re.compile(
    rf"(?<![\w.])(?:System\.Security\.Cryptography\.)?(?P<cls>{_CLASS_ALT})\s*\.\s*(?P<fn>Create|HashData|HashDataAsync|"
    rf"GenerateKey|DeriveKey|Pbkdf2|Extract|Expand|ImportFromPem|ImportSubjectPublicKeyInfo|ImportPkcs8PrivateKey|"
    rf"ImportEncapsulationKey|ImportDecapsulationKey|ImportMLDsaPublicKey|ImportMLDsaPrivateKey)\s*\("
    rf"|(?<![\w.])new\s+(?:System\.Security\.Cryptography\.)?(?P<ncls>{_CLASS_ALT})\s*(?P<open>[({{])"
)
_CURVE = re.compile(r"\bECCurve\s*\.\s*NamedCurves\s*\.\s*(?P<c>\w+)|\bECCurve\s*\.\s*CreateFromFriendlyName\s*\(\s*(?P<s>\"[^\"]*\")")
_HASHNAME = re.compile(r"\bHashAlgorithmName\s*\.\s*(?P<h>\w+)")
_PQC_PARAM = re.compile(r"\b(?:MLKemAlgorithm|MLDsaAlgorithm|SlhDsaAlgorithm)\s*\.\s*(?P<p>\w+)")
_BYNAME = re.compile(
    r"(?<![\w.])(?P<cls>HashAlgorithm|SymmetricAlgorithm|AsymmetricAlgorithm|KeyedHashAlgorithm|HMAC)\s*\.\s*Create\s*\(|"
    r"(?<![\w.])CryptoConfig\s*\.\s*CreateFromName\s*\("
)
_BC_UTIL = re.compile(
    r"(?<![\w.])(?P<cls>CipherUtilities\s*\.\s*GetCipher|SignerUtilities\s*\.\s*GetSigner|DigestUtilities\s*\.\s*GetDigest|"
    r"GeneratorUtilities\s*\.\s*GetKeyPairGenerator|GeneratorUtilities\s*\.\s*GetKeyGenerator|MacUtilities\s*\.\s*GetMac|"
    r"AgreementUtilities\s*\.\s*GetBasicAgreement)\s*\("
)
_BC_NEW = re.compile(
    r"(?<![\w.])new\s+(?P<name>[A-Z][A-Za-z0-9]*?)(?P<kind>Engine|Digest|Signer|KeyPairGenerator|Agreement|BasicAgreement)\s*\("
)
_BC_STEMS = {"Aes": "AES", "DesEde": "3DES", "Des": "DES", "Rsa": "RSA", "RsaBlinded": "RSA", "Sha1": "SHA-1",
             "Sha256": "SHA-256", "Sha384": "SHA-384", "Sha512": "SHA-512", "Md5": "MD5", "Sha3": "SHA3-256",
             "Ecdsa": "ECDSA", "ECDsa": "ECDSA", "ECDH": "ECDH", "ECDHBasic": "ECDH", "Ed25519": "Ed25519",
             "X25519": "X25519", "Dsa": "DSA", "Blowfish": "Blowfish", "RC4": "RC4", "ChaCha7539": "ChaCha20",
             "RipeMD160": "RIPEMD-160", "Blake2b": "BLAKE2b", "Kyber": "ML-KEM", "MLKem": "ML-KEM", "Dilithium": "ML-DSA",
             "MLDsa": "ML-DSA", "DH": "DH", "DHBasic": "DH"}
_BC_USAGE = {"Engine": Usage.ENCRYPTION, "Digest": Usage.HASHING, "Signer": Usage.SIGNATURE,
             "Agreement": Usage.KEY_EXCHANGE, "BasicAgreement": Usage.KEY_EXCHANGE, "KeyPairGenerator": None}


class CSharpSourceDetector(SourceDetector):
    """C# source (lexical confirm)."""

    id = "source-csharp"
    description = "System.Security.Cryptography and Bouncy Castle calls in C# source"
    rules: ClassVar[dict[str, str]] = {
        R_ASYM: "RSA / DSA / ECDsa / ECDiffieHellman with key size or curve",
        R_SYM: "Aes / DES / TripleDES / RC2 / AesGcm / ChaCha20Poly1305 with KeySize and Mode",
        R_HASH: "hash class (MD5, SHA1, SHA256…)",
        R_MAC_KDF: "HMAC class, Rfc2898DeriveBytes (PBKDF2) or HKDF",
        R_PQC: "MLKem / MLDsa / SlhDsa",
        R_BC: "Bouncy Castle utility factory or lightweight class",
        R_BYNAME: "algorithm created by name (HashAlgorithm.Create(\"SHA1\"), CryptoConfig)",
    }
    extensions = frozenset({".cs", ".csx"})
    lexer = CSHARP
    keywords: ClassVar[tuple[bytes, ...]] = (b"system.security.cryptography", b"org.bouncycastle", b"cryptoconfig")

    def confirm(self, masked: Masked, out: Collector) -> None:
        code = masked.code
        for m in _CREATE.finditer(code):
            if masked.in_string(m.start()):
                continue
            cls = m.group("cls") or m.group("ncls")
            fn = m.group("fn") or "new"
            alg, usage, kind = _CLASSES[cls]
            open_at = m.end() - 1
            args_text = masked.call_args(open_at) or ""
            args = split_args(args_text) if m.group("open") != "{" else []
            line = masked.line_of(m.start())
            size = curve = mode = None
            if kind == "asym" and args and fn in ("Create", "new"):
                size = resolve_int(masked, args[0])
            elif kind == "ec":
                cm = _CURVE.search(args_text)
                if cm:
                    curve = cm.group("c") or resolve_str(masked, cm.group("s"))
            elif kind in ("gcm", "ccm"):
                mode = kind.upper()
            elif kind == "pbkdf2":
                hm = _HASHNAME.search(args_text)
                if hm:
                    pass  # the PRF hash is part of PBKDF2, not a separate finding
            elif kind == "hkdf":
                hm = _HASHNAME.search(args_text)
                alg = hkdf_name(hm.group("h") if hm else None)
            elif kind == "pqc":
                pm = _PQC_PARAM.search(args_text)
                if pm:
                    alg = pm.group("p")
            if kind in ("sym", "asym", "ec"):
                size2, mode2 = self._properties(masked, m, open_at, args_text)
                size = size or size2
                mode = mode or mode2
                if kind == "sym" and mode is None and cls in ("Aes", "AesManaged", "AesCryptoServiceProvider", "AesCng",
                                                               "Rijndael", "RijndaelManaged", "DES", "TripleDES",
                                                               "DESCryptoServiceProvider", "TripleDESCryptoServiceProvider"):
                    mode = None
            if kind == "hash" and fn not in ("Create", "new", "HashData", "HashDataAsync"):
                continue
            out.add(R_PQC if kind == "pqc" else (R_HASH if kind == "hash" else (R_MAC_KDF if kind in ("mac", "pbkdf2", "kdf", "hkdf") else (R_SYM if kind in ("sym", "gcm", "ccm", "aead") else R_ASYM))),
                    alg, line, usage, key_size=size, curve=curve, mode=mode)
        for m in _BYNAME.finditer(code):
            if masked.in_string(m.start()):
                continue
            args = split_args(masked.call_args(m.end() - 1) or "")
            name = resolve_str(masked, args[0]) if args else None
            if name:
                cls = m.group("cls") or ""
                out.add(R_BYNAME, hmac_name(name) if cls == "HMAC" and not name.upper().startswith("HMAC") else name,
                        masked.line_of(m.start()), None)
        if "Org.BouncyCastle" in masked.text:
            self._bouncy_castle(masked, out)

    @staticmethod
    def _properties(masked: Masked, m: re.Match[str], open_at: int, args_text: str) -> tuple[int | None, str | None]:
        """KeySize and Mode from an object initializer or later ``var.KeySize = n;`` statements."""
        code = masked.code
        size = mode = None
        text = ""
        if m.group("open") == "{":
            text = args_text
        else:
            after = open_at + len(args_text) + 2
            init = re.match(r"\s*\{", code[after : after + 10])
            if init:
                text = masked.call_args(after + init.end() - 1) or ""
            start_of_line = code.rfind("\n", 0, m.start()) + 1
            var = re.search(r"(?P<v>[A-Za-z_]\w*)\s*=\s*$", code[start_of_line : m.start()])
            if var:
                v = re.escape(var.group("v"))
                # statements until the variable is assigned again
                stop = re.compile(rf"(?<![\w.]){v}\s*=(?!=)").search(code, after)
                end = stop.start() if stop else len(code)
                text += "\n" + "\n".join(
                    x.group(0) for x in re.finditer(rf"(?<![\w]){v}\s*\.\s*(?:KeySize|Mode)\s*=\s*[^;]+;", code[after:end])
                )
        km = re.search(r"\bKeySize\s*=\s*(?P<v>[\w.]+)", text)
        if km:
            size = resolve_int(masked, km.group("v"))
        mm = re.search(r"\bMode\s*=\s*CipherMode\s*\.\s*(?P<v>\w+)", text)
        if mm:
            mode = mode_of(mm.group("v"))
        return size, mode

    def _bouncy_castle(self, masked: Masked, out: Collector) -> None:
        for m in _BC_UTIL.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            args = split_args(masked.call_args(m.end() - 1) or "")
            name = resolve_str(masked, args[0]) if args else None
            if not name:
                continue
            cls = re.sub(r"\s", "", m.group("cls"))
            line = masked.line_of(m.start())
            if cls.startswith("CipherUtilities"):
                parts = name.split("/")
                out.add(R_BC, parts[0], line, Usage.ENCRYPTION, mode=mode_of(parts[1]) if len(parts) > 1 else None)
            elif cls.startswith("SignerUtilities"):
                add_parts(out, R_BC, name, line, Usage.SIGNATURE)
            elif cls.startswith("DigestUtilities"):
                out.add(R_BC, name, line, Usage.HASHING)
            elif cls.startswith("MacUtilities"):
                out.add(R_BC, name, line, Usage.AUTHENTICATION)
            elif cls.startswith("AgreementUtilities"):
                out.add(R_BC, name, line, Usage.KEY_EXCHANGE)
            else:
                out.add(R_BC, "ECDSA" if name.upper() == "EC" else name, line, None)
        for m in _BC_NEW.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            alg = _BC_STEMS.get(m.group("name"))
            if alg:
                out.add(R_BC, alg, masked.line_of(m.start()), _BC_USAGE[m.group("kind")])
        for m in re.finditer(r"(?<![\w.])new\s+RsaKeyGenerationParameters\s*\(", masked.code):
            args = split_args(masked.call_args(m.end() - 1) or "")
            if len(args) >= 3 and not masked.in_string(m.start()):
                out.add(R_BC, "RSA", masked.line_of(m.start()), None, key_size=resolve_int(masked, args[2]))
