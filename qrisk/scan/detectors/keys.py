"""Detector for private and public keys: PEM/DER (PKCS#1, PKCS#8, SEC1, SPKI), OpenSSH,
PuTTY, RFC 4716, ``.pub``, ``authorized_keys`` and ``known_hosts``.

A key is reported by algorithm, size/curve/parameter set and the SHA-256 of its DER
SubjectPublicKeyInfo (the same for a key found as ``id_rsa``, ``id_rsa.pub``, a PEM file
or inside a certificate); SSH keys also carry their ``SHA256:…`` OpenSSH fingerprint.
Private keys are loaded for their public half only and nothing private is kept.
Certificates and PKCS#12 stores belong to :mod:`qrisk.scan.detectors.certificates`.
"""

from __future__ import annotations

import binascii
import re
import warnings
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import ClassVar

from cryptography.hazmat.primitives import serialization

from qrisk.model import AssetKind, Confidence, KeyMaterial, Usage
from qrisk.scan.detectors import _pem, _sshkey
from qrisk.scan.detectors._pem import DerError, KeyFacts
from qrisk.scan.detectors._sshkey import SshKeyError, SshPublicKey
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Finding, Gate

RULE_PRIVATE = "QR-KEY-001"
RULE_PUBLIC = "QR-KEY-002"
RULE_ENCRYPTED = "QR-KEY-003"
RULE_AUTHORIZED_KEYS = "QR-KEY-004"
RULE_KNOWN_HOSTS = "QR-KEY-005"
RULE_EMBEDDED_SSH = "QR-KEY-006"

# Extensions that name key files: a file with one of them holding no key gets a
# "malformed" note from this detector (certificate extensions belong to ``x509``).
_KEY_EXTENSIONS = frozenset({".key", ".pub", ".ppk", ".pk8", ".p8", ".pkcs8", ".priv", ".private"})
_WANTED_EXTENSIONS = _KEY_EXTENSIONS | {".pem", ".der", ".asn1"}
_EMBEDDING_EXTENSIONS = _pem.EMBEDDING_EXTENSIONS
_SSH_HEAD_MARKS = (b"ssh-", b"ecdsa-sha2-", b"sk-ssh-", b"sk-ecdsa-", b"@cert-authority", b"@revoked", b"|1|")
_LEGACY_LABEL_ALGORITHM = {"RSA PRIVATE KEY": "RSA", "EC PRIVATE KEY": "ECDSA", "DSA PRIVATE KEY": "DSA"}
_RFC4716_RE = re.compile(rb"---- BEGIN SSH2 PUBLIC KEY ----(.*?)---- END SSH2 PUBLIC KEY ----", re.S)
_RFC4716_MARK = b"---- BEGIN SSH2 PUBLIC KEY ----"
_USER_AT_HOST_RE = re.compile(rb"[A-Za-z0-9._+-]{1,64}@[A-Za-z0-9._-]{1,128}")
_MAX_COMMENT = 64
_SSH_NAME_RE = re.compile(
    r"^(?:(?P<ak>authorized_keys2?)|(?P<kh>(?:ssh_)?known_hosts2?)"
    r"|id_(?:rsa|dsa|ecdsa|ed25519|ecdsa_sk|ed25519_sk|xmss)|ssh_host_\w+_key|identity)(?:[._-].*)?$",
    re.I,
)
_NOT_SSH_SUFFIXES = frozenset(
    {
        ".md",
        ".rst",
        ".txt",
        ".html",
        ".adoc",
        ".py",
        ".go",
        ".rb",
        ".js",
        ".ts",
        ".java",
        ".sh",
        ".j2",
        ".tpl",
    }
)


def _base(path: str) -> str:
    """Last segment of a relative path (``/`` or ``\\`` separated)."""
    return path.rpartition("/")[2].rpartition("\\")[2]


def _suffix(name: str) -> str:
    """Lower-case extension of a file name (``.key``), ``""`` for none or a dot-file."""
    stem, dot, ext = name.rpartition(".")
    return "." + ext.lower() if dot and stem else ""


def _ssh_file_kind(name: str) -> str | None:
    """``authorized_keys``, ``known_hosts``, ``identity`` (id_rsa…, host keys) or None.

    Copies (``authorized_keys.bak``, ``id_rsa_work``) count; documentation or templates
    about them (``authorized_keys.md``) do not.
    """
    m = _SSH_NAME_RE.match(name)
    if m is None or _suffix(name) in _NOT_SSH_SUFFIXES:
        return None
    if m.group("ak"):
        return "authorized_keys"
    if m.group("kh"):
        return "known_hosts"
    return "identity"


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


