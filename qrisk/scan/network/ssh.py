"""SSH prober: the server's identification string and KEXINIT, and each host key it offers.

The first connection sends our identification and a KEXINIT at once and reads the
server's identification (RFC 4253 §4.2) and KEXINIT (§7.1): key exchange, host-key,
cipher, MAC and compression name-lists. Host keys travel only in the key-exchange reply,
so each host-key type costs one more connection that runs the key exchange up to that
reply (RFC 5656 §4 / RFC 8731 ECDH, or RFC 4419 group exchange) and then hangs up:
no NEWKEYS, no authentication.

Implemented key exchanges for fetching host keys: curve25519-sha256 (RFC 8731),
ecdh-sha2-nistp256/384/521 (RFC 5656), diffie-hellman-group-exchange-sha256/sha1
(RFC 4419). Every algorithm name the server offers is reported whether or not we
implement it (e.g. ``mlkem768x25519-sha256``, draft-ietf-sshm-mlkem-hybrid-kex;
``sntrup761x25519-sha512@openssh.com``, draft-ietf-sshm-ntruprime-ssh).
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519

from qrisk.scan.detectors._sshkey import SshKeyError, SshPublicKey, parse_public_blob
from qrisk.scan.network import Address, Channel, Counters, ErrorReason, Limits, PeerClosed, ProbeError

CLIENT_ID = b"SSH-2.0-qrisk_probe"
# RFC 4253 §4.2: the identification line is at most 255 bytes including CR LF; servers may
# send other lines first. We accept a few such lines, never an unbounded stream.
MAX_ID_LINE = 255
MAX_PRE_BANNER_LINES = 20
# RFC 4253 §6.1: implementations must accept packets of 35000 bytes; OpenSSH allows 256 KiB.
MAX_PACKET = 256 * 1024

MSG_DISCONNECT, MSG_IGNORE, MSG_UNIMPLEMENTED, MSG_DEBUG = 1, 2, 3, 4
MSG_KEXINIT = 20
MSG_KEX_ECDH_INIT, MSG_KEX_ECDH_REPLY = 30, 31  # RFC 5656 §7.1 (also RFC 8731)
MSG_KEX_DH_GEX_REQUEST, MSG_KEX_DH_GEX_GROUP = 34, 31  # RFC 4419 §5
MSG_KEX_DH_GEX_INIT, MSG_KEX_DH_GEX_REPLY = 32, 33

# Names in the KEXINIT kex list that are signals, not algorithms (RFC 8308 §2.1; OpenSSH
# PROTOCOL "strict key exchange", the Terrapin countermeasure).
PSEUDO_KEX = frozenset({"ext-info-s", "ext-info-c", "kex-strict-s-v00@openssh.com", "kex-strict-c-v00@openssh.com"})

_CURVE25519 = ("curve25519-sha256", "curve25519-sha256@libssh.org")
_ECDH = {
    "ecdh-sha2-nistp256": ec.SECP256R1(),
    "ecdh-sha2-nistp384": ec.SECP384R1(),
    "ecdh-sha2-nistp521": ec.SECP521R1(),
}
_GEX = ("diffie-hellman-group-exchange-sha256", "diffie-hellman-group-exchange-sha1")
FETCHABLE_KEX = (*_CURVE25519, *_ECDH, *_GEX)

_CERT_SUFFIX = "-cert-v01@openssh.com"
# Host-key algorithms that sign with the same key (RFC 8332: rsa-sha2-* use ssh-rsa keys).
_SAME_KEY = {"rsa-sha2-512": "ssh-rsa", "rsa-sha2-256": "ssh-rsa"}

# What we offer in the first KEXINIT: broad, so any server finds something in common.
_OFFER_HOSTKEYS = (
    "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-512",
    "rsa-sha2-256", "ssh-rsa", "ssh-ed448", "ssh-dss",
)
_OFFER_CIPHERS = (
    "chacha20-poly1305@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr", "aes128-gcm@openssh.com",
    "aes256-gcm@openssh.com", "aes128-cbc", "aes256-cbc", "3des-cbc",
)
_OFFER_MACS = (
    "hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512",
    "hmac-sha1", "umac-64-etm@openssh.com", "umac-128-etm@openssh.com",
)


def key_type_of(algorithm: str) -> str:
    """The public-key type a host-key algorithm signs with (``rsa-sha2-512`` → ``ssh-rsa``)."""
    if algorithm.endswith(_CERT_SUFFIX):
        base = algorithm[: -len(_CERT_SUFFIX)]
        return _SAME_KEY.get(base, base) + _CERT_SUFFIX
    return _SAME_KEY.get(algorithm, algorithm)


# --------------------------------------------------------------------------- wire format


def _string(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def _name_list(names: Sequence[str]) -> bytes:
    return _string(",".join(names).encode("ascii"))


def _mpint(n: int) -> bytes:
    if n == 0:
        return _string(b"")
    raw = n.to_bytes((n.bit_length() + 8) // 8, "big")  # leading zero byte keeps it positive
    return _string(raw)


def packet(payload: bytes) -> bytes:
    """An unencrypted binary packet (RFC 4253 §6): length, padding length, payload, random padding."""
    block = 8
    pad = block - (5 + len(payload)) % block
    if pad < 4:
        pad += block
    return (1 + len(payload) + pad).to_bytes(4, "big") + bytes([pad]) + payload + os.urandom(pad)


def kexinit(
    kex: Sequence[str],
    hostkeys: Sequence[str],
    ciphers: Sequence[str],
    macs: Sequence[str],
    compression: Sequence[str] = ("none",),
) -> bytes:
    """SSH_MSG_KEXINIT payload (RFC 4253 §7.1)."""
    return (
        bytes([MSG_KEXINIT])
        + os.urandom(16)
        + _name_list(kex)
        + _name_list(hostkeys)
        + _name_list(ciphers)
        + _name_list(ciphers)
        + _name_list(macs)
        + _name_list(macs)
        + _name_list(compression)
        + _name_list(compression)
        + _name_list(())
        + _name_list(())
        + b"\x00"
        + b"\x00\x00\x00\x00"
    )


class _Reader:
    __slots__ = ("data", "pos", "what")

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"truncated {self.what}")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "big")

    def string(self) -> bytes:
        return self.take(self.u32())

    def name_list(self) -> tuple[str, ...]:
        raw = self.string()
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"non-ASCII name-list in {self.what}") from None
        # RFC 4251 §6: names are printable US-ASCII without commas or spaces, ≤ 64 characters.
        names = tuple(n for n in text.split(",") if n)
        for n in names:
            if len(n) > 64 or not re.fullmatch(r"[\x21-\x7e]+", n):
                raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"malformed algorithm name in {self.what}")
        return names


@dataclass(frozen=True)
class KexInit:
    """The server's algorithm lists, in its order of preference (RFC 4253 §7.1)."""

    kex: tuple[str, ...]
    host_key: tuple[str, ...]
    ciphers_c2s: tuple[str, ...]
    ciphers_s2c: tuple[str, ...]
    macs_c2s: tuple[str, ...]
    macs_s2c: tuple[str, ...]
    compression_c2s: tuple[str, ...]
    compression_s2c: tuple[str, ...]


