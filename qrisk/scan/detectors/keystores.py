"""Java KeyStore (JKS, magic 0xFEEDFEED) and JCEKS (0xCECECECE) files.

Every entry is reported: a private-key entry as a key (algorithm, size and public-key fingerprint
read from the first certificate of its chain, which is stored in the clear; the private key itself
stays protected and is never decrypted), every certificate of a chain and every trusted
certificate entry through the certificate detector's parser, and a JCEKS secret-key entry by the
algorithm and size of the sealed key when a well-known default store password opens it, else as
"encrypted". Which password worked is never recorded, and no key material leaves this module.

PKCS#12 keystores (the JDK default since Java 9) are read by
:mod:`qrisk.scan.detectors.certificates`.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, ClassVar

from qrisk import catalog
from qrisk.model import AssetKind, Confidence, KeyMaterial, Primitive, Usage
from qrisk.scan.detectors import _pem
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Finding, Gate
from qrisk.scan.detectors.certificates import _certificate

RULE_PRIVATE_KEY = "QR-KS-001"
RULE_CERTIFICATE = "QR-KS-002"
RULE_SECRET_KEY = "QR-KS-003"

MAGIC_JKS = 0xFEEDFEED
MAGIC_JCEKS = 0xCECECECE
_EXTENSIONS = (".jks", ".jceks", ".keystore", ".ks", ".truststore", ".ts")
_MAX_ENTRIES = 100_000

# Sun's proprietary key protection (sun.security.provider.KeyProtector: SHA-1 keystream XOR) and
# JCEKS's PBEWithMD5AndTripleDES (com.sun.crypto.provider.KeyProtector).
_KEY_PROTECTION = {
    "1.3.6.1.4.1.42.2.17.1.1": "JKS proprietary key protection (SHA-1 keystream)",
    "1.3.6.1.4.1.42.2.19.1": "PBEWithMD5AndTripleDES",
}
# Default store passwords of the JDK (cacerts), tutorials and appliances, most common first; "none"
# is the default of Hadoop credential stores (JCEKS). Checked against the store's integrity digest
# (one SHA-1 each); never recorded, never output.
_DEFAULT_PASSWORDS = ("changeit", "none", "password", "changeme", "secret", "123456", "keystore", "")
# Opening a sealed key costs its PBE iterations twice (one MD5 chain per salt half): keytool uses
# 200,000 (JDK 17), ≈0.25 s of Python per key. A file gets this many iterations in total (two such
# keys), so neither many entries nor a hostile count can stall a scan.
_GUESS_ITERATION_BUDGET = 800_000
_MAX_PBE_ITERATIONS = 1_000_000


class KeystoreError(ValueError):
    """The bytes are not a keystore this module can read."""


class _Reader:
    """Big-endian DataInputStream over bytes; every read is bounds-checked."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise KeystoreError("truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u1(self) -> int:
        return self.take(1)[0]

    def u2(self) -> int:
        return int(struct.unpack(">H", self.take(2))[0])

    def u4(self) -> int:
        return int(struct.unpack(">I", self.take(4))[0])

    def i4(self) -> int:
        return int(struct.unpack(">i", self.take(4))[0])

    def u8(self) -> int:
        return int(struct.unpack(">Q", self.take(8))[0])

    def utf(self) -> str:
        # DataOutputStream.writeUTF: modified UTF-8; decoding errors are replaced, never raised.
        return self.take(self.u2()).decode("utf-8", "replace")


# --------------------------------------------------------------------------- Java serialization
#
# Just enough of the Java Object Serialization Stream Protocol (JDK docs, "Object Serialization
# Stream Protocol", §6.4 grammar) to read a JCEKS SealedObject and the SecretKeySpec inside it.

_TC_NULL, _TC_REFERENCE, _TC_CLASSDESC, _TC_OBJECT, _TC_STRING = 0x70, 0x71, 0x72, 0x73, 0x74
_TC_ARRAY, _TC_CLASS, _TC_BLOCKDATA, _TC_ENDBLOCKDATA, _TC_RESET = 0x75, 0x76, 0x77, 0x78, 0x79
_TC_BLOCKDATALONG, _TC_LONGSTRING, _TC_ENUM = 0x7A, 0x7C, 0x7E
_SC_WRITE_METHOD, _SC_SERIALIZABLE, _SC_EXTERNALIZABLE, _SC_BLOCK_DATA = 0x01, 0x02, 0x04, 0x08
_PRIMITIVE_SIZE = {"B": 1, "C": 2, "D": 8, "F": 4, "I": 4, "J": 8, "S": 2, "Z": 1}
_MAX_DEPTH = 32


