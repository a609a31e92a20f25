"""Ruby: ``OpenSSL::PKey``/``Cipher``/``Digest``/``HMAC``/``PKCS5``/``KDF``, the stdlib
``Digest``, bcrypt, argon2, RbNaCl, the ed25519 gem and ruby-jwt.

Confirm: lexical. ``#`` comments, ``=begin``/``=end`` blocks, heredocs and ``%q()``-style
literals are handled by the Ruby lexer. Without an ``include OpenSSL`` the OpenSSL
classes must be written with their ``OpenSSL::`` prefix.
"""

from __future__ import annotations

import re
from typing import ClassVar

from qrisk.model import Usage
from qrisk.scan.detectors.source._common import (
    Collector,
    SourceDetector,
    add_parts,
    cipher_mode,
    hkdf_name,
    hmac_name,
    mode_of,
    resolve_int,
    resolve_str,
    split_args,
)
from qrisk.scan.detectors.source._lex import RUBY, Masked

R_PKEY = "QR-RB-001"
R_CIPHER = "QR-RB-002"
R_DIGEST = "QR-RB-003"
R_MAC_KDF = "QR-RB-004"
R_NACL = "QR-RB-005"
R_JWT = "QR-RB-006"

_OSSL = r"(?:::)?(?:OpenSSL\s*::\s*)"
_PKEY = re.compile(
    rf"(?<![\w:]){_OSSL}{{0,1}}PKey\s*::\s*(?P<cls>RSA|DSA|DH|EC)\s*\.\s*(?P<fn>new|generate)\b\s*(?P<open>\(?)"
    rf"|(?<![\w:]){_OSSL}{{0,1}}PKey\s*\.\s*(?P<gk>generate_key|generate_parameters)\s*(?P<open2>\(?)"
)
_CIPHER = re.compile(
    rf"(?<![\w:]){_OSSL}{{0,1}}Cipher\s*(?:::\s*(?P<cls>AES128|AES192|AES256|AES|DES|BF|CAST5|RC2|RC4|Camellia|IDEA)\s*)?\.\s*new\b\s*\(?"
)
_DIGEST = re.compile(
    rf"(?<![\w:])(?P<ossl>{_OSSL})?Digest\s*(?:::\s*(?P<cls>MD5|SHA1|SHA2|SHA224|SHA256|SHA384|SHA512|RMD160|RIPEMD160|MD4)\s*)?"
    rf"\s*\.\s*(?P<fn>new|digest|hexdigest|base64digest|file)\b\s*\(?"
)
_HMAC = re.compile(rf"(?<![\w:]){_OSSL}{{0,1}}HMAC\s*\.\s*(?P<fn>new|digest|hexdigest|base64digest)\b\s*\(?")
_KDF = re.compile(
    rf"(?<![\w:]){_OSSL}{{0,1}}(?:PKCS5\s*\.\s*(?P<p5>pbkdf2_hmac_sha1|pbkdf2_hmac)|KDF\s*\.\s*(?P<kdf>pbkdf2_hmac|hkdf|scrypt))\b\s*\(?"
)
_OTHER = re.compile(
    r"(?<![\w:])(?P<lib>BCrypt\s*::\s*Password\s*\.\s*create|Argon2\s*::\s*Password\s*\.\s*(?:create|new)|"
    r"RbNaCl\s*::\s*(?P<nacl>SigningKey|VerifyKey|PrivateKey|PublicKey|Box|SimpleBox|SecretBox|Hash|PasswordHash|"
    r"AEAD\s*::\s*\w+|GroupElement)\s*\.\s*(?P<nfn>\w+)|"
    r"Ed25519\s*::\s*(?:SigningKey|VerifyKey)\s*\.\s*(?:generate|new)|X25519\s*::\s*(?:Scalar|EphemeralSecret)\s*\.\s*\w+)"
)
_JWT = re.compile(r"(?<![\w:])JWT\s*\.\s*(?P<fn>encode|decode)\s*\(?")
_RUBY_DIGESTS = {"SHA2": "SHA-256", "RMD160": "RIPEMD-160", "RIPEMD160": "RIPEMD-160"}