def parse_kexinit(payload: bytes) -> KexInit:
    r = _Reader(payload, "KEXINIT")
    if r.take(1)[0] != MSG_KEXINIT:
        raise ProbeError(ErrorReason.PROTOCOL_ERROR, "expected KEXINIT")
    r.take(16)  # cookie
    lists = [r.name_list() for _ in range(10)]
    return KexInit(*lists[:8])


# --------------------------------------------------------------------------- connection


@dataclass(frozen=True)
class Identification:
    """The server's identification string (RFC 4253 §4.2), printable ASCII only."""

    line: str
    proto_version: str
    software: str
    comments: str


class _Session:
    """One SSH connection up to (at most) the key-exchange reply."""

    def __init__(self, address: Address, limits: Limits, counters: Counters) -> None:
        self.ch = Channel.open(address, limits, counters)
        self.first_exchange = True

    def close(self) -> None:
        self.ch.close()

    def send(self, data: bytes, *, expect_answer: bool = True) -> None:
        self.ch.send(data, expect_answer=expect_answer)

    def identification(self) -> Identification:
        for _ in range(MAX_PRE_BANNER_LINES + 1):
            try:
                first = self.ch.peek(4)
            except PeerClosed as exc:
                raise ProbeError(
                    ErrorReason.NOT_SSH if exc.received == 0 else ErrorReason.PROTOCOL_ERROR,
                    "the server closed the connection without sending an SSH identification",
                ) from None
            if first[:1] in (b"\x15", b"\x16") and first[1:2] == b"\x03":
                raise ProbeError(ErrorReason.NOT_SSH, "the server answered with a TLS record: probe it as HOST:PORT/tls")
            try:
                raw = self.ch.read_line(MAX_ID_LINE)
            except PeerClosed:
                raise ProbeError(ErrorReason.NOT_SSH, "the connection closed inside the identification line") from None
            except ProbeError as exc:
                if exc.reason is ErrorReason.PROTOCOL_ERROR:
                    raise ProbeError(
                        ErrorReason.NOT_SSH, f"no SSH identification line (a line longer than {MAX_ID_LINE} bytes)"
                    ) from None
                raise
            if raw.startswith(b"SSH-"):
                return _parse_identification(raw)
            if b"\x00" in raw:
                raise ProbeError(ErrorReason.NOT_SSH, f"binary data where an SSH identification was expected ({raw[:8].hex()})")
        raise ProbeError(ErrorReason.NOT_SSH, f"no SSH identification within {MAX_PRE_BANNER_LINES} lines")

    def read_packet(self) -> bytes:
        """The next unencrypted packet's payload, skipping IGNORE/DEBUG; DISCONNECT raises."""
        for _ in range(64):
            head = self.ch.read_exact(5)
            length = int.from_bytes(head[:4], "big")
            pad = head[4]
            # RFC 4253 §6: at least 4 bytes of padding and a non-empty payload.
            if length > MAX_PACKET or length < 6 or pad < 4 or pad > length - 2:
                raise ProbeError(
                    ErrorReason.PROTOCOL_ERROR,
                    f"SSH packet length {length} / padding {pad} is not valid (RFC 4253 §6, limit {MAX_PACKET})",
                )
            try:
                body = self.ch.read_exact(length - 1)
            except PeerClosed as exc:
                raise ProbeError(
                    ErrorReason.PROTOCOL_ERROR,
                    f"the server closed the connection inside an SSH packet ({exc.received} bytes received)",
                ) from None
            payload = body[: length - 1 - pad]
            if not payload:
                raise ProbeError(ErrorReason.PROTOCOL_ERROR, "empty SSH packet")
            msg = payload[0]
            if msg in (MSG_IGNORE, MSG_DEBUG, MSG_UNIMPLEMENTED):
                continue
            if msg == MSG_DISCONNECT:
                raise ProbeError(ErrorReason.HANDSHAKE_FAILURE, "server disconnected: " + _disconnect_reason(payload))
            return payload
        raise ProbeError(ErrorReason.PROTOCOL_ERROR, "too many SSH_MSG_IGNORE/DEBUG packets")