@dataclass
class _ClassDesc:
    name: str
    flags: int
    fields: list[tuple[str, str]]
    """(type code, field name)."""
    superclass: _ClassDesc | None


@dataclass
class JavaObject:
    class_name: str
    fields: dict[str, Any] = field(default_factory=dict)


class _Deserializer:
    def __init__(self, r: _Reader) -> None:
        self.r = r
        self.handles: list[Any] = []

    def stream(self) -> Any:
        if self.r.take(4) != b"\xac\xed\x00\x05":
            raise KeystoreError("not a Java serialization stream")
        return self.content(0)

    def _handle(self, value: Any) -> Any:
        self.handles.append(value)
        return value

    def content(self, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise KeystoreError("serialized object nested too deeply")
        tc = self.r.u1()
        if tc == _TC_NULL:
            return None
        if tc == _TC_REFERENCE:
            idx = self.r.u4() - 0x7E0000
            if not 0 <= idx < len(self.handles):
                raise KeystoreError("bad back reference")
            return self.handles[idx]
        if tc == _TC_STRING:
            return self._handle(self.r.take(self.r.u2()).decode("utf-8", "replace"))
        if tc == _TC_LONGSTRING:
            return self._handle(self.r.take(self.r.u8()).decode("utf-8", "replace"))
        if tc == _TC_CLASSDESC:
            return self.class_desc_body(depth)
        if tc == _TC_OBJECT:
            return self.new_object(depth)
        if tc == _TC_ARRAY:
            return self.new_array(depth)
        if tc == _TC_CLASS:
            return self._handle(self.class_desc(depth))
        if tc == _TC_ENUM:
            self.class_desc(depth)
            idx = len(self.handles)
            self._handle(None)
            name = self.content(depth + 1)
            self.handles[idx] = name
            return name
        if tc == _TC_BLOCKDATA:
            return self.r.take(self.r.u1())
        if tc == _TC_BLOCKDATALONG:
            return self.r.take(self.r.u4())
        if tc == _TC_RESET:
            self.handles.clear()
            return self.content(depth + 1)
        raise KeystoreError(f"unsupported serialization tag 0x{tc:02x}")

    def class_desc(self, depth: int) -> _ClassDesc | None:
        desc = self.content(depth + 1)
        if desc is not None and not isinstance(desc, _ClassDesc):
            raise KeystoreError("expected a class descriptor")
        return desc

    def class_desc_body(self, depth: int) -> _ClassDesc:
        name = self.r.utf()
        self.r.u8()  # serialVersionUID
        desc = _ClassDesc(name, 0, [], None)
        self._handle(desc)
        desc.flags = self.r.u1()
        for _ in range(self.r.u2()):
            code = chr(self.r.u1())
            fname = self.r.utf()
            if code in "[L":
                self.content(depth + 1)  # the field's class name (a string or a reference)
            elif code not in _PRIMITIVE_SIZE:
                raise KeystoreError("bad field type")
            desc.fields.append((code, fname))
        self.annotation(depth)
        desc.superclass = self.class_desc(depth)
        return desc

    def annotation(self, depth: int) -> None:
        for _ in range(10_000):
            if self.r.data[self.r.pos : self.r.pos + 1] == bytes([_TC_ENDBLOCKDATA]):
                self.r.pos += 1
                return
            self.content(depth + 1)
        raise KeystoreError("annotation does not end")

    def new_object(self, depth: int) -> JavaObject:
        desc = self.class_desc(depth)
        if desc is None:
            raise KeystoreError("object without a class")
        obj = self._handle(JavaObject(desc.name))
        chain: list[_ClassDesc] = []
        d: _ClassDesc | None = desc
        while d is not None and len(chain) < _MAX_DEPTH:
            chain.append(d)
            d = d.superclass
        for cls in reversed(chain):
            if cls.flags & _SC_EXTERNALIZABLE:
                if not cls.flags & _SC_BLOCK_DATA:
                    raise KeystoreError("old externalizable format")
                self.annotation(depth)
                continue
            if cls.flags & _SC_SERIALIZABLE:
                for code, fname in cls.fields:
                    obj.fields[fname] = self.value(code, depth)
                if cls.flags & _SC_WRITE_METHOD:
                    self.annotation(depth)
        return obj

    def value(self, code: str, depth: int) -> Any:
        if code in _PRIMITIVE_SIZE:
            raw = self.r.take(_PRIMITIVE_SIZE[code])
            return int.from_bytes(raw, "big", signed=True) if code in "BIJS" else raw
        return self.content(depth + 1)

    def new_array(self, depth: int) -> Any:
        desc = self.class_desc(depth)
        if desc is None:
            raise KeystoreError("array without a class")
        idx = len(self.handles)
        self._handle(None)
        size = self.r.i4()
        if size < 0 or size > len(self.r.data):
            raise KeystoreError("bad array size")
        elem = desc.name[1:2]
        value: Any
        if elem == "B":
            value = self.r.take(size)
        elif elem in _PRIMITIVE_SIZE:
            value = self.r.take(size * _PRIMITIVE_SIZE[elem])
        else:
            value = [self.content(depth + 1) for _ in range(size)]
        self.handles[idx] = value
        return value


# --------------------------------------------------------------------------- PBEWithMD5AndTripleDES


def _pbe_md5_3des_decrypt(ciphertext: bytes, salt: bytes, iterations: int, password: str) -> bytes | None:
    """Sun's PBEWithMD5AndTripleDES (com.sun.crypto.provider.PBES1Core): None on a wrong password."""
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
    from cryptography.hazmat.primitives.ciphers import Cipher, modes

    if len(salt) != 8 or not 0 < iterations <= _MAX_PBE_ITERATIONS or not ciphertext or len(ciphertext) % 8:
        return None
    pw = bytes(ord(c) & 0x7F for c in password)  # PBEKey keeps the low 7 bits of each char
    halves = [bytearray(salt[:4]), bytearray(salt[4:])]
    if halves[0] == halves[1]:
        halves[0].reverse()
    derived = b""
    md5 = hashlib.md5
    for half in halves:
        block = bytes(half)
        for _ in range(iterations):
            block = md5(block + pw, usedforsecurity=False).digest()
        derived += block
    decryptor = Cipher(TripleDES(derived[:24]), modes.CBC(derived[24:32])).decryptor()
    plain = decryptor.update(ciphertext) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 8 or plain[-pad:] != bytes([pad]) * pad:
        return None
    return plain[:-pad]


def _pbe_params(encoded: bytes) -> tuple[bytes, int] | None:
    """(salt, iterations) of a DER PBEParameter; None when malformed."""
    try:
        tag, cs, ce = _pem.read_tlv(encoded, 0)
        kids = _pem.children(encoded, cs, ce, 3)
        if tag != _pem.SEQUENCE or len(kids) != 2 or kids[0][0] != _pem.OCTET_STRING or kids[1][0] != _pem.INTEGER:
            return None
        salt = encoded[kids[0][2] : kids[0][3]]
        iterations = int.from_bytes(encoded[kids[1][2] : kids[1][3]], "big")
        return salt, iterations
    except _pem.DerError:
        return None


class _Guesser:
    """Opens sealed secret keys of one file with its store password when that is a well-known
    default (keytool seals keys with the store password unless told otherwise), within an
    iteration budget; the password is never reported."""

    def __init__(self, password: str | None) -> None:
        self.budget = _GUESS_ITERATION_BUDGET
        self.password = password
        self.over_budget = False

    def unseal(self, sealed: JavaObject) -> tuple[str, int] | None:
        """(algorithm, key bits) of a sealed SecretKeySpec, or None when it stays closed."""
        if self.password is None or sealed.fields.get("sealAlg") != "PBEWithMD5AndTripleDES":
            return None
        params = sealed.fields.get("encodedParams")
        content = sealed.fields.get("encryptedContent")
        if not isinstance(params, bytes) or not isinstance(content, bytes):
            return None
        pbe = _pbe_params(params)
        if pbe is None:
            return None
        salt, iterations = pbe
        if self.budget < 2 * iterations:
            self.over_budget = True
            return None
        self.budget -= 2 * iterations
        plain = _pbe_md5_3des_decrypt(content, salt, iterations, self.password)
        if plain is None or not plain.startswith(b"\xac\xed\x00\x05"):
            return None  # sealed with a key password other than the store's
        try:
            spec = _Deserializer(_Reader(plain)).stream()
        except (KeystoreError, RecursionError):
            return None
        if isinstance(spec, JavaObject):
            alg = spec.fields.get("algorithm")
            key = spec.fields.get("key")
            if isinstance(alg, str) and isinstance(key, bytes):
                return alg[:40], len(key) * 8  # the key bytes go no further
        return None


# --------------------------------------------------------------------------- the detector


@dataclass
class _Entry:
    kind: str
    """``private``, ``trusted`` or ``secret``."""
    alias: str
    certificates: list[tuple[str, bytes]] = field(default_factory=list)
    protection: str | None = None
    sealed: JavaObject | None = None


def parse_keystore(data: bytes) -> tuple[str, list[_Entry], str | None, int]:
    """(format, entries, problem, end) of a JKS/JCEKS file; ``problem`` is set when reading stopped
    early; ``end`` is where the entries end (the 20-byte integrity digest follows)."""
    r = _Reader(data)
    magic = r.u4()
    if magic not in (MAGIC_JKS, MAGIC_JCEKS):
        raise KeystoreError("not a JKS/JCEKS keystore")
    fmt = "JKS" if magic == MAGIC_JKS else "JCEKS"
    version = r.u4()
    if version not in (1, 2):
        raise KeystoreError(f"unknown {fmt} version {version}")
    count = r.u4()
    if count > _MAX_ENTRIES:
        raise KeystoreError("implausible entry count")
    entries: list[_Entry] = []
    try:
        for _ in range(count):
            tag = r.u4()
            alias = r.utf()
            r.u8()  # creation date
            if tag == 1:
                blob = r.take(r.u4())
                entry = _Entry("private", alias, protection=_protection(blob))
                for _ in range(min(r.u4(), 64)):
                    ctype = r.utf() if version == 2 else "X.509"
                    entry.certificates.append((ctype, r.take(r.u4())))
            elif tag == 2:
                ctype = r.utf() if version == 2 else "X.509"
                entry = _Entry("trusted", alias, certificates=[(ctype, r.take(r.u4()))])
            elif tag == 3 and fmt == "JCEKS":
                obj = _Deserializer(r).stream()
                entry = _Entry("secret", alias, sealed=obj if isinstance(obj, JavaObject) else None)
            else:
                return fmt, entries, f"unknown entry type {tag}", r.pos
            entries.append(entry)
    except (KeystoreError, RecursionError) as exc:
        return fmt, entries, f"stopped after {len(entries)} of {count} entries ({exc})", r.pos
    return fmt, entries, None, r.pos


def default_store_password(data: bytes, end: int) -> str | None:
    """The well-known default password the store's integrity digest was keyed with, if any.

    JKS and JCEKS end with SHA-1(password as UTF-16BE ‖ "Mighty Aphrodite" ‖ contents)
    (sun.security.provider.JavaKeyStore, getPreKeyedHash): one hash per candidate, so checking
    every default costs microseconds. The password found stays in memory and is never reported.
    """
    digest = data[end : end + 20]
    if len(digest) != 20:
        return None
    body = data[:end]
    for password in _DEFAULT_PASSWORDS:
        h = hashlib.sha1(usedforsecurity=False)
        h.update(password.encode("utf-16-be"))
        h.update(b"Mighty Aphrodite")
        h.update(body)
        if h.digest() == digest:
            return password
    return None


def _protection(blob: bytes) -> str | None:
    try:
        _, cs, ce = _pem.read_tlv(blob, 0)
        kids = _pem.children(blob, cs, ce, 2)
        alg = _pem.read_algorithm_identifier(blob, kids[0][2], kids[0][3])
        return _KEY_PROTECTION.get(alg.oid, alg.oid)
    except (_pem.DerError, IndexError):
        return None


class KeystoreDetector(Detector):
    """Entries of Java JKS and JCEKS keystores: keys, certificate chains, trusted and secret keys."""

    id = "keystore"
    description = "Java KeyStore (JKS) and JCEKS keystores: private-key, trusted-certificate and secret-key entries"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_PRIVATE_KEY: "Private-key entry of a JKS/JCEKS keystore (algorithm and size from its certificate chain)",
            RULE_CERTIFICATE: "Certificate in a JKS/JCEKS keystore (trusted entry or certificate chain)",
            RULE_SECRET_KEY: "Secret-key entry of a JCEKS keystore (algorithm and size when a default password opens it, else encrypted)",
        }
    )
    handles_binary = True

    gate = Gate(head_starts=(MAGIC_JKS.to_bytes(4, "big"), MAGIC_JCEKS.to_bytes(4, "big")))

    def wants(self, path: str, head: bytes) -> bool:
        if len(head) >= 4 and int.from_bytes(head[:4], "big") in (MAGIC_JKS, MAGIC_JCEKS):
            return True
        return path.lower().endswith(_EXTENSIONS) and head[:4] in (b"\xfe\xed\xfe\xed", b"\xce\xce\xce\xce")

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        try:
            fmt, entries, problem, end = parse_keystore(data)
        except (KeystoreError, RecursionError) as exc:
            return [FileNote("malformed", str(exc))]
        out: list[DetectorOutput] = []
        password = default_store_password(data, end) if problem is None else None
        guesser = _Guesser(password)
        for entry in entries:
            try:
                out.extend(self._entry(fmt, entry, guesser))
            except Exception as exc:  # one bad entry must not hide the others
                out.append(FileNote("malformed", f"{fmt} entry could not be read ({type(exc).__name__})"))
        if password is not None:
            note = f"{fmt} store integrity password is a well-known default"
            out = [replace(o, notes=(*o.notes, note)) if isinstance(o, Finding) else o for o in out]
        if problem:
            out.append(FileNote("truncated" if "truncated" in problem else "malformed", f"{fmt}: {problem}"))
        return out

    def _entry(self, fmt: str, entry: _Entry, guesser: _Guesser) -> list[DetectorOutput]:
        label = f"{fmt} entry {entry.alias[:60]!r}"
        out: list[DetectorOutput] = []
        if entry.kind == "secret":
            return [self._secret(entry, label, guesser)]
        for i, (ctype, der) in enumerate(entry.certificates):
            if ctype != "X.509":
                out.append(FileNote("unsupported", f"{label}: {ctype[:40]} certificate"))
                continue
            where = f"{label} (certificate {i + 1} of its chain)" if entry.kind == "private" else label
            out.extend(_certificate(der, RULE_CERTIFICATE, None, label, where=where, notes=(f"in {label}",)))
        if entry.kind == "private":
            out.insert(0, self._private(fmt, entry, label))
        return out

    @staticmethod
    def _private(fmt: str, entry: _Entry, label: str) -> Finding:
        notes = [f"private key protected with {entry.protection or 'an unknown scheme'} (not decrypted)"]
        facts = None
        if entry.certificates and entry.certificates[0][0] == "X.509":
            try:
                spki, _ = _pem.spki_of_certificate(entry.certificates[0][1])
                facts = _pem.describe_spki(spki)
            except _pem.PARSE_ERRORS:
                facts = None
        if facts is None:
            notes.append("encrypted: no readable certificate chain, so algorithm and size are unknown")
            return Finding(
                kind=AssetKind.KEY, algorithm="unknown", rule_id=RULE_PRIVATE_KEY, usage=Usage.UNKNOWN,
                key_material=KeyMaterial.PRIVATE, encrypted=True, name=entry.alias[:120], snippet=label,
                notes=tuple(notes),
            )
        notes.append("algorithm and size read from the entry's certificate")
        if facts.note:
            notes.append(facts.note)
        return Finding(
            kind=AssetKind.KEY,
            algorithm=facts.algorithm,
            rule_id=RULE_PRIVATE_KEY,
            usage=facts.usage,
            key_size=facts.key_size,
            curve=facts.curve,
            parameter_set=facts.parameter_set,
            fingerprint_sha256=facts.fingerprint,
            key_material=KeyMaterial.PRIVATE,
            encrypted=True,
            name=entry.alias[:120],
            confidence=Confidence.HIGH if facts.loaded else Confidence.MEDIUM,
            snippet=label,
            notes=tuple(notes),
        )

    @staticmethod
    def _secret(entry: _Entry, label: str, guesser: _Guesser) -> Finding:
        sealed = entry.sealed
        seal_alg = sealed.fields.get("sealAlg") if sealed else None
        opened = guesser.unseal(sealed) if sealed is not None else None
        if opened is not None:
            alg, bits = opened
            primitive = catalog.algorithms().lookup(alg).primitive
            usage = Usage.AUTHENTICATION if primitive is Primitive.MAC else Usage.ENCRYPTION
            return Finding(
                kind=AssetKind.KEY, algorithm=alg, rule_id=RULE_SECRET_KEY, usage=usage, key_size=bits,
                key_material=KeyMaterial.SECRET, encrypted=False, name=entry.alias[:120], snippet=label,
                notes=(f"sealed with {seal_alg}, opened with a well-known default password (change it)",),
            )
        notes = [f"encrypted: sealed with {seal_alg or 'an unknown scheme'}; algorithm and size are hidden"]
        if guesser.over_budget:
            notes.append("not opened: the file's default-password budget was spent on other entries")
        return Finding(
            kind=AssetKind.KEY, algorithm="unknown", rule_id=RULE_SECRET_KEY, usage=Usage.UNKNOWN,
            key_material=KeyMaterial.SECRET, encrypted=True, name=entry.alias[:120], snippet=label,
            notes=tuple(notes),
        )


DETECTORS: list[type[Detector]] = [KeystoreDetector]