class KeyDetector(Detector):
    """Private and public keys in every common container, classical and post-quantum."""

    id = "keys"
    description = (
        "Private and public keys: PEM/DER (PKCS#1, PKCS#8, SEC1, SPKI), OpenSSH, PuTTY, SSH public keys"
    )
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_PRIVATE: "Private key (PEM/DER PKCS#1, PKCS#8, SEC1, DSA; OpenSSH; PuTTY), reported by its public half",
            RULE_PUBLIC: "Public key (PEM/DER SubjectPublicKeyInfo or PKCS#1, SSH .pub, RFC 4716)",
            RULE_ENCRYPTED: "Encrypted PKCS#8 private key whose algorithm is hidden by the encryption",
            RULE_AUTHORIZED_KEYS: "SSH public key authorised for login (authorized_keys entry)",
            RULE_KNOWN_HOSTS: "SSH host key trusted by a client (known_hosts entry, incl. @cert-authority/@revoked)",
            RULE_EMBEDDED_SSH: "SSH public key embedded in another text file (cloud-init, IaC, configs)",
        }
    )
    handles_binary = True

    gate = Gate(
        extensions=_WANTED_EXTENSIONS | _EMBEDDING_EXTENSIONS,
        prefixes=("authorized_keys", "known_hosts", "ssh_known_hosts", "id_", "ssh_host_", "identity"),  # _SSH_NAME_RE
        head_marks=(_pem.BEGIN_MARK, _pem.B64_PEM_MARK, _sshkey.PPK_MARK, _RFC4716_MARK, b"AAAA"),
        head_starts=(bytes([_pem.SEQUENCE]),),  # DER
    )

    def wants(self, path: str, head: bytes) -> bool:
        name = _base(path)
        ext = _suffix(name)
        if ext in _WANTED_EXTENSIONS or _ssh_file_kind(name):
            return True
        if _pem.BEGIN_MARK in head or _pem.B64_PEM_MARK in head or _sshkey.PPK_MARK in head:
            return True
        if _RFC4716_MARK in head or (b"AAAA" in head and any(m in head for m in _SSH_HEAD_MARKS)):
            return True
        if ext in _EMBEDDING_EXTENSIONS:
            return True  # keys may sit past the head; detect() bails out fast without a marker
        return _pem.looks_like_der_head(head) and _pem.classify_der(head).kind in _pem.KEY_KINDS

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        out: list[DetectorOutput] = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # hostile input must not spam the scan's stderr
                _Scan(path, data, out).run()
        except Exception:  # a detector must never take the scan down; say what happened
            out.append(FileNote("malformed", "unexpected structure; the rest of this file was not examined"))
        return _pem.cap_notes(out)