def _disconnect_reason(payload: bytes) -> str:
    r = _Reader(payload, "DISCONNECT")
    try:
        r.take(1)
        code = r.u32()
        text = r.string().decode("utf-8", "replace")
    except ProbeError:
        return "(malformed DISCONNECT)"
    return f"{code} {_printable(text)[:120]}".strip()


def _printable(text: str) -> str:
    return "".join(c if 0x20 <= ord(c) < 0x7F else "?" for c in text)


def _parse_identification(raw: bytes) -> Identification:
    line = _printable(raw.decode("latin-1"))[:MAX_ID_LINE]
    m = re.match(r"^SSH-([^-\s]+)-(\S+)(?:\s+(.*))?$", line)
    if not m:
        raise ProbeError(ErrorReason.NOT_SSH, f"malformed SSH identification {line[:60]!r}")
    return Identification(line, m.group(1), m.group(2), m.group(3) or "")


# --------------------------------------------------------------------------- key exchange for host keys


def _kex_init_message(kex: str) -> tuple[bytes, bool]:
    """The client's first key-exchange message for ``kex`` and whether a group must come first (GEX)."""
    if kex in _CURVE25519:
        q = x25519.X25519PrivateKey.generate().public_key().public_bytes_raw()
        return bytes([MSG_KEX_ECDH_INIT]) + _string(q), False
    if kex in _ECDH:
        q = (
            ec.generate_private_key(_ECDH[kex])
            .public_key()
            .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        )
        return bytes([MSG_KEX_ECDH_INIT]) + _string(q), False
    if kex in _GEX:
        # RFC 4419 §3: min 2048, preferred 3072, max 8192 bits (RFC 8270 raised the floor to 2048).
        req = bytes([MSG_KEX_DH_GEX_REQUEST]) + (2048).to_bytes(4, "big") + (3072).to_bytes(4, "big")
        return req + (8192).to_bytes(4, "big"), True
    raise ValueError(kex)


