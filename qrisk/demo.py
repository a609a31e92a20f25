"""The hybrid QKD + PQC key-exchange demo: two ETSI GS QKD 014 KMEs, two SAEs, one session key.

Alice's SAE (master) takes a QKD key and its key_ID from KME_A; Alice and Bob run ML-KEM-768
and X25519 over a loopback TCP connection; Bob's SAE fetches the same QKD key from KME_B by
key_ID; both derive the session key with the QKD+PQC combiner of :mod:`qrisk.pqc.hybrid`
(key_ID, SAE IDs and KEM transcript bound in), confirm it with MACs (NIST SP 800-56A Rev. 3
§5.9.1 bilateral key confirmation), then exchange AES-256-GCM messages.

Nothing here prints or returns key material: agreement is shown by verified confirmation tags
and an 8-byte key check value (an HMAC of a fixed label under the key).
"""

from __future__ import annotations

import base64
import contextlib
import enum
import hashlib
import hmac
import json
import math
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from qrisk.errors import InputError
from qrisk.model import to_dict

MASTER_SAE, SLAVE_SAE = "SAE_A", "SAE_B"
QKD_KEY_BITS = 256
PQC_ONLY_LABEL = b"qrisk PQC-only fallback key v1"
MAX_FRAME_BYTES = 1 << 20
SecretsSink = Callable[[str, bytes], None]
"""Test hook: receives every secret the demo handles, so a test can prove none is printed."""


class Tamper(enum.StrEnum):
    """One component an active attacker (or a faulty KME) changes; key confirmation must then fail."""

    QKD_KEY = "qkd-key"
    """Bob's SAE receives a QKD key with one bit flipped (a faulty or compromised key path)."""
    KEM_CIPHERTEXT = "kem-ciphertext"
    """One bit of the ML-KEM-768 ciphertext is flipped on the wire."""
    X25519_SHARE = "x25519-share"
    """One bit of Bob's X25519 share is flipped on the wire."""
    KEY_ID = "key-id"
    """The key_ID on the wire is replaced by another valid key_ID (from an earlier session)."""


class FallbackPolicy(enum.StrEnum):
    """What to do when no QKD key can be had (link aborted, pool empty)."""

    REFUSE = "refuse"
    """No session without QKD."""
    PQC_ONLY = "pqc-only"
    """Go on with ML-KEM-768 + X25519 only, and say so loudly."""


class Outcome(enum.StrEnum):
    HYBRID = "hybrid"
    """Session key from QKD + ML-KEM-768 + X25519, confirmed by both sides."""
    PQC_ONLY = "pqc-only"
    """QKD unavailable; session key from ML-KEM-768 + X25519 by policy, confirmed."""
    REFUSED = "refused"
    """QKD unavailable and the policy refuses a session without it."""
    CONFIRMATION_FAILED = "confirmation-failed"
    """The two sides derived different keys: the session was dropped before any message."""
    FAILED = "failed"
    """A KME or the peer refused a step (e.g. an unknown or replayed key_ID)."""

    @property
    def established(self) -> bool:
        return self in (Outcome.HYBRID, Outcome.PQC_ONLY)


@dataclass(frozen=True)
class DemoOptions:
    distance_km: float = 20.0
    protocol: str = "decoy-bb84"
    eve: str | None = None
    """``intercept-resend:FRACTION`` on the QKD link."""
    policy: FallbackPolicy = FallbackPolicy.REFUSE
    messages: int = 3
    """AES-256-GCM messages each way."""
    key_wait_s: float = 3.0
    """How long Alice's SAE waits for the pool to hold a key before giving up."""
    pki_dir: Path | None = None
    """Where to create (or reuse) the demo PKI; a temporary folder when None."""
    tamper: Tamper | None = None
    mc_pulses: int | None = None
    seed: int | None = None


@dataclass(frozen=True)
class DemoStep:
    """One printed line of the demo."""

    index: int
    actor: str
    title: str
    detail: str
    seconds: float | None = None
    sizes: dict[str, int] = field(default_factory=dict)
    """Bytes of each public component involved (keys are named, never shown)."""
    level: str = "info"
    """info | warning | error"""