class RubySourceDetector(SourceDetector):
    """Ruby source (lexical confirm)."""

    id = "source-ruby"
    description = "OpenSSL, Digest, bcrypt, argon2, RbNaCl and JWT usage in Ruby source"
    rules: ClassVar[dict[str, str]] = {
        R_PKEY: "OpenSSL::PKey key generation with size or curve",
        R_CIPHER: "OpenSSL::Cipher with its mode",
        R_DIGEST: "OpenSSL::Digest or Digest hash",
        R_MAC_KDF: "OpenSSL::HMAC, PKCS5/KDF (PBKDF2, HKDF, scrypt), bcrypt or argon2",
        R_NACL: "RbNaCl or ed25519/x25519 gems",
        R_JWT: "ruby-jwt algorithm",
    }
    extensions = frozenset({".rb", ".rake", ".ru", ".gemspec"})
    filenames = frozenset({"rakefile"})
    lexer = RUBY
    keywords: ClassVar[tuple[bytes, ...]] = (b"openssl", b"digest", b"bcrypt", b"argon2", b"rbnacl", b"ed25519", b"x25519", b"jwt")

    def confirm(self, masked: Masked, out: Collector) -> None:
        code = masked.code
        include_openssl = bool(re.search(r"^\s*include\s+OpenSSL\b", code, re.MULTILINE))

        def allowed(m: re.Match[str]) -> bool:
            return not masked.in_string(m.start()) and ("OpenSSL" in m.group(0) or include_openssl)

        consumed: list[tuple[int, int]] = []
        for m in _HMAC.finditer(code):
            if not allowed(m):
                continue
            args_text, args, span = self._args(masked, m)
            consumed.append(span)
            fn = m.group("fn")
            digest = args[1] if fn == "new" and len(args) > 1 else (args[0] if args else None)
            out.add(R_MAC_KDF, hmac_name(self._digest_name(masked, digest)), masked.line_of(m.start()), Usage.AUTHENTICATION)
        for m in _KDF.finditer(code):
            if not allowed(m):
                continue
            args_text, args, span = self._args(masked, m)
            consumed.append(span)
            line = masked.line_of(m.start())
            kdf = m.group("kdf")
            if kdf == "hkdf":
                hm = re.search(r"\bhash:\s*(?P<h>[^,)\n]+)", args_text)
                out.add(R_MAC_KDF, hkdf_name(self._digest_name(masked, hm.group("h") if hm else None)), line, Usage.KEY_DERIVATION)
            elif kdf == "scrypt":
                out.add(R_MAC_KDF, "scrypt", line, Usage.KEY_DERIVATION)
            else:
                out.add(R_MAC_KDF, "PBKDF2", line, Usage.KEY_DERIVATION)
        for m in _PKEY.finditer(code):
            if not allowed(m):
                continue
            args_text, args, _ = self._args(masked, m)
            line = masked.line_of(m.start())
            a0 = args[0] if args else ""
            if m.group("gk"):
                name = resolve_str(masked, a0)
                if name:
                    bits = re.search(r"rsa_keygen_bits\s*(?::|=>)\s*(?P<b>\w+)", args_text)
                    curve = re.search(r"ec_paramgen_curve\s*(?::|=>)\s*(?P<c>['\"][^'\"]+['\"])", args_text)
                    alg = "ECDSA" if name.upper() == "EC" else name
                    out.add(R_PKEY, alg, line, Usage.UNKNOWN if alg in ("RSA", "ECDSA") else None,
                            key_size=resolve_int(masked, bits.group("b")) if bits else None,
                            curve=resolve_str(masked, curve.group("c")) if curve else None)
                continue
            cls = m.group("cls")
            if cls == "EC":
                curve = resolve_str(masked, a0)
                if curve and "-----" in curve:
                    curve = None
                out.add(R_PKEY, "ECDSA", line, Usage.UNKNOWN, curve=curve)
            else:
                size = resolve_int(masked, a0)
                alg = {"RSA": "RSA", "DSA": "DSA", "DH": "DH"}[cls]
                out.add(R_PKEY, alg, line, Usage.UNKNOWN if alg == "RSA" else None, key_size=size)
        for m in _CIPHER.finditer(code):
            if not allowed(m):
                continue
            args_text, args, _ = self._args(masked, m)
            line = masked.line_of(m.start())
            cls = m.group("cls")
            if cls is None:
                name = resolve_str(masked, args[0]) if args else None
                if name:
                    out.add(R_CIPHER, name, line, Usage.ENCRYPTION, mode=cipher_mode(name))
                continue
            size = None
            mode = None
            for a in args:
                n = resolve_int(masked, a)
                if n in (128, 192, 256):
                    size = n
                else:
                    mode = mode or mode_of(a.strip().strip(":'\""))
            alg = {"AES128": "AES-128", "AES192": "AES-192", "AES256": "AES-256", "BF": "Blowfish"}.get(cls, cls)
            if cls == "DES" and any("ede3" in a.lower() for a in args):
                alg = "3DES"
            out.add(R_CIPHER, alg, line, Usage.ENCRYPTION, key_size=size, mode=mode)
        for m in _DIGEST.finditer(code):
            if masked.in_string(m.start()) or any(a <= m.start() < b for a, b in consumed):
                continue
            if m.group("ossl") is None and "require 'digest" not in masked.text and 'require "digest' not in masked.text \
                    and not include_openssl and "OpenSSL" not in masked.text:
                continue
            args_text, args, _ = self._args(masked, m)
            cls = m.group("cls")
            if cls:
                name = _RUBY_DIGESTS.get(cls, cls)
                if cls == "SHA2" and args:
                    bits = resolve_int(masked, args[0])
                    if bits in (256, 384, 512) and m.group("fn") == "new":
                        name = f"SHA-{bits}"
            else:
                name = resolve_str(masked, args[0]) if args else None
            if name:
                out.add(R_DIGEST, name, masked.line_of(m.start()), Usage.HASHING)
        for m in _OTHER.finditer(code):
            if masked.in_string(m.start()):
                continue
            self._other(masked, out, m)
        for m in _JWT.finditer(code):
            if masked.in_string(m.start()):
                continue
            args_text, args, _ = self._args(masked, m)
            line = masked.line_of(m.start())
            if m.group("fn") == "encode" and len(args) > 2:
                name = resolve_str(masked, args[2])
                if name and name.lower() != "none":
                    add_parts(out, R_JWT, name, line, Usage.SIGNATURE)
            for am in re.finditer(r"algorithms?['\"]?\s*(?::|=>)\s*(?P<v>\[[^\]]*\]|'[^']*'|\"[^\"]*\")", args_text):
                for lit in re.finditer(r"'[^']*'|\"[^\"]*\"", am.group("v")):
                    name = resolve_str(masked, lit.group(0))
                    if name and name.lower() != "none":
                        add_parts(out, R_JWT, name, line, Usage.SIGNATURE)

    @staticmethod
    def _args(masked: Masked, m: re.Match[str]) -> tuple[str, list[str], tuple[int, int]]:
        """Arguments of a Ruby call with or without parentheses (to the end of the line)."""
        code = masked.code
        if code[m.end() - 1 : m.end()] == "(":
            text = masked.call_args(m.end() - 1) or ""
            return text, split_args(text) if text.strip() else [], (m.end(), m.end() + len(text) + 1)
        end = code.find("\n", m.end())
        end = len(code) if end < 0 else end
        text = code[m.end() : end]
        text = re.split(r"\s+(?:do|if|unless)\b|\{\s*\|", text)[0]
        return text, split_args(text) if text.strip() else [], (m.end(), end)

    @staticmethod
    def _digest_name(masked: Masked, token: str | None) -> str | None:
        if not token:
            return None
        dm = re.search(r"Digest\s*::\s*(?P<c>\w+)|Digest\s*\.\s*new\s*\(?\s*(?P<s>'[^']*'|\"[^\"]*\")", token)
        if dm:
            return _RUBY_DIGESTS.get(dm.group("c") or "", dm.group("c")) if dm.group("c") else resolve_str(masked, dm.group("s"))
        return resolve_str(masked, token.strip())

    @staticmethod
    def _other(masked: Masked, out: Collector, m: re.Match[str]) -> None:
        text = re.sub(r"\s", "", m.group(0))
        line = masked.line_of(m.start())
        if text.startswith("BCrypt"):
            out.add(R_MAC_KDF, "bcrypt", line, Usage.KEY_DERIVATION)
        elif text.startswith("Argon2"):
            out.add(R_MAC_KDF, "Argon2", line, Usage.KEY_DERIVATION)
        elif text.startswith("Ed25519"):
            out.add(R_NACL, "Ed25519", line, Usage.SIGNATURE)
        elif text.startswith("X25519"):
            out.add(R_NACL, "X25519", line, Usage.KEY_EXCHANGE)
        else:
            cls = re.sub(r"\s", "", m.group("nacl") or "")
            fn = m.group("nfn") or ""
            if cls in ("SigningKey", "VerifyKey"):
                out.add(R_NACL, "Ed25519", line, Usage.SIGNATURE)
            elif cls in ("PrivateKey", "PublicKey", "Box", "GroupElement") or (cls == "SimpleBox" and fn == "from_keypair"):
                out.add(R_NACL, "X25519", line, Usage.KEY_EXCHANGE)
            elif cls in ("SecretBox",) or (cls == "SimpleBox" and fn == "from_secret_key"):
                out.add(R_NACL, "XSalsa20-Poly1305", line, Usage.ENCRYPTION)
            elif cls == "Hash" and fn in ("sha256", "sha512", "blake2b"):
                out.add(R_NACL, fn, line, Usage.HASHING)
            elif cls == "PasswordHash":
                out.add(R_NACL, "scrypt" if fn == "scrypt" else "Argon2", line, Usage.KEY_DERIVATION)
            elif cls.startswith("AEAD::"):
                name = cls.split("::", 1)[1]
                out.add(R_NACL, "XChaCha20-Poly1305" if "XChaCha" in name else ("ChaCha20-Poly1305" if "ChaCha" in name else "AES-256"),
                        line, Usage.ENCRYPTION, mode="GCM" if "AES" in name else None)
