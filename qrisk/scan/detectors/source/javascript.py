"""JavaScript and TypeScript: Node ``crypto``, WebCrypto ``crypto.subtle``, node-forge,
crypto-js, tweetnacl, jsonwebtoken/jose, bcrypt and argon2.

Confirm: lexical. Comments, template literals and regex literals are handled by the
JS lexer; calls inside strings do not count, method *definitions* named like an API
(``createHash(alg) {…}``) do not count, and generic names (``sign``, ``scrypt``…) count
only on a receiver bound to the ``crypto`` module. Algorithm objects passed to WebCrypto
(``{ name: "RSA-OAEP", modulusLength: 4096 }``) are read, through a same-file variable
when the object is not written inline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from qrisk.model import Confidence, Usage
from qrisk.scan.detectors.base import DetectorOutput
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
    split_combined,
)
from qrisk.scan.detectors.source._lex import JAVASCRIPT, Masked

R_NODE_HASH = "QR-JS-001"
R_NODE_CIPHER = "QR-JS-002"
R_NODE_KEYGEN = "QR-JS-003"
R_NODE_SIGN = "QR-JS-004"
R_NODE_KX = "QR-JS-005"
R_NODE_KDF = "QR-JS-006"
R_SUBTLE = "QR-JS-007"
R_FORGE = "QR-JS-008"
R_CRYPTOJS = "QR-JS-009"
R_JOSE = "QR-JS-010"
R_NACL = "QR-JS-011"
R_PASSWORD = "QR-JS-012"

_DISTINCT = (
    "createHash|createHmac|createCipheriv|createDecipheriv|createCipher|createDecipher|createSign|createVerify|"
    "createECDH|createDiffieHellmanGroup|createDiffieHellman|getDiffieHellman|generateKeyPairSync|generateKeyPair|"
    "generateKeySync|pbkdf2Sync|scryptSync|hkdfSync|publicEncrypt|privateDecrypt|privateEncrypt|publicDecrypt"
)
_GENERIC = "sign|verify|generateKey|pbkdf2|scrypt|hkdf|hash"
_NODE_CALL = re.compile(rf"(?P<fn>{_DISTINCT})\s*\(")
_RECEIVER = re.compile(r"(?P<recv>[A-Za-z_$][\w$]*)\s*\.\s*$")
_SUBTLE = re.compile(
    r"subtle\s*\.\s*(?P<fn>generateKey|importKey|encrypt|decrypt|sign|verify|digest|deriveKey|deriveBits|wrapKey|unwrapKey)\s*\("
)
_MODULES_RX = re.compile(
    r"['\"](?P<mod>(?:node:)?crypto|node-forge|crypto-js(?:/[\w-]+)?|tweetnacl(?:-ts)?|jsonwebtoken|jose(?:/[\w/-]+)?|"
    r"jsrsasign|bcrypt|bcryptjs|argon2|libsodium-wrappers|jwt-simple|node-jose)['\"]"
)
_BINDING = re.compile(
    r"(?:(?:const|let|var)\s+(?P<name>[A-Za-z_$][\w$]*)\s*=\s*(?:await\s+)?(?:require|import)\s*\(\s*"
    r"|import\s+(?:\*\s+as\s+)?(?P<name2>[A-Za-z_$][\w$]*)\s*(?:,\s*\{[^}]*\})?\s*from\s*"
    r"|(?:const|let|var)\s*\{(?P<names1>[^}]*)\}\s*=\s*require\s*\(\s*"
    r"|import\s*(?:[A-Za-z_$][\w$]*\s*,\s*)?\{(?P<names2>[^}]*)\}\s*from\s*)$"
)
_MODP = {"modp1": "MODP-768", "modp2": "MODP-1024", "modp5": "MODP-1536", "modp14": "MODP-2048",
         "modp15": "MODP-3072", "modp16": "MODP-4096", "modp17": "MODP-6144", "modp18": "MODP-8192"}
_KEYPAIR_TYPES = {
    "rsa": ("RSA", Usage.UNKNOWN), "rsa-pss": ("RSA", Usage.SIGNATURE), "dsa": ("DSA", Usage.SIGNATURE),
    "ec": ("ECDSA", Usage.UNKNOWN), "ed25519": ("Ed25519", Usage.SIGNATURE), "ed448": ("Ed448", Usage.SIGNATURE),
    "x25519": ("X25519", Usage.KEY_EXCHANGE), "x448": ("X448", Usage.KEY_EXCHANGE), "dh": ("DH", Usage.KEY_EXCHANGE),
}
_SUBTLE_USAGE = {
    "encrypt": Usage.ENCRYPTION, "decrypt": Usage.ENCRYPTION, "wrapKey": Usage.ENCRYPTION, "unwrapKey": Usage.ENCRYPTION,
    "sign": Usage.SIGNATURE, "verify": Usage.SIGNATURE, "digest": Usage.HASHING,
}
_SUBTLE_ALG_ARGS = {"importKey": (2,), "wrapKey": (3,), "unwrapKey": (3, 4), "deriveKey": (0, 2)}
_PROP = r"['\"]?{}['\"]?\s*:\s*"
_CRYPTOJS_CALL = re.compile(
    r"(?<=[\w$])\s*\.\s*(?P<alg>AES|DES|TripleDES|RC4|RC4Drop|Rabbit|MD5|SHA1|SHA224|SHA256|SHA384|"
    r"SHA512|SHA3|RIPEMD160|HmacMD5|HmacSHA1|HmacSHA224|HmacSHA256|HmacSHA384|HmacSHA512|PBKDF2)\s*(?:\.\s*(?:encrypt|decrypt)\s*)?\("
)
_CRYPTOJS_ALGS = {"TripleDES": "3DES", "RC4Drop": "RC4", "SHA3": "SHA3-512"}
_NACL = re.compile(
    r"(?<![\w$])(?P<recv>[A-Za-z_$][\w$]*)\s*\.\s*(?P<fn>box(?:\s*\.\s*(?:keyPair|before|open|after))?|sign(?:\s*\.\s*(?:keyPair|detached|open))?|"
    r"secretbox(?:\s*\.\s*open)?|hash|scalarMult)\s*(?:\.\s*fromSecretKey\s*|\.\s*fromSeed\s*|\.\s*verify\s*)?\("
)
_JOSE_ALG = re.compile(r"""(?<![\w$])(?:alg|algorithm)['"]?\s*:\s*(?P<lit>['"][A-Za-z0-9-]+['"])""")
_JOSE_ALGS = re.compile(r"""(?<![\w$])algorithms['"]?\s*:\s*\[(?P<list>[^\]]*)\]""")
_JOSE_FN = re.compile(r"(?<![\w$])(?:generateKeyPair|generateSecret|importPKCS8|importSPKI|importX509|importJWK)\s*\(")
_FORGE_MD = re.compile(r"\.\s*md\s*\.\s*(?P<alg>md5|sha1|sha256|sha384|sha512|sha512\s*\.\s*sha(?:224|256))\s*\.\s*create\s*\(")
_FORGE_CIPHER = re.compile(r"\.\s*cipher\s*\.\s*create(?:De)?cipher\s*\(")
_FORGE_RSA = re.compile(r"\.\s*pki\s*\.\s*rsa\s*\.\s*generateKeyPair\s*\(")
_FORGE_ED = re.compile(r"\.\s*(?:pki\s*\.\s*)?ed25519\s*\.\s*(?:generateKeyPair|sign|verify)\s*\(")
_FORGE_PBKDF2 = re.compile(r"\.\s*pkcs5\s*\.\s*pbkdf2\s*\(")
_FORGE_HMAC = re.compile(r"(?P<var>[A-Za-z_$][\w$]*)\s*=\s*[A-Za-z_$][\w$]*\s*\.\s*hmac\s*\.\s*create\s*\(\s*\)")
_FORGE_RSA_ENC = re.compile(r"\.\s*(?:en|de)crypt\s*\([^()]*?,\s*(?P<lit>['\"](?:RSA-OAEP|RSAES-PKCS1-V1_5)['\"])")

_CRYPTO_MODULES = frozenset({"crypto", "node:crypto"})


class JavaScriptSourceDetector(SourceDetector):
    """JavaScript and TypeScript source (lexical confirm)."""

    id = "source-javascript"
    description = "Node crypto, WebCrypto, node-forge, crypto-js, tweetnacl and JOSE calls in JavaScript/TypeScript"
    rules: ClassVar[dict[str, str]] = {
        R_NODE_HASH: "Node crypto createHash / createHmac",
        R_NODE_CIPHER: "Node crypto createCipheriv / createDecipheriv / publicEncrypt",
        R_NODE_KEYGEN: "Node crypto generateKeyPair(Sync) / generateKey(Sync)",
        R_NODE_SIGN: "Node crypto createSign / createVerify / sign / verify",
        R_NODE_KX: "Node crypto createECDH / createDiffieHellman / getDiffieHellman",
        R_NODE_KDF: "Node crypto pbkdf2 / scrypt / hkdf",
        R_SUBTLE: "WebCrypto crypto.subtle algorithm",
        R_FORGE: "node-forge cipher, digest, HMAC, RSA or Ed25519",
        R_CRYPTOJS: "crypto-js cipher, hash, HMAC or PBKDF2",
        R_JOSE: "jsonwebtoken / jose algorithm",
        R_NACL: "tweetnacl box, sign, secretbox or hash",
        R_PASSWORD: "bcrypt or argon2 password hashing",
    }
    extensions = frozenset({".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"})
    lexer = JAVASCRIPT

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        # TypeScript declaration files describe APIs (``createHash(algorithm: string)``) and
        # cannot hold a single call: a finding there would always be false
        if path.lower().endswith((".d.ts", ".d.mts", ".d.cts")):
            return []
        return super().detect(path, data)
    keywords: ClassVar[tuple[bytes, ...]] = (
        b"createhash", b"createhmac", b"createcipher", b"createdecipher", b"createsign", b"createverify", b"createecdh",
        b"diffiehellman", b"generatekeypair", b"generatekeysync", b"pbkdf2", b"scryptsync", b"hkdfsync",
        b"publicencrypt", b"privatedecrypt", b"privateencrypt", b"publicdecrypt", b"subtle", b"node-forge", b"crypto-js",
        b"cryptojs", b"tweetnacl", b"jsonwebtoken", b"'jose'", b'"jose"', b"bcrypt", b"argon2", b"crypto.sign",
        b"crypto.verify", b"crypto.scrypt", b"crypto.hkdf", b"crypto.generatekey",
    )

    def confirm(self, masked: Masked, out: Collector) -> None:
        bindings: dict[str, str] = {}
        names: dict[str, str] = {}
        code = masked.code
        for m in _MODULES_RX.finditer(code):
            mod = m.group("mod").lower()
            bm = _BINDING.search(code[max(0, m.start() - 200) : m.start()])
            if bm is None:
                continue
            name = bm.group("name") or bm.group("name2")
            if name:
                bindings[name] = mod
            for part in (bm.group("names1") or bm.group("names2") or "").split(","):
                part = part.strip()
                if part:
                    names[re.split(r"\s*(?::|\bas\b)\s*", part)[-1].strip()] = mod
        modules = set(bindings.values()) | set(names.values())
        crypto_recv = {n for n, mod in bindings.items() if mod in _CRYPTO_MODULES} | {"crypto"}
        self._node(masked, out, crypto_recv, names)
        if "subtle" in masked.code:
            self._subtle(masked, out)
        if "node-forge" in modules or "forge" in bindings:
            self._forge(masked, out)
        cryptojs = {n for n, mod in bindings.items() if mod.startswith("crypto-js")}
        if "CryptoJS" in masked.code:
            cryptojs.add("CryptoJS")
        if cryptojs:
            self._cryptojs(masked, out, cryptojs)
        if modules & {"jsonwebtoken", "jose", "jsrsasign", "jwt-simple", "node-jose"} or any(m.startswith("jose/") for m in modules):
            self._jose(masked, out)
        nacl = {n for n, mod in bindings.items() if mod in ("tweetnacl", "tweetnacl-ts", "libsodium-wrappers")}
        if nacl:
            self._nacl(masked, out, nacl)
        for n, mod in bindings.items():
            if mod in ("bcrypt", "bcryptjs", "argon2"):
                rx = re.compile(rf"(?<![\w$.]){re.escape(n)}\s*\.\s*(?:hash|hashSync|genSalt|compare|compareSync|verify)\s*\(")
                for m in rx.finditer(masked.code):
                    if not masked.in_string(m.start()) and ".genSalt" not in m.group(0):
                        out.add(R_PASSWORD, "Argon2" if mod == "argon2" else "bcrypt", masked.line_of(m.start()), Usage.KEY_DERIVATION)

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _is_call(masked: Masked, m: re.Match[str], fn_start: int) -> bool:
        """A call, not a definition (``function createHash(``, ``createHash(a) {``) or a string."""
        if masked.in_string(fn_start):
            return False
        code = masked.code
        head = code[max(0, fn_start - 12) : fn_start]
        if re.search(r"(?:function\s*\*?\s*|def\s+|fn\s+)$", head):
            return False
        args = masked.call_args(m.end() - 1)
        if args is None:
            return False
        rest = code[m.end() + len(args) + 1 : m.end() + len(args) + 40].lstrip()
        return not (rest.startswith("{") or ((rest.startswith(":") and not rest.startswith("::")) and "=>" not in rest[:30]))

    @staticmethod
    def _lit_line(masked: Masked, args_start: int, args: str, token: str, default_pos: int) -> int:
        idx = args.find(token) if token else -1
        return masked.line_of(args_start + idx if idx >= 0 else default_pos)

    # ------------------------------------------------------------------ Node crypto

    def _node(self, masked: Masked, out: Collector, crypto_recv: set[str], names: dict[str, str]) -> None:
        code = masked.code
        # generic names (sign, verify, scrypt…) only on a crypto binding or as destructured imports
        receivers = "|".join(re.escape(r) for r in sorted(crypto_recv))
        bare = [re.escape(n) for n, mod in names.items() if mod in _CRYPTO_MODULES and re.fullmatch(_GENERIC, n)]
        generic = rf"(?:{receivers})\s*\.\s*(?P<gfn>{_GENERIC})\s*\("
        if bare:
            generic += rf"|(?P<bfn>{'|'.join(bare)})\s*\("
        calls = sorted(
            [*_NODE_CALL.finditer(code), *re.finditer(generic, code)], key=lambda m: m.start()
        )
        for m in calls:
            if m.start() > 0 and (code[m.start() - 1].isalnum() or code[m.start() - 1] in "_$"):
                continue  # part of a longer identifier
            if m.lastgroup != "fn" and m.start() > 0 and code[m.start() - 1] == ".":
                continue
            group = next(g for g in ("fn", "gfn", "bfn") if g in m.re.groupindex and m.group(g))
            fn = m.group(group)
            fn_start = m.start(group)
            before = code[max(0, fn_start - 64) : fn_start]
            if group == "fn" and _RECEIVER.search(before) is None and before.rstrip().endswith("."):
                continue
            if not self._is_call(masked, m, fn_start):
                continue
            args_text = masked.call_args(m.end() - 1) or ""
            args = split_args(args_text)
            a0 = args[0] if args else ""
            base = m.end()

            def line_for(tok: str, args_text: str = args_text, base: int = base, fn_start: int = fn_start) -> int:
                return self._lit_line(masked, base, args_text, tok, fn_start)

            if fn == "createHash" or fn == "hash":
                name = resolve_str(masked, a0)
                if name:
                    out.add(R_NODE_HASH, name, line_for(a0), Usage.HASHING)
            elif fn == "createHmac":
                name = resolve_str(masked, a0)
                if name:
                    out.add(R_NODE_HASH, hmac_name(name), line_for(a0), Usage.AUTHENTICATION)
            elif fn in ("createCipheriv", "createDecipheriv", "createCipher", "createDecipher"):
                name = resolve_str(masked, a0)
                if name:
                    out.add(R_NODE_CIPHER, name, line_for(a0), Usage.ENCRYPTION, mode=cipher_mode(name))
            elif fn in ("publicEncrypt", "privateDecrypt"):
                out.add(R_NODE_CIPHER, "RSA", masked.line_of(fn_start), Usage.ENCRYPTION, confidence=Confidence.MEDIUM)
            elif fn in ("privateEncrypt", "publicDecrypt"):
                out.add(R_NODE_SIGN, "RSA", masked.line_of(fn_start), Usage.SIGNATURE, confidence=Confidence.MEDIUM)
            elif fn in ("createSign", "createVerify", "sign", "verify"):
                name = resolve_str(masked, a0)
                if name and name.lower() != "null":
                    add_parts(out, R_NODE_SIGN, name, line_for(a0), Usage.HASHING)
            elif fn in ("generateKeyPairSync", "generateKeyPair"):
                self._keypair(masked, out, args, line_for)
            elif fn in ("generateKeySync", "generateKey"):
                kind = (resolve_str(masked, a0) or "").lower()
                opts = self._object(masked, args[1] if len(args) > 1 else "", m.start())
                length = resolve_int(masked, self._prop(opts, "length"))
                if kind == "aes":
                    out.add(R_NODE_KEYGEN, "AES", line_for(a0), Usage.ENCRYPTION, key_size=length)
                elif kind == "hmac":
                    out.add(R_NODE_KEYGEN, "HMAC", line_for(a0), Usage.AUTHENTICATION)
            elif fn == "createECDH":
                curve = resolve_str(masked, a0)
                if curve:
                    out.add(R_NODE_KX, "ECDH", line_for(a0), Usage.KEY_EXCHANGE, curve=curve)
            elif fn in ("createDiffieHellman",):
                size = resolve_int(masked, a0)
                out.add(R_NODE_KX, "DH", masked.line_of(fn_start), Usage.KEY_EXCHANGE, key_size=size)
            elif fn in ("getDiffieHellman", "createDiffieHellmanGroup"):
                group = (resolve_str(masked, a0) or "").lower()
                out.add(R_NODE_KX, _MODP.get(group, "DH"), line_for(a0), Usage.KEY_EXCHANGE)
            elif fn in ("pbkdf2Sync", "pbkdf2"):
                out.add(R_NODE_KDF, "PBKDF2", masked.line_of(fn_start), Usage.KEY_DERIVATION)
            elif fn in ("scryptSync", "scrypt"):
                out.add(R_NODE_KDF, "scrypt", masked.line_of(fn_start), Usage.KEY_DERIVATION)
            elif fn in ("hkdfSync", "hkdf"):
                out.add(R_NODE_KDF, hkdf_name(resolve_str(masked, a0)), masked.line_of(fn_start), Usage.KEY_DERIVATION)

    def _keypair(self, masked: Masked, out: Collector, args: list[str], line_for: object) -> None:
        if not args:
            return
        kind_raw = resolve_str(masked, args[0])
        if not kind_raw:
            return
        assert callable(line_for)
        line = line_for(args[0])
        kind = kind_raw.lower()
        opts = self._object(masked, args[1] if len(args) > 1 else "", None)
        if kind in _KEYPAIR_TYPES:
            alg, usage = _KEYPAIR_TYPES[kind]
            size = resolve_int(masked, self._prop(opts, "modulusLength") or self._prop(opts, "primeLength"))
            curve = resolve_str(masked, self._prop(opts, "namedCurve"))
            if kind == "dh":
                group = (resolve_str(masked, self._prop(opts, "group")) or "").lower()
                if group in _MODP:
                    out.add(R_NODE_KEYGEN, _MODP[group], line, Usage.KEY_EXCHANGE)
                    return
            out.add(R_NODE_KEYGEN, alg, line, usage, key_size=size, curve=curve)
        else:
            add_parts(out, R_NODE_KEYGEN, kind_raw, line, None)

    def _object(self, masked: Masked, token: str, before: int | None) -> str:
        t = token.strip()
        if re.fullmatch(r"[A-Za-z_$][\w$]*", t):
            return initializer(masked, t, before) or ""
        return t

    @staticmethod
    def _prop(obj: str, key: str) -> str | None:
        m = re.search(r"(?<![\w$])" + _PROP.format(re.escape(key)) + r"(?P<v>'[^']*'|\"[^\"]*\"|[\w$.]+|\{[^{}]*\})", obj)
        return m.group("v") if m else None

    # ------------------------------------------------------------------ WebCrypto

    def _subtle(self, masked: Masked, out: Collector) -> None:
        for m in _SUBTLE.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            args_text = masked.call_args(m.end() - 1)
            if args_text is None:
                continue
            args = split_args(args_text)
            fn = m.group("fn")
            for index in _SUBTLE_ALG_ARGS.get(fn, (0,)):
                if index < len(args):
                    role = "derived" if fn == "deriveKey" and index == 2 else fn
                    self._subtle_alg(masked, out, role, args[index], m.end(), args_text, m.start())

    def _subtle_alg(self, masked: Masked, out: Collector, fn: str, token: str, base: int, args_text: str, call_pos: int) -> None:
        obj = token.strip()
        name = resolve_str(masked, obj)
        obj_base = base + max(0, args_text.find(token))
        if name is None:
            if re.fullmatch(r"[A-Za-z_$][\w$]*", obj):
                init = initializer(masked, obj, call_pos)
                if not init:
                    return
                obj = init
                found = re.search(rf"(?<![\w$.]){re.escape(token.strip())}\s*(?::[^=]*)?=\s*", masked.code)
                obj_base = found.end() if found else call_pos
            name_tok = self._prop(obj, "name")
            name = resolve_str(masked, name_tok)
            if not name:
                return
            line = masked.line_of(obj_base + max(0, obj.find(name_tok or "")))
        else:
            line = masked.line_of(obj_base)
        upper = name.upper()
        hash_tok = self._prop(obj, "hash") if name is not None and obj.startswith("{") else None
        hash_name = None
        if hash_tok:
            hash_name = resolve_str(masked, hash_tok) or resolve_str(masked, self._prop(hash_tok, "name") or "")
        if upper == "HMAC":
            out.add(R_SUBTLE, hmac_name(hash_name), line, Usage.AUTHENTICATION)
            return
        if upper == "HKDF":
            out.add(R_SUBTLE, hkdf_name(hash_name), line, Usage.KEY_DERIVATION)
            return
        if upper == "PBKDF2":
            out.add(R_SUBTLE, "PBKDF2", line, Usage.KEY_DERIVATION)
            return
        usage = _SUBTLE_USAGE.get(fn)
        if upper.startswith(("RSASSA", "RSA-PSS", "ECDSA", "ED25519", "ED448")):
            usage = Usage.SIGNATURE
        elif upper.startswith("RSA-OAEP"):
            usage = Usage.ENCRYPTION
        elif upper in ("ECDH", "X25519", "X448"):
            usage = Usage.KEY_EXCHANGE
        elif upper.startswith("AES"):
            usage = Usage.ENCRYPTION
        obj_is_object = obj.startswith("{")
        size = resolve_int(masked, self._prop(obj, "modulusLength")) if obj_is_object else None
        length = resolve_int(masked, self._prop(obj, "length")) if obj_is_object else None
        curve = resolve_str(masked, self._prop(obj, "namedCurve")) if obj_is_object else None
        if upper.startswith("AES"):
            out.add(R_SUBTLE, "AES", line, usage, key_size=length, mode=cipher_mode(name))
        elif upper == "ECDH":
            out.add(R_SUBTLE, "ECDH", line, usage, curve=curve)
        elif upper == "ECDSA":
            out.add(R_SUBTLE, "ECDSA", line, usage, curve=curve)
        else:
            out.add(R_SUBTLE, name, line, usage, key_size=size)
        if hash_name and upper.startswith(("RSA", "ECDSA")) and fn in ("sign", "verify", "generateKey", "importKey"):
            hash_line = masked.line_of(obj_base + max(0, obj.find(hash_tok or "")))
            out.add(R_SUBTLE, hash_name, hash_line, Usage.HASHING)

    # ------------------------------------------------------------------ libraries

    def _forge(self, masked: Masked, out: Collector) -> None:
        code = masked.code
        for m in _FORGE_MD.finditer(code):
            if not masked.in_string(m.start()):
                alg = re.sub(r"\s", "", m.group("alg"))
                alg = {"sha512.sha224": "SHA-512/224", "sha512.sha256": "SHA-512/256"}.get(alg, alg)
                out.add(R_FORGE, alg, masked.line_of(m.start()), Usage.HASHING)
        for m in _FORGE_CIPHER.finditer(code):
            if masked.in_string(m.start()):
                continue
            args = split_args(masked.call_args(m.end() - 1) or "")
            name = resolve_str(masked, args[0]) if args else None
            if name:
                out.add(R_FORGE, name, masked.line_of(m.start()), Usage.ENCRYPTION, mode=cipher_mode(name))
        for m in _FORGE_RSA.finditer(code):
            if masked.in_string(m.start()):
                continue
            args = split_args(masked.call_args(m.end() - 1) or "")
            size = None
            if args:
                size = resolve_int(masked, args[0]) or resolve_int(masked, self._prop(args[0], "bits"))
            out.add(R_FORGE, "RSA", masked.line_of(m.start()), Usage.UNKNOWN, key_size=size)
        for m in _FORGE_ED.finditer(code):
            if not masked.in_string(m.start()):
                out.add(R_FORGE, "Ed25519", masked.line_of(m.start()), Usage.SIGNATURE)
        for m in _FORGE_PBKDF2.finditer(code):
            if not masked.in_string(m.start()):
                out.add(R_FORGE, "PBKDF2", masked.line_of(m.start()), Usage.KEY_DERIVATION)
        for m in _FORGE_HMAC.finditer(code):
            start = re.compile(rf"(?<![\w$]){re.escape(m.group('var'))}\s*\.\s*start\s*\(\s*(?P<lit>'[^']*'|\"[^\"]*\")")
            sm = start.search(code, m.end())
            if sm:
                out.add(R_FORGE, hmac_name(resolve_str(masked, sm.group("lit"))), masked.line_of(sm.start()), Usage.AUTHENTICATION)
        for m in _FORGE_RSA_ENC.finditer(code):
            if not masked.in_string(m.start()):
                out.add(R_FORGE, "RSA", masked.line_of(m.start("lit")), Usage.ENCRYPTION)

    def _cryptojs(self, masked: Masked, out: Collector, receivers: set[str]) -> None:
        code = masked.code
        for m in _CRYPTOJS_CALL.finditer(code):
            rm = _RECEIVER.search(code[max(0, m.start() - 64) : m.start()] + ".")
            if rm is None or rm.group("recv") not in receivers or masked.in_string(m.start()):
                continue
            alg = m.group("alg")
            line = masked.line_of(m.start("alg"))
            if alg.startswith("Hmac"):
                out.add(R_CRYPTOJS, hmac_name(alg[4:]), line, Usage.AUTHENTICATION)
            elif alg == "PBKDF2":
                out.add(R_CRYPTOJS, "PBKDF2", line, Usage.KEY_DERIVATION)
            else:
                name = _CRYPTOJS_ALGS.get(alg, alg)
                args = masked.call_args(m.end() - 1) or ""
                mode = None
                mm = re.search(r"\bmode\s*:\s*[\w$]+\s*\.\s*mode\s*\.\s*(\w+)", args)
                if mm:
                    mode = mode_of(mm.group(1))
                elif name in ("AES", "DES", "3DES") and ".encrypt" in m.group(0) + masked.code[m.end() : m.end()]:
                    mode = "CBC"  # crypto-js's default mode
                out.add(R_CRYPTOJS, name, line, None, mode=mode)

    def _jose(self, masked: Masked, out: Collector) -> None:
        for m in _JOSE_ALG.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            name = resolve_str(masked, m.group("lit"))
            if name and (split_combined(name) or name == "EdDSA"):
                add_parts(out, R_JOSE, name, masked.line_of(m.start("lit")), Usage.SIGNATURE)
        for m in _JOSE_ALGS.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            base = m.start("list")
            for lit in re.finditer(r"'[^']*'|\"[^\"]*\"", m.group("list")):
                name = resolve_str(masked, lit.group(0))
                if name and (split_combined(name) or name == "EdDSA"):
                    add_parts(out, R_JOSE, name, masked.line_of(base + lit.start()), Usage.SIGNATURE)
        for m in _JOSE_FN.finditer(masked.code):
            if masked.in_string(m.start()):
                continue
            args_text = masked.call_args(m.end() - 1) or ""
            for arg in split_args(args_text)[:2]:
                name = resolve_str(masked, arg)
                if name and (split_combined(name) or name == "EdDSA"):
                    add_parts(out, R_JOSE, name, masked.line_of(m.end() + args_text.find(arg)), Usage.SIGNATURE)

    def _nacl(self, masked: Masked, out: Collector, receivers: set[str]) -> None:
        for m in _NACL.finditer(masked.code):
            if m.group("recv") not in receivers or masked.in_string(m.start()):
                continue
            fn = re.sub(r"\s", "", m.group("fn")).split(".")[0]
            line = masked.line_of(m.start())
            if fn in ("box", "scalarMult"):
                out.add(R_NACL, "X25519", line, Usage.KEY_EXCHANGE)
            elif fn == "sign":
                out.add(R_NACL, "Ed25519", line, Usage.SIGNATURE)
            elif fn == "secretbox":
                out.add(R_NACL, "XSalsa20-Poly1305", line, Usage.ENCRYPTION)
            elif fn == "hash":
                out.add(R_NACL, "SHA-512", line, Usage.HASHING)


__all__ = ["JavaScriptSourceDetector"]