@dataclass(frozen=True)
class DemoResult:
    outcome: Outcome
    reason: str
    distance_km: float
    eve: str | None
    policy: FallbackPolicy
    tamper: Tamper | None
    link: dict[str, Any]
    """The link assessment: analytic rate, Monte Carlo QBER, abort decision."""
    key_id: str | None
    """The QKD key_ID used (public: it travels in the clear)."""
    alice_key_check: str | None
    """Key check value of the session key Alice derived: HMAC-SHA-256(K, label)[:8], hex. Never the key.
    Set whenever a key was derived, also when confirmation then failed (the values then differ)."""
    bob_key_check: str | None
    confirmation_ok: bool
    messages_ok: int
    messages_sent: int
    steps: tuple[DemoStep, ...]
    seconds: float

    @property
    def keys_agree(self) -> bool:
        return bool(self.alice_key_check) and self.alice_key_check == self.bob_key_check

    def to_dict(self) -> dict[str, Any]:
        out = to_dict(self)
        out["keys_agree"] = self.keys_agree
        return out  # type: ignore[no-any-return]


class DemoAbort(Exception):
    """The session stops here (the reason is reported, not raised to the user)."""

    def __init__(self, outcome: Outcome, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


# =========================================================================== wire format


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except ValueError:
        raise DemoAbort(Outcome.FAILED, f"malformed {what} in peer message") from None


class Wire:
    """Length-prefixed JSON frames over a TCP socket (4-byte big-endian length)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.bytes_sent = 0

    def send(self, msg: dict[str, Any]) -> int:
        data = json.dumps(msg, separators=(",", ":")).encode("utf-8")
        self.sock.sendall(struct.pack(">I", len(data)) + data)
        self.bytes_sent += 4 + len(data)
        return 4 + len(data)

    def _exact(self, n: int) -> bytes:
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise DemoAbort(Outcome.FAILED, "the peer closed the connection")
            buf += chunk
        return bytes(buf)

    def recv(self) -> dict[str, Any]:
        (n,) = struct.unpack(">I", self._exact(4))
        if n > MAX_FRAME_BYTES:
            raise DemoAbort(Outcome.FAILED, f"peer frame of {n} bytes is too large")
        try:
            msg = json.loads(self._exact(n))
        except ValueError:
            raise DemoAbort(Outcome.FAILED, "malformed peer message") from None
        if not isinstance(msg, dict):
            raise DemoAbort(Outcome.FAILED, "malformed peer message")
        if msg.get("type") == "abort":
            raise DemoAbort(Outcome(msg.get("outcome", "failed")), f"peer aborted: {msg.get('reason', '')}")
        return msg


def _flip_bit(data: bytes, bit: int = 0) -> bytes:
    b = bytearray(data)
    b[bit // 8 % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


class Adversary:
    """An active attacker in the path between the SAEs: relays frames, changing one component."""

    def __init__(self, target: tuple[str, int], tamper: Tamper, substitute_key_id: str | None) -> None:
        self.tamper = tamper
        self.substitute_key_id = substitute_key_id
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.address = self._listener.getsockname()[:2]
        self._thread = threading.Thread(target=self._run, name="qrisk-demo-adversary", daemon=True)
        self._thread.start()
        self.changed: list[str] = []

    def _alter(self, direction: str, msg: dict[str, Any]) -> dict[str, Any]:
        kind = msg.get("type")
        if direction == "a2b" and kind == "hello" and self.tamper is Tamper.KEY_ID and self.substitute_key_id:
            msg = {**msg, "key_id": self.substitute_key_id}
            self.changed.append("key_ID in Alice's hello replaced by an earlier session's key_ID")
        elif direction == "b2a" and kind == "reply" and self.tamper is Tamper.KEM_CIPHERTEXT:
            msg = {**msg, "mlkem_ct": _b64(_flip_bit(_unb64(msg["mlkem_ct"], "ciphertext"), 77))}
            self.changed.append("one bit of the ML-KEM-768 ciphertext flipped")
        elif direction == "b2a" and kind == "reply" and self.tamper is Tamper.X25519_SHARE:
            msg = {**msg, "x25519_share": _b64(_flip_bit(_unb64(msg["x25519_share"], "share"), 9))}
            self.changed.append("one bit of Bob's X25519 share flipped")
        return msg

    def _pump(self, src: socket.socket, dst: socket.socket, direction: str) -> None:
        a, b = Wire(src), Wire(dst)
        with contextlib.suppress(OSError, DemoAbort, ValueError, struct.error):
            while True:
                (n,) = struct.unpack(">I", a._exact(4))
                msg = json.loads(a._exact(n))
                b.send(self._alter(direction, msg))
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)

    def _run(self) -> None:
        with contextlib.suppress(OSError):
            client, _ = self._listener.accept()
            server = socket.create_connection(self._target, timeout=30)
            client.settimeout(30)
            t = threading.Thread(target=self._pump, args=(client, server, "a2b"), daemon=True)
            t.start()
            self._pump(server, client, "b2a")
            t.join(5)
            client.close()
            server.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.close()
        self._thread.join(5)


# =========================================================================== key schedule


def _etsi_format(*fields: bytes) -> bytes:
    from qrisk.pqc.hybrid import etsi_format

    return etsi_format(*fields)


def transcript_hash(hello: dict[str, Any], reply: dict[str, Any]) -> bytes:
    """SHA-256 over every public field both SAEs saw (mode, key_ID, SAE IDs, shares, ciphertexts)."""
    fields = [
        str(hello.get("mode", "")).encode(),
        str(hello.get("key_id") or "").encode(),
        str(hello.get("master", "")).encode(),
        str(hello.get("slave", "")).encode(),
        _unb64(hello.get("mlkem_pk", ""), "public key"),
        _unb64(hello.get("x25519_pk", ""), "public key"),
        _unb64(reply.get("mlkem_ct", ""), "ciphertext"),
        _unb64(reply.get("x25519_share", ""), "share"),
    ]
    return hashlib.sha256(_etsi_format(*fields)).digest()


@dataclass(frozen=True, repr=False)
class SessionKeys:
    """Keys derived from the combined session key K (held in memory only)."""

    confirm: bytes
    a2b: bytes
    b2a: bytes
    check_value: str

    def __repr__(self) -> str:
        return f"SessionKeys(check_value={self.check_value})"


def session_keys(k: bytes, sink: SecretsSink | None = None) -> SessionKeys:
    """RFC 5869 §2.3 HKDF-Expand of K (already a uniform HKDF output) into separate keys per use."""

    def expand(label: bytes) -> bytes:
        return HKDFExpand(hashes.SHA256(), 32, label).derive(k)

    keys = SessionKeys(
        confirm=expand(b"qrisk demo key confirmation"),
        a2b=expand(b"qrisk demo AES-256-GCM SAE_A->SAE_B"),
        b2a=expand(b"qrisk demo AES-256-GCM SAE_B->SAE_A"),
        check_value=hmac.new(k, b"qrisk demo key check value", "sha256").hexdigest()[:16],
    )
    if sink:
        sink("k_confirm", keys.confirm)
        sink("k_a2b", keys.a2b)
        sink("k_b2a", keys.b2a)
    return keys


def confirmation_tag(keys: SessionKeys, role: bytes, own_id: str, peer_id: str, th: bytes) -> bytes:
    """NIST SP 800-56A Rev. 3 §5.9.1: MacTag = HMAC(MacKey, "KC_1_U"|"KC_1_V" ‖ IDs ‖ transcript)."""
    return hmac.new(keys.confirm, _etsi_format(role, own_id.encode(), peer_id.encode(), th), "sha256").digest()


def derive_session_key(
    *, qkd_key: bytes | None, key_id: str | None, ss_m: bytes, ss_x: bytes, hello: dict[str, Any],
    reply: dict[str, Any],
) -> bytes:
    """The hybrid combiner of qrisk.pqc.hybrid; PQC-only fallback uses its CatKDF without the QKD key."""
    from qrisk.pqc.hybrid import KemTranscript, cat_kdf, derive_qkd_pqc_key, etsi_format

    pk_m = _unb64(hello["mlkem_pk"], "public key")
    pk_x = _unb64(hello["x25519_pk"], "public key")
    ct_m = _unb64(reply["mlkem_ct"], "ciphertext")
    ct_x = _unb64(reply["x25519_share"], "share")
    master, slave = str(hello["master"]), str(hello["slave"])
    if qkd_key is not None:
        return derive_qkd_pqc_key(
            qkd_key=qkd_key, key_id=str(key_id), master_sae_id=master, slave_sae_id=slave,
            mlkem_shared_secret=ss_m, x25519_shared_secret=ss_x,
            transcript=KemTranscript(pk_m, pk_x, ct_m, ct_x),
        )
    # ETSI TS 103 744 §8.2 CatKDF over the two PQC/classical secrets only (no QKD input).
    return cat_kdf(
        [ss_m, ss_x],
        ma=etsi_format(master.encode(), pk_m, pk_x),
        mb=etsi_format(slave.encode(), ct_m, ct_x),
        info=etsi_format(PQC_ONLY_LABEL),
        label=PQC_ONLY_LABEL,
        length=32,
    )


def _nonce(direction: int, seq: int) -> bytes:
    """NIST SP 800-38D §8.2.1 deterministic IV: 4-byte fixed field (direction) ‖ 8-byte counter."""
    return struct.pack(">IQ", direction, seq)


# =========================================================================== the run


class _Recorder:
    def __init__(self, on_step: Callable[[DemoStep], None] | None) -> None:
        self.steps: list[DemoStep] = []
        self._on_step = on_step
        self._lock = threading.Lock()

    def add(self, actor: str, title: str, detail: str, *, seconds: float | None = None,
            sizes: dict[str, int] | None = None, level: str = "info") -> None:
        with self._lock:
            step = DemoStep(len(self.steps) + 1, actor, title, detail, seconds, dict(sizes or {}), level)
            self.steps.append(step)
            if self._on_step:
                self._on_step(step)


@contextlib.contextmanager
def _timer() -> Iterator[Callable[[], float]]:
    t0 = time.perf_counter()
    yield lambda: time.perf_counter() - t0


def _fmt_rate(bps: float) -> str:
    if bps <= 0:
        return "0 bit/s"
    for unit, scale in (("Gbit/s", 1e9), ("Mbit/s", 1e6), ("kbit/s", 1e3)):
        if bps >= scale:
            return f"{bps / scale:.3g} {unit}"
    return f"{bps:.3g} bit/s"


@dataclass
class _BobOutcome:
    key_check: str | None = None
    confirmed: bool = False
    messages_ok: int = 0
    error: DemoAbort | None = None
    key_id: str | None = None


def _bob(
    listener: socket.socket, kme_url: str, pki: Any, rec: _Recorder, options: DemoOptions,
    out: _BobOutcome, sink: SecretsSink | None,
) -> None:
    """Bob's SAE application: answers one session."""
    from qrisk.pqc.providers import find_kem
    from qrisk.qkd.kme_client import KmeClient, KmeHttpError

    wire: Wire | None = None
    try:
        conn, _ = listener.accept()
        conn.settimeout(30)
        wire = Wire(conn)
        hello = wire.recv()
        if hello.get("type") != "hello":
            raise DemoAbort(Outcome.FAILED, "expected a hello message")
        mode = hello.get("mode")
        qkd_key: bytes | None = None
        key_id = hello.get("key_id")
        out.key_id = key_id
        if mode == "hybrid":
            with _timer() as el, KmeClient(kme_url, cert=pki.saes[SLAVE_SAE].cert,
                                           key=pki.saes[SLAVE_SAE].key, ca=pki.ca.cert) as kme:
                try:
                    [(got_id, qkd_key)] = kme.dec_keys(str(hello.get("master")), [str(key_id)])
                except KmeHttpError as exc:
                    raise DemoAbort(Outcome.FAILED, f"KME_B refused key_ID {key_id}: {exc.message}") from None
            if got_id != key_id:
                raise DemoAbort(Outcome.FAILED, "KME_B returned another key_ID")
            rec.add("Bob", "SAE_B → KME_B", f"POST dec_keys (master SAE_A, key_ID {key_id}): "
                    f"{8 * len(qkd_key)}-bit QKD key; KME_B deletes it", seconds=el(),
                    sizes={"qkd_key": len(qkd_key)})
            if options.tamper is Tamper.QKD_KEY:
                qkd_key = _flip_bit(qkd_key, 5)
                rec.add("Bob", "fault injected", "one bit of the QKD key Bob's SAE received is flipped",
                        level="warning")
            if sink:
                sink("qkd_key_bob", qkd_key)
        elif mode != "pqc-only":
            raise DemoAbort(Outcome.FAILED, f"unknown mode {mode!r}")
        mlkem, x25519 = find_kem("ML-KEM-768"), find_kem("X25519")
        with _timer() as el:
            enc_m = mlkem.encapsulate(_unb64(hello.get("mlkem_pk"), "public key"))
            enc_x = x25519.encapsulate(_unb64(hello.get("x25519_pk"), "public key"))
        if sink:
            sink("ss_mlkem_bob", enc_m.shared_secret)
            sink("ss_x25519_bob", enc_x.shared_secret)
        reply = {"type": "reply", "mlkem_ct": _b64(enc_m.ciphertext), "x25519_share": _b64(enc_x.ciphertext)}
        k = derive_session_key(qkd_key=qkd_key, key_id=key_id, ss_m=enc_m.shared_secret,
                               ss_x=enc_x.shared_secret, hello=hello, reply=reply)
        if sink:
            sink("k_bob", k)
        keys = session_keys(k, sink)
        out.key_check = keys.check_value
        th = transcript_hash(hello, reply)
        tag_b = confirmation_tag(keys, b"KC_1_V", SLAVE_SAE, MASTER_SAE, th)
        rec.add("Bob", "encapsulate + derive",
                f"ML-KEM-768 ciphertext {len(enc_m.ciphertext)} B, X25519 share {len(enc_x.ciphertext)} B; "
                f"derived K; key-confirmation MAC tag {tag_b.hex()[:16]}…", seconds=el(),
                sizes={"mlkem_ciphertext": len(enc_m.ciphertext), "x25519_share": len(enc_x.ciphertext),
                       "mac_tag": len(tag_b)})
        wire.send({**reply, "tag": _b64(tag_b)})
        confirm = wire.recv()
        tag_a = _unb64(confirm.get("tag", ""), "tag")
        if not hmac.compare_digest(tag_a, confirmation_tag(keys, b"KC_1_U", MASTER_SAE, SLAVE_SAE, th)):
            wire.send({"type": "abort", "outcome": Outcome.CONFIRMATION_FAILED.value,
                       "reason": "Alice's key-confirmation tag does not verify"})
            raise DemoAbort(Outcome.CONFIRMATION_FAILED, "Bob: Alice's key-confirmation tag does not verify")
        out.confirmed = True
        wire.send({"type": "ok"})
        gcm_in, gcm_out = AESGCM(keys.a2b), AESGCM(keys.b2a)
        aad_id = str(key_id or "pqc-only").encode()
        for seq in range(options.messages):
            msg = wire.recv()
            ct = _unb64(msg.get("ct", ""), "ciphertext")
            plain = gcm_in.decrypt(_nonce(1, seq), ct, aad_id)
            reply_text = f"Bob got {len(plain)} bytes, message {seq + 1}".encode()
            wire.send({"type": "data", "ct": _b64(gcm_out.encrypt(_nonce(2, seq), reply_text, aad_id))})
            out.messages_ok += 1
    except DemoAbort as exc:
        out.error = exc
    except Exception as exc:  # report, never hang the demo
        out.error = DemoAbort(Outcome.FAILED, f"Bob: {type(exc).__name__}: {exc}")
        if wire is not None:
            with contextlib.suppress(OSError):
                wire.send({"type": "abort", "outcome": "failed", "reason": "Bob's SAE failed"})
    finally:
        if wire is not None:
            with contextlib.suppress(OSError):
                wire.sock.close()


def _get_qkd_key(
    kme: Any, rec: _Recorder, options: DemoOptions, link: Any, number: int = 1,
) -> list[tuple[str, bytes]]:
    """Alice's enc_keys, waiting up to ``key_wait_s`` for the pool to fill. Raises DemoAbort."""
    from qrisk.qkd.kme_client import KmeHttpError

    if link.aborted:
        try:
            kme.enc_keys(SLAVE_SAE, number, QKD_KEY_BITS)
        except KmeHttpError as exc:
            raise DemoAbort(Outcome.REFUSED, f"KME_A: HTTP {exc.status}: {exc.message}") from None
    # A link that makes no key will not fill the pool: one try, no waiting.
    deadline = time.monotonic() + (options.key_wait_s if link.secret_key_rate_bps > 0 else 0.0)
    t0 = time.perf_counter()
    while True:
        try:
            keys = kme.enc_keys(SLAVE_SAE, number, QKD_KEY_BITS)
            return keys
        except KmeHttpError as exc:
            if exc.status != 503 or time.monotonic() >= deadline:
                waited = time.perf_counter() - t0
                rate = link.secret_key_rate_bps
                need = number * QKD_KEY_BITS
                if rate <= 0:
                    why = f"the link makes no secret key at {options.distance_km:g} km"
                else:
                    why = (f"the link makes {_fmt_rate(rate)}: {need} bits take {need / rate:.3g} s, "
                           f"waited {waited:.2f} s")
                raise DemoAbort(
                    Outcome.REFUSED, f"KME_A key pool ran dry (HTTP {exc.status}: {exc.message}); {why}"
                ) from None
            time.sleep(min(0.25, max(0.01, deadline - time.monotonic())))


def run_hybrid_demo(
    options: DemoOptions,
    *,
    on_step: Callable[[DemoStep], None] | None = None,
    secrets_sink: SecretsSink | None = None,
) -> DemoResult:
    """Run the whole demo on loopback and return what happened (never any key material)."""
    if options.messages < 0 or options.messages > 1000:
        raise InputError("--messages must be from 0 to 1000")
    if not 0 <= options.key_wait_s <= 600:
        raise InputError("--key-wait must be from 0 to 600 seconds")
    if not 0 <= options.distance_km <= 1000:
        raise InputError("--distance-km must be from 0 to 1000")
    with contextlib.ExitStack() as stack:
        folder = options.pki_dir
        if folder is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qrisk-demo-pki-")))
        return _run(options, folder, stack, on_step, secrets_sink)
    raise AssertionError("unreachable")  # pragma: no cover


def _run(
    options: DemoOptions, folder: Path, stack: contextlib.ExitStack,
    on_step: Callable[[DemoStep], None] | None, sink: SecretsSink | None,
) -> DemoResult:
    from qrisk.pqc.providers import find_kem
    from qrisk.qkd.kme import build_network, demo_network_config
    from qrisk.qkd.kme_client import KmeClient
    from qrisk.qkd.kme_pki import ensure_demo_pki
    from qrisk.qkd.kme_server import KmeCluster

    t_start = time.perf_counter()
    rec = _Recorder(on_step)
    with _timer() as el:
        pki = ensure_demo_pki(folder)
    rec.add("setup", "PKI", f"{'created' if pki.created else 'reused'} CA, KME_A/KME_B server and "
            "SAE_A/SAE_B client certificates (EC P-256)", seconds=el())

    cfg = demo_network_config(pki, port=0, distance_km=options.distance_km, protocol=options.protocol,
                              eve=options.eve, mc_pulses=options.mc_pulses, seed=options.seed)
    with _timer() as el:
        network = build_network(cfg)
    link = network.links[0]
    rec.add("link", "QKD link",
            f"{link.distance_km:g} km {link.protocol}, {link.channel_loss_db:.1f} dB: analytic secret-key rate "
            f"{_fmt_rate(link.analytic_rate_bps)}" + (f", with Eve {_fmt_rate(link.secret_key_rate_bps)}"
                                                      if link.eve and not link.aborted else ""))
    verdict = (f"ABORT ({link.abort_reason})" if link.aborted
               else "key flows" if link.secret_key_rate_bps > 0 else "no secret key at this distance")
    rec.add("link", "Monte Carlo",
            f"{link.mc_pulses:,} pulses{' with Eve ' + link.eve if link.eve else ''}: "
            f"{link.mc_detections:,} detections, "
            + (f"QBER {link.mc_qber:.2%}" if link.qber_measured else f"QBER not measurable ({link.mc_sifted_x_bits} test bits)")
            + f" (abort above {link.abort_qber:.0%}) "
            f"→ {verdict}", seconds=link.mc_seconds, level="warning" if link.aborted else "info")
    if link.secret_key_rate_bps <= 0 and not link.aborted:
        from qrisk.qkd.channel import Channel
        from qrisk.qkd.rates import max_distance_km

        dmax = max_distance_km(link.protocol, Channel.for_protocol(link.protocol))
        rec.add("link", "key-rate limit", f"{link.protocol} on this hardware makes key up to about {dmax:.0f} km",
                level="warning")

    with _timer() as el:
        cluster = stack.enter_context(KmeCluster(network))
    rec.add("setup", "KMEs", f"KME_A {cluster.urls['KME_A']}  KME_B {cluster.urls['KME_B']} "
            "(ETSI GS QKD 014 over mutual TLS, strict)", seconds=el())

    bob_listener = stack.enter_context(socket.create_server(("127.0.0.1", 0)))
    bob_listener.settimeout(60)
    bob_out = _BobOutcome()
    bob_thread = threading.Thread(
        target=_bob, args=(bob_listener, cluster.urls["KME_B"], pki, rec, options, bob_out, sink),
        name="qrisk-demo-bob", daemon=True,
    )
    bob_thread.start()

    kme_a = stack.enter_context(KmeClient(cluster.urls["KME_A"], cert=pki.saes[MASTER_SAE].cert,
                                          key=pki.saes[MASTER_SAE].key, ca=pki.ca.cert))
    outcome, reason = Outcome.HYBRID, ""
    key_id: str | None = None
    qkd_key: bytes | None = None
    alice_check: str | None = None
    confirmed = False
    messages_ok = 0
    adversary: Adversary | None = None
    wire: Wire | None = None
    try:
        with _timer() as el:
            status = kme_a.status(SLAVE_SAE)
        rec.add("Alice", "SAE_A → KME_A", f"GET status: {status['stored_key_count']} keys of "
                f"{status['key_size']} bits stored (max {status['max_key_count']})", seconds=el())
        substitute: str | None = None
        mode = "hybrid"
        try:
            if options.tamper is Tamper.KEY_ID:
                [(substitute, _)] = _get_qkd_key(kme_a, rec, options, link)
                rec.add("Eve", "observes", f"key_ID {substitute} of an earlier session", level="warning")
            with _timer() as el:
                [(key_id, qkd_key)] = _get_qkd_key(kme_a, rec, options, link)
            if sink:
                sink("qkd_key_alice", qkd_key)
            rec.add("Alice", "SAE_A → KME_A", f"POST enc_keys (slave SAE_B, number 1, size {QKD_KEY_BITS}): "
                    f"key_ID {key_id}, {8 * len(qkd_key)}-bit QKD key", seconds=el(),
                    sizes={"qkd_key": len(qkd_key), "key_id": len(key_id)})
        except DemoAbort as exc:
            rec.add("Alice", "no QKD key", exc.reason, level="warning")
            if options.policy is FallbackPolicy.REFUSE:
                raise DemoAbort(Outcome.REFUSED, f"policy 'refuse': no session without QKD ({exc.reason})") from None
            mode, outcome = "pqc-only", Outcome.PQC_ONLY
            rec.add("Alice", "policy", "WARNING: falling back to ML-KEM-768 + X25519 only — this session key "
                    "has no QKD contribution", level="warning")

        target = bob_listener.getsockname()[:2]
        if options.tamper in (Tamper.KEY_ID, Tamper.KEM_CIPHERTEXT, Tamper.X25519_SHARE):
            adversary = Adversary(target, options.tamper, substitute)
            target = adversary.address
        wire = Wire(socket.create_connection(target, timeout=30))
        mlkem, x25519 = find_kem("ML-KEM-768"), find_kem("X25519")
        with _timer() as el:
            kp_m, kp_x = mlkem.keygen(), x25519.keygen()
        hello = {"type": "hello", "mode": mode, "key_id": key_id, "master": MASTER_SAE, "slave": SLAVE_SAE,
                 "mlkem_pk": _b64(kp_m.public_key), "x25519_pk": _b64(kp_x.public_key)}
        n = wire.send(hello)
        rec.add("Alice", "Alice → Bob", f"hello: {mode}{', key_ID' if key_id else ''}, ML-KEM-768 public key {len(kp_m.public_key)} B, "
                f"X25519 public key {len(kp_x.public_key)} B ({n} B on the wire)", seconds=el(),
                sizes={"mlkem_public_key": len(kp_m.public_key), "x25519_public_key": len(kp_x.public_key),
                       "frame": n})

        reply = wire.recv()
        if reply.get("type") != "reply":
            raise DemoAbort(Outcome.FAILED, "expected Bob's reply")
        with _timer() as el:
            try:
                ss_m = mlkem.decapsulate(kp_m, _unb64(reply.get("mlkem_ct"), "ciphertext"))
                ss_x = x25519.decapsulate(kp_x, _unb64(reply.get("x25519_share"), "share"))
            except Exception as exc:  # an invalid share fails closed, like a wrong key
                raise DemoAbort(Outcome.CONFIRMATION_FAILED, f"Alice: decapsulation failed ({exc})") from None
            if sink:
                sink("ss_mlkem_alice", ss_m)
                sink("ss_x25519_alice", ss_x)
            k = derive_session_key(qkd_key=qkd_key, key_id=key_id, ss_m=ss_m, ss_x=ss_x, hello=hello,
                                   reply=reply)
            if sink:
                sink("k_alice", k)
            keys = session_keys(k, sink)
            alice_check = keys.check_value
            th = transcript_hash(hello, reply)
            ok = hmac.compare_digest(_unb64(reply.get("tag", ""), "tag"),
                                     confirmation_tag(keys, b"KC_1_V", SLAVE_SAE, MASTER_SAE, th))
        combiner = ("CatKDF(K_QKD ‖ ss_ML-KEM ‖ ss_X25519; key_ID, SAE IDs, KEM transcript)" if mode == "hybrid"
                    else "CatKDF(ss_ML-KEM ‖ ss_X25519; SAE IDs, KEM transcript)")
        rec.add("Alice", "decapsulate + derive", f"K = {combiner} (ETSI TS 103 744 §8.2)", seconds=el())
        if not ok:
            wire.send({"type": "abort", "outcome": Outcome.CONFIRMATION_FAILED.value,
                       "reason": "Bob's key-confirmation tag does not verify"})
            raise DemoAbort(Outcome.CONFIRMATION_FAILED,
                            "Alice: Bob's key-confirmation tag does not verify — the two sides hold different keys")
        tag_a = confirmation_tag(keys, b"KC_1_U", MASTER_SAE, SLAVE_SAE, th)
        wire.send({"type": "confirm", "tag": _b64(tag_a)})
        ack = wire.recv()
        if ack.get("type") != "ok":
            raise DemoAbort(Outcome.FAILED, "expected Bob's ok")
        confirmed = True
        rec.add("both", "key confirmation",
                f"Alice verified Bob's MAC tag, Bob verified Alice's ({tag_a.hex()[:16]}…): same 256-bit key; "
                f"key check value {alice_check} (HMAC of a fixed label, not the key)",
                sizes={"mac_tag": len(tag_a)})

        gcm_out, gcm_in = AESGCM(keys.a2b), AESGCM(keys.b2a)
        aad_id = str(key_id or "pqc-only").encode()
        with _timer() as el:
            sent_bytes = 0
            for seq in range(options.messages):
                text = f"Hello Bob, message {seq + 1} from Alice over a hybrid-keyed channel".encode()
                sent_bytes += wire.send({"type": "data", "ct": _b64(gcm_out.encrypt(_nonce(1, seq), text, aad_id))})
                back = wire.recv()
                gcm_in.decrypt(_nonce(2, seq), _unb64(back.get("ct", ""), "ciphertext"), aad_id)
                messages_ok += 1
        if options.messages:
            rec.add("both", "AES-256-GCM",
                    f"{messages_ok} message(s) each way, 12-byte nonces, 16-byte tags, key_ID as AAD: "
                    "all authenticated", seconds=el(), sizes={"gcm_tag": 16, "nonce": 12})
    except DemoAbort as exc:
        outcome, reason = exc.outcome, exc.reason
        if wire is not None:
            with contextlib.suppress(OSError):
                wire.send({"type": "abort", "outcome": exc.outcome.value, "reason": exc.reason})
        else:
            # Bob is waiting for a connection: let him go.
            with contextlib.suppress(OSError):
                socket.create_connection(bob_listener.getsockname()[:2], timeout=5).close()
    finally:
        if wire is not None:
            with contextlib.suppress(OSError):
                wire.sock.close()
        bob_thread.join(30)
        if adversary is not None:
            adversary.close()
            for change in adversary.changed:
                rec.add("Eve", "tampered", change, level="warning")
    if bob_out.error is not None and outcome.established:
        outcome, reason = bob_out.error.outcome, bob_out.error.reason
    if not reason and bob_out.error is not None and not outcome.established:
        reason = bob_out.error.reason
    if not outcome.established:
        rec.add("result", outcome.value, reason, level="error" if outcome is not Outcome.REFUSED else "warning")
    else:
        rec.add("result", outcome.value, "session established" + (" (PQC only, by policy)"
                                                                   if outcome is Outcome.PQC_ONLY else ""))
    return DemoResult(
        outcome=outcome,
        reason=reason,
        distance_km=options.distance_km,
        eve=options.eve,
        policy=options.policy,
        tamper=options.tamper,
        link={**to_dict(link), "state": link.state},
        key_id=key_id,
        alice_key_check=alice_check,
        bob_key_check=bob_out.key_check,
        confirmation_ok=confirmed and bob_out.confirmed,
        messages_ok=min(messages_ok, bob_out.messages_ok),
        messages_sent=options.messages if outcome.established else 0,
        steps=tuple(rec.steps),
        seconds=time.perf_counter() - t_start,
    )


# =========================================================================== formatting


def format_step(step: DemoStep) -> str:
    mark = {"warning": "!", "error": "✗"}.get(step.level, " ")
    timing = "" if step.seconds is None else f"  [{_fmt_seconds(step.seconds)}]"
    return f"{mark}[{step.index:2d}] {step.actor:<6} {step.title:<22} {step.detail}{timing}"


def _fmt_seconds(s: float) -> str:
    if not math.isfinite(s):
        return "—"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.2f} s"