def _host_key_blob(session: _Session, kex: str) -> tuple[bytes, int | None]:
    """Run the key exchange up to the server's reply; (K_S host key blob, GEX group bits)."""
    gex_bits = None
    if kex in _GEX:
        payload = session.read_packet()
        if payload[0] != MSG_KEX_DH_GEX_GROUP:
            raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"expected KEX_DH_GEX_GROUP, got message {payload[0]}")
        r = _Reader(payload[1:], "KEX_DH_GEX_GROUP")
        p = int.from_bytes(r.string(), "big")
        g = int.from_bytes(r.string(), "big")
        gex_bits = p.bit_length()
        if not 512 <= gex_bits <= 16384 or not 1 < g < p:
            raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"implausible group-exchange group ({gex_bits} bits)")
        x = secrets.randbelow(p - 3) + 2
        session.send(packet(bytes([MSG_KEX_DH_GEX_INIT]) + _mpint(pow(g, x, p))))
        expected = MSG_KEX_DH_GEX_REPLY
    else:
        expected = MSG_KEX_ECDH_REPLY
    payload = session.read_packet()
    if payload[0] != expected:
        raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"expected key-exchange reply {expected}, got message {payload[0]}")
    r = _Reader(payload[1:], "key-exchange reply")
    return r.string(), gex_bits


# --------------------------------------------------------------------------- profile


@dataclass(frozen=True)
class HostKey:
    """One host key the server proved it holds (by sending it in a key-exchange reply)."""

    algorithm: str
    """Host-key algorithm negotiated to fetch it (``rsa-sha2-512``, ``ssh-ed25519``…)."""
    offered_as: tuple[str, ...]
    """Every host-key algorithm name in the server's list that uses this key."""
    key: SshPublicKey | None
    note: str = ""


@dataclass(frozen=True)
class SshProfile:
    """Everything one endpoint's SSH profile learned (partial when ``error`` is set)."""

    identification: Identification | None = None
    kexinit: KexInit | None = None
    host_keys: tuple[HostKey, ...] = ()
    gex_bits: int | None = None
    """Group size a group-exchange key exchange produced, when one ran."""
    notes: tuple[str, ...] = ()
    connections: int = 0
    round_trips: int = 0
    error: ProbeError | None = None

    @property
    def kex(self) -> tuple[str, ...]:
        """Key exchange algorithms without the pseudo-algorithm signals."""
        return tuple(k for k in self.kexinit.kex if k not in PSEUDO_KEX) if self.kexinit else ()

    @property
    def strict_kex(self) -> bool:
        return bool(self.kexinit) and "kex-strict-s-v00@openssh.com" in self.kexinit.kex  # type: ignore[union-attr]


@dataclass
class _SshState:
    ident: Identification | None = None
    kexinit: KexInit | None = None
    host_keys: list[HostKey] = field(default_factory=list)
    gex_bits: int | None = None
    notes: list[str] = field(default_factory=list)