class _Scan:
    """One file's worth of key detection."""

    def __init__(self, path: str, data: bytes, out: list[DetectorOutput]) -> None:
        self.path = path
        self.data = data
        self.out = out
        self.name = _base(path)
        self.ext = _suffix(self.name)
        self.ssh_kind = _ssh_file_kind(self.name)
        self.found = False

    def run(self) -> None:
        data = self.data
        if not data:
            return
        textual = False
        if _pem.BEGIN_MARK in data or _pem.B64_PEM_MARK in data:
            textual = True
            self._pem_blocks()
        if _RFC4716_MARK in data:
            textual = True
            self._rfc4716()
        if _sshkey.PPK_MARK in data[:1024]:
            textual = True
            self._ppk()
        if self.ssh_kind in ("authorized_keys", "known_hosts"):
            textual = True
            self._ssh_entries()
        elif b" AAAA" in data or b"\tAAAA" in data:
            self._embedded_ssh_keys()
        if not textual and not self.found:
            self._der()
        if not self.found and not self.out and (self.ext in _KEY_EXTENSIONS or self.ssh_kind == "identity"):
            self.out.append(FileNote("malformed", "no key found in a file named like a key"))

    # ------------------------------------------------------------------ emitters

    def emit(self, finding: Finding) -> None:
        self.found = True
        self.out.append(finding)

    def note(self, reason: str, detail: str) -> None:
        self.out.append(FileNote(reason, detail))

    def key_finding(
        self,
        facts: KeyFacts,
        rule_id: str,
        line: int | None,
        snippet: str,
        material: KeyMaterial,
        notes: tuple[str, ...] = (),
    ) -> None:
        extra = list(notes)
        if facts.note:
            extra.append(facts.note)
        if not facts.loaded:
            extra.append("algorithm read from its OID; the key itself was not parsed")
        self.emit(
            Finding(
                kind=AssetKind.KEY,
                algorithm=facts.algorithm,
                rule_id=rule_id,
                line=line,
                usage=facts.usage,
                key_size=facts.key_size,
                curve=facts.curve,
                parameter_set=facts.parameter_set,
                fingerprint_sha256=facts.fingerprint,
                key_material=material,
                name=self.name,
                confidence=Confidence.HIGH if facts.loaded else Confidence.MEDIUM,
                snippet=snippet,
                notes=tuple(extra),
            )
        )

    def encrypted_pkcs8(self, der: bytes, line: int | None, snippet: str) -> None:
        scheme = _pem.encryption_scheme(der)
        note = f"encrypted PKCS#8 ({scheme})" if scheme else "encrypted PKCS#8"
        self.emit(
            Finding(
                kind=AssetKind.KEY,
                algorithm="unknown",
                rule_id=RULE_ENCRYPTED,
                line=line,
                usage=Usage.UNKNOWN,
                key_material=KeyMaterial.PRIVATE,
                encrypted=True,
                name=self.name,
                snippet=snippet,
                notes=(note, "algorithm and size are hidden by the encryption"),
            )
        )

    def ssh_finding(
        self,
        key: SshPublicKey,
        rule_id: str,
        line: int | None,
        material: KeyMaterial,
        *,
        comment: str = "",
        snippet: str | None = None,
        encrypted: bool = False,
        notes: tuple[str, ...] = (),
        confidence: Confidence = Confidence.HIGH,
    ) -> None:
        algorithm = _pem.ecdsa_name(key.curve) if key.algorithm == "ECDSA" else key.algorithm
        known = key.algorithm in ("RSA", "DSA", "ECDSA", "Ed25519", "Ed448")
        extra = [key.ssh_fingerprint, *notes]
        if key.security_key:
            extra.append("FIDO/U2F security-key backed (sk-)")
        related: tuple[str, ...] = ()
        if key.certificate:
            extra.append(f"OpenSSH {key.certificate_kind} certificate signed by CA key {key.ca_fingerprint}")
            if key.ca_spki_der:
                related = (_pem.sha256_hex(key.ca_spki_der),)
        if not known:
            extra.append("SSH key type not known to qrisk; reported as seen")
        fingerprint = _pem.sha256_hex(key.spki_der) if key.spki_der else key.blob_sha256
        label = f"{key.key_type} {comment}".strip()
        self.emit(
            Finding(
                kind=AssetKind.KEY,
                algorithm=algorithm,
                rule_id=rule_id,
                line=line,
                usage=Usage.SIGNATURE if known else Usage.UNKNOWN,
                key_size=key.key_size,
                curve=key.curve,
                fingerprint_sha256=fingerprint,
                key_material=material,
                encrypted=encrypted,
                name=comment or self.name,
                confidence=confidence,
                snippet=(snippet or label)[:120],
                notes=tuple(extra),
                related_fingerprints=related,
            )
        )

    # ------------------------------------------------------------------ PEM

    def _pem_blocks(self) -> None:
        bad = 0
        for blk in _pem.iter_pem_blocks(self.data, _pem.KEY_LABELS):
            bad += blk.der is None
            if bad > _pem.MAX_BAD_BLOCKS:
                self.note("malformed", "too many unreadable PEM blocks; the rest was not examined")
                return
            where = f"{blk.label} block at line {blk.line}"
            try:
                self._pem_block(blk, where)
            except Exception as exc:  # one bad block must not hide the others
                self.note("malformed", f"{where} could not be read ({type(exc).__name__})")

    def _pem_block(self, blk: _pem.PemBlock, where: str) -> None:
        if blk.der is None:
            if blk.problem == "truncated":
                self.note("truncated", f"{where} has no END line")
            else:
                self.note("malformed", f"{where} is not valid base64")
            return
        label = blk.label
        if label == "OPENSSH PRIVATE KEY":
            self._openssh(blk.der, blk.line, blk.begin_line, where)
        elif label == "ENCRYPTED PRIVATE KEY":
            if _pem.classify_der(blk.der).kind != _pem.ENCRYPTED_PKCS8:
                self.note("malformed", f"{where} is not an encrypted PKCS#8 key")
            else:
                self.encrypted_pkcs8(blk.der, blk.line, blk.begin_line)
        elif label in _LEGACY_LABEL_ALGORITHM and "ENCRYPTED" in blk.headers.get("Proc-Type", ""):
            cipher = re.sub(r"[^A-Za-z0-9-]", "", blk.headers.get("DEK-Info", "").split(",", 1)[0])[:32]
            self.emit(
                Finding(
                    kind=AssetKind.KEY,
                    algorithm=_LEGACY_LABEL_ALGORITHM[label],
                    rule_id=RULE_PRIVATE,
                    line=blk.line,
                    usage=Usage.SIGNATURE,
                    key_material=KeyMaterial.PRIVATE,
                    encrypted=True,
                    name=self.name,
                    snippet=blk.begin_line,
                    notes=(
                        f"legacy PEM encryption ({cipher or 'unknown cipher'})",
                        "key size and public key are hidden by the encryption",
                    ),
                )
            )
        elif label in ("PUBLIC KEY", "RSA PUBLIC KEY"):
            self._public_der(blk.der, blk.line, blk.begin_line, where)
        else:
            self._private_der(blk.der, blk.line, blk.begin_line, where)

    # ------------------------------------------------------------------ DER

    def _der(self) -> None:
        shape = _pem.classify_der(self.data)
        if shape.kind not in _pem.KEY_KINDS:
            return
        if shape.truncated:
            self.note("truncated", "DER key is cut short")
            return
        der = self.data[: len(self.data) - shape.trailing]
        if shape.kind in (_pem.SPKI, _pem.RSA_PUBLIC):
            self._public_der(der, None, "DER public key", "DER public key")
        elif shape.kind == _pem.ENCRYPTED_PKCS8:
            self.encrypted_pkcs8(der, None, "DER encrypted private key")
        else:
            self._private_der(der, None, "DER private key", "DER private key")

    def _private_der(self, der: bytes, line: int | None, snippet: str, where: str) -> None:
        shape = _pem.classify_der(der)
        if shape.kind == _pem.ENCRYPTED_PKCS8:
            self.encrypted_pkcs8(der, line, snippet)
            return
        if shape.truncated:
            self.note("truncated", f"{where} is cut short")
            return
        try:
            key = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
            facts = _pem.describe_public_key(key.public_key())
        except TypeError:
            self.encrypted_pkcs8(der, line, snippet)
            return
        except _pem.PARSE_ERRORS:
            facts = self._pkcs8_by_oid(der, shape)
            if facts is None:
                self.note("malformed", f"{where} is not a private key this scanner can read")
                return
        self.key_finding(facts, RULE_PRIVATE, line, snippet, KeyMaterial.PRIVATE)

    @staticmethod
    def _pkcs8_by_oid(der: bytes, shape: _pem.DerShape) -> KeyFacts | None:
        """A PKCS#8 key ``cryptography`` cannot load (SLH-DSA, ML-KEM-512, other encodings)."""
        if shape.kind != _pem.PKCS8:
            return None
        try:
            view = _pem.parse_pkcs8(der)
        except DerError:
            return None
        alg = _pem.KEY_ALGORITHMS.get(view.oid)
        if alg is not None and alg.loadable and not alg.name.startswith(("ML-", "SLH-")):
            return None  # a classical key OpenSSL should have read: it is broken
        return _pem.facts_from_oid(view.oid, view.public_spki)

    def _public_der(self, der: bytes, line: int | None, snippet: str, where: str) -> None:
        shape = _pem.classify_der(der)
        if shape.truncated:
            self.note("truncated", f"{where} is cut short")
            return
        try:
            if shape.kind == _pem.RSA_PUBLIC:
                facts = _pem.describe_public_key(serialization.load_der_public_key(der))
            else:
                view = _pem.parse_spki(der)
                facts = _pem.describe_spki(der)
                alg = _pem.KEY_ALGORITHMS.get(view.oid)
                if not facts.loaded and alg is not None and alg.loadable:
                    raise DerError("key rejected by its parser")
        except _pem.PARSE_ERRORS:
            self.note("malformed", f"{where} is not a public key this scanner can read")
            return
        self.key_finding(facts, RULE_PUBLIC, line, snippet, KeyMaterial.PUBLIC)

    # ------------------------------------------------------------------ SSH

    def _openssh(self, der: bytes, line: int, snippet: str, where: str) -> None:
        try:
            container = _sshkey.parse_openssh_private(der)
        except SshKeyError:
            self.note("malformed", f"{where} is not a valid openssh-key-v1 container")
            return
        notes: tuple[str, ...] = ()
        if container.encrypted:
            notes = (f"passphrase-protected ({container.cipher}, {container.kdf})",)
        for key in container.public_keys:
            self.ssh_finding(
                key,
                RULE_PRIVATE,
                line,
                KeyMaterial.PRIVATE,
                snippet=snippet,
                encrypted=container.encrypted,
                notes=notes,
            )

    def _ppk(self) -> None:
        try:
            ppk = _sshkey.parse_ppk(self.data)
        except SshKeyError:
            self.note("malformed", "PuTTY key file could not be read")
            return
        encrypted = ppk.encryption != "none"
        notes = (f"PuTTY key file v{ppk.version}",)
        if encrypted:
            notes += (f"passphrase-protected ({ppk.encryption})",)
        comment = _clean_comment(ppk.comment.encode("utf-8", "replace"))
        line = _line_of(self.data, self.data.find(_sshkey.PPK_MARK))
        self.ssh_finding(
            ppk.public,
            RULE_PRIVATE,
            line,
            KeyMaterial.PRIVATE,
            comment=comment,
            encrypted=encrypted,
            notes=notes,
        )

    def _rfc4716(self) -> None:
        for m in _RFC4716_RE.finditer(self.data):
            line = _line_of(self.data, m.start())
            comment = ""
            body: list[bytes] = []
            lines = m.group(1).splitlines()
            i = 0
            while i < len(lines):
                raw = lines[i].strip()
                if b":" in raw:
                    key_name, _, value = raw.partition(b":")
                    while value.endswith(b"\\") and i + 1 < len(lines):  # RFC 4716 §3.3 continuation
                        i += 1
                        value = value[:-1] + lines[i].strip()
                    if key_name.strip().lower() == b"comment":
                        comment = _clean_comment(value.strip().strip(b'"'))
                elif raw:
                    body.append(raw)
                i += 1
            try:
                key = _sshkey.parse_public_blob(binascii.a2b_base64(b"".join(body)))
            except (binascii.Error, ValueError, SshKeyError):
                self.note("malformed", f"SSH2 PUBLIC KEY block at line {line} could not be read")
                continue
            self.ssh_finding(key, RULE_PUBLIC, line, KeyMaterial.PUBLIC, comment=comment)

    def _ssh_entries(self) -> None:
        """authorized_keys / known_hosts: one entry per line, options and markers allowed."""
        bad_lines: list[int] = []
        known_hosts = self.ssh_kind == "known_hosts"
        for number, raw in enumerate(self.data.splitlines(), start=1):
            text = raw.strip()
            if not text or text.startswith(b"#"):
                continue
            entries = _sshkey.find_key_lines(text)
            if not entries:
                bad_lines.append(number)
                continue
            entry = entries[0]
            before = text[: entry.start].strip()
            comment = _clean_comment(text[entry.end :].strip())
            notes: list[str] = []
            if known_hosts:
                rule = RULE_KNOWN_HOSTS
                marker = before.split(None, 1)[0] if before.startswith(b"@") else b""
                hosts = before[len(marker) :].strip()
                if marker == b"@cert-authority":
                    notes.append("@cert-authority: trusted to sign host certificates")
                elif marker == b"@revoked":
                    notes.append("@revoked: key marked as revoked")
                if hosts.startswith(b"|1|"):
                    notes.append("hashed host name")
            else:
                rule = RULE_AUTHORIZED_KEYS
                if before:
                    notes.append("entry has login options")
            self.ssh_finding(entry.key, rule, number, KeyMaterial.PUBLIC, comment=comment, notes=tuple(notes))
        if bad_lines:
            self.note(
                "malformed",
                f"{len(bad_lines)} line(s) are not {self.ssh_kind} entries (first at line {bad_lines[0]})",
            )

    def _embedded_ssh_keys(self) -> None:
        """``<type> AAAA…`` anywhere in text: .pub files, cloud-init, Terraform, configs."""
        pub_file = self.ext == ".pub" or self.ssh_kind == "identity"
        line = 1
        counted_to = 0
        for entry in _sshkey.find_key_lines(self.data):
            line += self.data.count(b"\n", counted_to, entry.start)
            counted_to = entry.start
            eol = self.data.find(b"\n", entry.end)
            rest = self.data[entry.end : eol if eol >= 0 else len(self.data)].strip()
            if pub_file:
                comment = _clean_comment(rest)
                rule, confidence = RULE_PUBLIC, Confidence.HIGH
            else:
                # Only a user@host label: the rest of a config line may hold anything.
                first = rest.split(None, 1)[0].strip(b"\"',;") if rest else b""
                comment = first.decode("ascii") if _USER_AT_HOST_RE.fullmatch(first) else ""
                rule, confidence = RULE_EMBEDDED_SSH, Confidence.MEDIUM
            self.ssh_finding(
                entry.key, rule, line, KeyMaterial.PUBLIC, comment=comment, confidence=confidence
            )


def _clean_comment(raw: bytes) -> str:
    """A key comment, printable and short (it is a label, not content)."""
    text = raw.decode("utf-8", "replace")
    text = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return text[:_MAX_COMMENT]