def format_header(options: DemoOptions) -> str:
    eve = f", Eve {options.eve}" if options.eve else ""
    tamper = f", tamper {options.tamper.value}" if options.tamper else ""
    return (f"qrisk demo hybrid — QKD (ETSI GS QKD 014) + ML-KEM-768 + X25519 → AES-256-GCM\n"
            f"  {options.distance_km:g} km {options.protocol}{eve}, policy {options.policy.value}{tamper}")


def format_summary(result: DemoResult) -> str:
    if result.outcome is Outcome.HYBRID:
        head = "OK: hybrid QKD+PQC session key agreed and confirmed"
    elif result.outcome is Outcome.PQC_ONLY:
        head = "OK (degraded): PQC-only session key agreed and confirmed — no QKD contribution"
    elif result.outcome is Outcome.REFUSED:
        head = "REFUSED: no QKD key, and the policy refuses a session without it"
    elif result.outcome is Outcome.CONFIRMATION_FAILED:
        head = "FAILED: key confirmation failed — the two sides derived different keys; session dropped"
    else:
        head = f"FAILED: {result.reason}"
    return f"{head} ({result.seconds:.2f} s)"


def format_text(result: DemoResult, options: DemoOptions) -> str:
    lines = [format_header(options), *(format_step(s) for s in result.steps), format_summary(result)]
    return "\n".join(lines) + "\n"


def format_json(result: DemoResult) -> str:
    return json.dumps(result.to_dict(), indent=2) + "\n"