class SshProber:
    """Profiles one SSH endpoint."""

    def __init__(self, address: Address, limits: Limits, counters: Counters | None = None) -> None:
        self.address = address
        self.limits = limits
        self.counters = counters or Counters()
        self.s = _SshState()

    def run(self) -> SshProfile:
        try:
            first_key = self._first()
            self._host_keys(first_key)
        except ProbeError as exc:
            return self._profile(exc)
        return self._profile(None)

    def _first(self) -> tuple[str, bytes] | None:
        """Identification + KEXINIT, pipelined with a curve25519 key exchange that fetches the
        host key of the first type both sides list (one round trip when the guess is right)."""
        session = _Session(self.address, self.limits, self.counters)
        try:
            init, _ = _kex_init_message("curve25519-sha256")
            session.send(
                CLIENT_ID + b"\r\n"
                + packet(kexinit(("curve25519-sha256", "curve25519-sha256@libssh.org"), _OFFER_HOSTKEYS,
                                 _OFFER_CIPHERS, _OFFER_MACS))
                + packet(init)
            )
            self.s.ident = session.identification()
            if not self.s.ident.proto_version.startswith("2.") and self.s.ident.proto_version != "1.99":
                raise ProbeError(
                    ErrorReason.HANDSHAKE_FAILURE, f"server speaks SSH protocol {self.s.ident.proto_version} only"
                )
            try:
                payload = session.read_packet()
            except PeerClosed as exc:
                raise ProbeError(ErrorReason.HANDSHAKE_FAILURE, "the server closed the connection before its KEXINIT") from exc
            if payload[0] != MSG_KEXINIT:
                raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"expected KEXINIT, got message {payload[0]}")
            self.s.kexinit = k = parse_kexinit(payload)
            if not any(x in k.kex for x in _CURVE25519):
                return None
            chosen = next((h for h in _OFFER_HOSTKEYS if h in k.host_key), None)
            if chosen is None:
                return None
            try:
                blob, _ = _host_key_blob(session, "curve25519-sha256")
            except (PeerClosed, ProbeError) as exc:
                if isinstance(exc, ProbeError) and exc.reason is ErrorReason.TIMEOUT:
                    raise
                self.s.notes.append(f"pipelined key exchange did not complete ({exc.detail})")
                return None
            return chosen, blob
        finally:
            session.close()

    def _host_keys(self, first: tuple[str, bytes] | None) -> None:
        k = self.s.kexinit
        if k is None:
            return
        by_type: dict[str, list[str]] = {}
        for alg in k.host_key:
            by_type.setdefault(key_type_of(alg), []).append(alg)
        kex = next((x for x in FETCHABLE_KEX if x in k.kex), None)
        for key_type, algs in by_type.items():
            if first is not None and key_type_of(first[0]) == key_type:
                self.s.host_keys.append(self._host_key(first[0], tuple(algs), first[1]))
                continue
            if kex is None:
                self.s.host_keys.append(
                    HostKey(algs[0], tuple(algs), None, "not fetched: the server offers no key exchange this prober implements")
                )
                continue
            self.s.host_keys.append(self._fetch(kex, algs[0], tuple(algs)))

    def _fetch(self, kex: str, algorithm: str, offered_as: tuple[str, ...]) -> HostKey:
        k = self.s.kexinit
        assert k is not None
        session = _Session(self.address, self.limits, self.counters)
        try:
            first, _ = _kex_init_message(kex)
            session.send(
                CLIENT_ID + b"\r\n"
                + packet(kexinit((kex,), (algorithm,), k.ciphers_c2s, k.macs_c2s, k.compression_c2s or ("none",)))
                + packet(first)
            )
            session.identification()
            payload = session.read_packet()
            if payload[0] != MSG_KEXINIT:
                raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"expected KEXINIT, got message {payload[0]}")
            blob, bits = _host_key_blob(session, kex)
            if bits is not None:
                self.s.gex_bits = bits
            return self._host_key(algorithm, offered_as, blob)
        except PeerClosed:
            return HostKey(algorithm, offered_as, None, "not fetched: the server closed the connection during key exchange")
        except ProbeError as exc:
            if exc.reason in (ErrorReason.TIMEOUT, ErrorReason.REFUSED, ErrorReason.UNREACHABLE):
                raise
            return HostKey(algorithm, offered_as, None, f"not fetched: {exc.detail}")
        finally:
            session.close()

    @staticmethod
    def _host_key(algorithm: str, offered_as: tuple[str, ...], blob: bytes) -> HostKey:
        try:
            key = parse_public_blob(blob)
        except SshKeyError as exc:
            return HostKey(algorithm, offered_as, None, f"host key blob not readable: {exc}")
        note = ""
        expected = key_type_of(algorithm)
        if key.key_type != expected and key_type_of(key.key_type) != expected:
            note = f"server sent a {key.key_type} key for host-key algorithm {algorithm}"
        return HostKey(algorithm, offered_as, key, note)

    def _profile(self, error: ProbeError | None) -> SshProfile:
        s = self.s
        return SshProfile(
            identification=s.ident,
            kexinit=s.kexinit,
            host_keys=tuple(s.host_keys),
            gex_bits=s.gex_bits,
            notes=tuple(s.notes),
            connections=self.counters.connections,
            round_trips=self.counters.round_trips,
            error=error,
        )


def profile_ssh(address: Address, limits: Limits, counters: Counters | None = None) -> SshProfile:
    """Profile an SSH endpoint: identification, KEXINIT lists, one key exchange per host-key type.

    Round trips: 1 (identification + KEXINIT + pipelined curve25519 exchange) + 1 per further
    host-key type (2 with group exchange). Never raises: errors are in :attr:`SshProfile.error`.
    """
    return SshProber(address, limits, counters).run()
