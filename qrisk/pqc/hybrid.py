"""Hybrid combiners: TLS hybrid groups, X-Wing, ETSI TS 103 744 CatKDF/CasKDF, and QKD + PQC.

* :class:`TlsHybridGroup` — the TLS 1.3 hybrid key shares of draft-ietf-tls-ecdhe-mlkem
  (X25519MLKEM768 = 0x11EC puts ML-KEM first; the NIST-curve groups put ECDH first). The
  concatenated secret is the (EC)DHE input to the TLS 1.3 key schedule (RFC 8446 §7.1).
* :class:`XWing` — draft-connolly-cfrg-xwing-kem-10 (X25519 + ML-KEM-768 under SHA3-256).
* :func:`cat_kdf` / :func:`cas_kdf` — ETSI TS 103 744 (v1.2.1) §8.2 concatenate KDF and §8.3
  cascade KDF, with HKDF (RFC 5869) or the SP 800-56C one-step KDF over HMAC.
* :func:`derive_qkd_pqc_key` — the demo's QKD + PQC key: CatKDF over
  K_QKD ‖ ss_ML-KEM ‖ ss_X25519 with the QKD key_ID, the SAE IDs and the KEM transcript bound in.

Every combiner fails closed: a missing, empty or wrong-length component raises
:class:`CombinerError` instead of producing a key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.kdf.concatkdf import ConcatKDFHMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from qrisk.pqc.facts import Kind, Sizes, facts
from qrisk.pqc.providers import AlgorithmInfo, Encapsulation, Kem, KeyPair, PqcError, find_kem


class CombinerError(PqcError):
    """A combiner input is missing, empty or has the wrong length: no key is derived."""


def _require_bytes(name: str, value: Any, length: int | None = None, *, min_length: int = 1) -> bytes:
    if value is None:
        raise CombinerError(f"{name} is missing")
    if not isinstance(value, bytes | bytearray | memoryview):
        raise CombinerError(f"{name} must be bytes, not {type(value).__name__}")
    data = bytes(value)
    if length is not None and len(data) != length:
        raise CombinerError(f"{name} must be {length} bytes, got {len(data)}")
    if len(data) < min_length:
        raise CombinerError(f"{name} is empty" if not data else f"{name} is shorter than {min_length} bytes")
    return data


# =========================================================================== TLS hybrid groups


class TlsHybridGroup(Kem):
    """A TLS 1.3 hybrid key-exchange group (draft-ietf-tls-ecdhe-mlkem §3-4).

    Client share = the two public keys concatenated, server share = the two ciphertexts,
    shared secret = the two secrets, each in the group's order. For X25519MLKEM768 the order is
    ML-KEM first, then X25519 (the draft keeps the order of the earlier X25519Kyber768Draft00
    swapped so that the FIPS-approved part comes first).
    """

    def __init__(self, group_name: str, codepoint: int, pq: Kem, classical: Kem, pq_first: bool) -> None:
        self.codepoint = codepoint
        self._pq, self._cl = pq, classical
        self._pq_first = pq_first
        first, second = (pq, classical) if pq_first else (classical, pq)
        self._parts = (first, second)
        self._pk_split = first.info.sizes.public_key_bytes
        self._ct_split = first.info.sizes.ciphertext_bytes or 0
        s1, s2 = first.info.sizes, second.info.sizes
        self.info = AlgorithmInfo(
            name=group_name,
            kind=Kind.KEM,
            provider=pq.info.provider
            if pq.info.provider == classical.info.provider
            else f"{pq.info.provider}+{classical.info.provider}",
            canonical=group_name,
            nist_level=pq.info.nist_level,
            sizes=Sizes(
                public_key_bytes=s1.public_key_bytes + s2.public_key_bytes,
                ciphertext_bytes=(s1.ciphertext_bytes or 0) + (s2.ciphertext_bytes or 0),
                shared_secret_bytes=(s1.shared_secret_bytes or 0) + (s2.shared_secret_bytes or 0),
            ),
            native_name=f"0x{codepoint:04X}",
        )

    def keygen(self) -> KeyPair:
        a, b = (part.keygen() for part in self._parts)
        return KeyPair(self.info.name, a.public_key + b.public_key, (a, b))

    def encapsulate(self, public_key: bytes) -> Encapsulation:
        pk = _require_bytes("key share", public_key, self.info.sizes.public_key_bytes)
        first, second = self._parts
        e1 = first.encapsulate(pk[: self._pk_split])
        e2 = second.encapsulate(pk[self._pk_split :])
        return Encapsulation(e1.ciphertext + e2.ciphertext, e1.shared_secret + e2.shared_secret)

    def decapsulate(self, keypair: KeyPair, ciphertext: bytes) -> bytes:
        ct = _require_bytes("key share", ciphertext, self.info.sizes.ciphertext_bytes)
        (k1, k2), (first, second) = keypair.secret, self._parts
        return first.decapsulate(k1, ct[: self._ct_split]) + second.decapsulate(k2, ct[self._ct_split :])

    def export_secret_key(self, keypair: KeyPair) -> bytes:
        (k1, k2), (first, second) = keypair.secret, self._parts
        return first.export_secret_key(k1) + second.export_secret_key(k2)

    def import_secret_key(self, secret_key: bytes, public_key: bytes) -> KeyPair:
        first, second = self._parts
        n1 = first.info.sizes.secret_key_bytes
        if n1 is None:
            raise CombinerError(f"{self.info.name}: secret keys of {first.info.name} have no fixed size")
        k1 = first.import_secret_key(secret_key[:n1], public_key[: self._pk_split])
        k2 = second.import_secret_key(secret_key[n1:], public_key[self._pk_split :])
        return KeyPair(self.info.name, k1.public_key + k2.public_key, (k1, k2))


#: TLS Supported Groups codepoints (IANA; draft-ietf-tls-ecdhe-mlkem §5).
TLS_GROUPS: dict[str, tuple[int, str, str, bool]] = {
    "X25519MLKEM768": (0x11EC, "ML-KEM-768", "X25519", True),
    "SecP256r1MLKEM768": (0x11EB, "ML-KEM-768", "ECDH-P256", False),
    "SecP384r1MLKEM1024": (0x11ED, "ML-KEM-1024", "ECDH-P384", False),
}


def tls_hybrid_group(name: str = "X25519MLKEM768", provider: str | None = None) -> TlsHybridGroup:
    """A TLS hybrid group built from the preferred (or named) provider's components."""
    try:
        codepoint, pq_name, cl_name, pq_first = TLS_GROUPS[name]
    except KeyError:
        raise PqcError(f"unknown TLS hybrid group {name!r} (known: {', '.join(TLS_GROUPS)})") from None
    return TlsHybridGroup(name, codepoint, find_kem(pq_name, provider), find_kem(cl_name, provider), pq_first)


# =========================================================================== X-Wing

#: XWingLabel = "\./" ‖ "/^\" = 5c2e2f2f5e5c (draft-connolly-cfrg-xwing-kem-10 §5.3).
XWING_LABEL = b"\\./" + b"/^\\"
_X25519_BASE = b"\x09" + b"\x00" * 31


@dataclass(frozen=True, repr=False)
class _XWingSecret:
    seed: bytes
    mlkem: Any
    x25519: Any
    pk_x: bytes


class XWing(Kem):
    """X-Wing (draft-connolly-cfrg-xwing-kem-10): ML-KEM-768 + X25519 under SHA3-256.

    The decapsulation key is a 32-byte seed expanded with SHAKE256 to 96 bytes: ML-KEM-768
    KeyGen_internal(d = [0:32], z = [32:64]) and the X25519 scalar [64:96] (§5.2). The expanded
    key is cached in the :class:`KeyPair` (§5.5.1) and never leaves it.
    """

    def __init__(self) -> None:
        f = facts("X-Wing")
        self.info = AlgorithmInfo(
            name="X-Wing",
            kind=Kind.KEM,
            provider="cryptography",
            canonical=f.name,
            nist_level=f.nist_level,
            sizes=f.sizes,
            native_name="draft-connolly-cfrg-xwing-kem-10",
        )

    @staticmethod
    def combiner(ss_m: bytes, ss_x: bytes, ct_x: bytes, pk_x: bytes) -> bytes:
        """§5.3: SHA3-256(ss_M ‖ ss_X ‖ ct_X ‖ pk_X ‖ XWingLabel)."""
        for name, v in (("ss_M", ss_m), ("ss_X", ss_x), ("ct_X", ct_x), ("pk_X", pk_x)):
            _require_bytes(name, v, 32)
        return hashlib.sha3_256(ss_m + ss_x + ct_x + pk_x + XWING_LABEL).digest()

    def _expand(self, seed: bytes) -> KeyPair:
        seed = _require_bytes("X-Wing decapsulation key", seed, 32)
        expanded = hashlib.shake_256(seed).digest(96)
        # FIPS 203 seed format d ‖ z is exactly what KeyGen_internal(d, z) takes (§4 of the draft).
        sk_m = mlkem.MLKEM768PrivateKey.from_seed_bytes(expanded[:64])
        sk_x = x25519.X25519PrivateKey.from_private_bytes(expanded[64:96])
        pk_x = sk_x.public_key().public_bytes_raw()
        pk = sk_m.public_key().public_bytes_raw() + pk_x
        return KeyPair("X-Wing", pk, _XWingSecret(seed, sk_m, sk_x, pk_x))

    def keygen(self) -> KeyPair:
        """§5.2 GenerateKeyPair(): sk = random(32)."""
        return self._expand(os.urandom(32))

    def keygen_derand(self, seed: bytes) -> KeyPair:
        """§5.2.1 GenerateKeyPairDerand(sk)."""
        return self._expand(seed)

    def encapsulate(self, public_key: bytes) -> Encapsulation:
        """§5.4 Encapsulate(pk); the ML-KEM encapsulation-key check of FIPS 203 §7.2 applies."""
        pk = _require_bytes("X-Wing encapsulation key", public_key, 1216)
        pk_m, pk_x = pk[:1184], pk[1184:]
        eph = x25519.X25519PrivateKey.generate()
        ct_x = eph.public_key().public_bytes_raw()
        try:
            ss_x = eph.exchange(x25519.X25519PublicKey.from_public_bytes(pk_x))
            ss_m, ct_m = mlkem.MLKEM768PublicKey.from_public_bytes(pk_m).encapsulate()
        except ValueError as exc:
            raise PqcError(f"X-Wing: invalid encapsulation key ({exc})") from None
        return Encapsulation(ct_m + ct_x, self.combiner(ss_m, ss_x, ct_x, pk_x))

    def decapsulate(self, keypair: KeyPair, ciphertext: bytes) -> bytes:
        """§5.5 Decapsulate(ct, sk)."""
        ct = _require_bytes("X-Wing ciphertext", ciphertext, 1120)
        sec: _XWingSecret = keypair.secret
        ct_m, ct_x = ct[:1088], ct[1088:]
        ss_m = sec.mlkem.decapsulate(ct_m)
        try:
            ss_x = sec.x25519.exchange(x25519.X25519PublicKey.from_public_bytes(ct_x))
        except ValueError as exc:
            raise PqcError(f"X-Wing: invalid ciphertext ({exc})") from None
        return self.combiner(ss_m, ss_x, ct_x, sec.pk_x)

    def export_secret_key(self, keypair: KeyPair) -> bytes:
        return keypair.secret.seed

    def import_secret_key(self, secret_key: bytes, public_key: bytes = b"") -> KeyPair:
        return self._expand(secret_key)


# =========================================================================== ETSI TS 103 744

HashName = Literal["sha256", "sha384", "sha512"]
KdfName = Literal["hkdf", "hmac"]
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def etsi_format(*fields: bytes) -> bytes:
    """TS 103 744 §7.2.2 concatenate formatting f(x1, …, xn) = u32be(|x1|) ‖ x1 ‖ … ‖ u32be(|xn|) ‖ xn.

    Lengths make the encoding injective, so distinct inputs cannot collide by shifting bytes
    between fields.
    """
    out = bytearray()
    for field in fields:
        data = bytes(field)
        if len(data) >= 1 << 32:
            raise CombinerError("a formatted field must be shorter than 2^32 bytes")
        out += len(data).to_bytes(4, "big") + data
    return bytes(out)


def _hash_of(name: str) -> hashes.HashAlgorithm:
    try:
        return _HASHES[name]()
    except KeyError:
        raise CombinerError(f"unsupported hash {name!r} (use sha256, sha384 or sha512)") from None


def _kdf(kdf: str, hash_name: str, secret: bytes, salt: bytes, info: bytes, length: int) -> bytes:
    """TS 103 744 §7.4: KDF(secret, label, context, L) as HKDF or SP 800-56C one-step HMAC."""
    algorithm = _hash_of(hash_name)
    if not 1 <= length <= 255 * algorithm.digest_size:
        raise CombinerError(f"output length must be 1..{255 * algorithm.digest_size} bytes, got {length}")
    if kdf == "hkdf":  # RFC 5869, salt = label, info = context
        return HKDF(algorithm=algorithm, length=length, salt=salt or None, info=info).derive(secret)
    if kdf == "hmac":  # SP 800-56C Rev. 2 §4.1 option 2: H = HMAC(salt, counter ‖ Z ‖ FixedInfo)
        return ConcatKDFHMAC(algorithm=algorithm, length=length, salt=salt or None, otherinfo=info).derive(secret)
    raise CombinerError(f"unsupported KDF {kdf!r} (use hkdf or hmac)")


def _digest(hash_name: str, data: bytes) -> bytes:
    return hashlib.new(hash_name, data).digest()


def cat_kdf(
    secrets: Sequence[bytes],
    *,
    ma: bytes,
    mb: bytes,
    info: bytes,
    label: bytes,
    length: int,
    psk: bytes = b"",
    hash_name: HashName = "sha256",
    kdf: KdfName = "hkdf",
) -> bytes:
    """TS 103 744 §8.2 concatenate hybrid KDF.

    context = H(f(info, MA, MB)); K = KDF(psk ‖ k1 ‖ … ‖ kn, label, context, L). ``secrets`` are
    the key-exchange outputs in a fixed order; MA/MB are the messages each party sent.
    """
    if len(secrets) < 2:
        raise CombinerError("a hybrid KDF needs at least two shared secrets")
    parts = [_require_bytes(f"shared secret k{i + 1}", s) for i, s in enumerate(secrets)]
    for name, v in (("MA", ma), ("MB", mb), ("info", info)):
        _require_bytes(name, v, min_length=0)
    context = _digest(hash_name, etsi_format(info, ma, mb))
    return _kdf(kdf, hash_name, bytes(psk) + b"".join(parts), bytes(label), context, length)


@dataclass(frozen=True, repr=False)
class CascadeRound:
    """One TS 103 744 §8.3 round: the key-exchange output and the messages that produced it."""

    secret: bytes
    ma: bytes
    mb: bytes
    info: bytes
    label: bytes


def cas_kdf_round(
    previous_chain_secret: bytes,
    rnd: CascadeRound,
    *,
    key_length: int,
    hash_name: HashName = "sha256",
    kdf: KdfName = "hkdf",
) -> tuple[bytes, bytes]:
    """One cascade round: R_i = HMAC(CS_{i-1}, H(f(k_i, MA_i, MB_i))); CS_i ‖ KM_i = KDF(R_i, label_i, info_i)."""
    k = _require_bytes("round shared secret", rnd.secret)
    chain_len = _hash_of(hash_name).digest_size
    context = _digest(hash_name, etsi_format(k, rnd.ma, rnd.mb))
    round_secret = hmac.new(bytes(previous_chain_secret), context, hash_name).digest()
    out = _kdf(kdf, hash_name, round_secret, rnd.label, rnd.info, chain_len + key_length)
    return out[:chain_len], out[chain_len:]


def cas_kdf(
    rounds: Sequence[CascadeRound],
    *,
    key_length: int,
    psk: bytes = b"",
    hash_name: HashName = "sha256",
    kdf: KdfName = "hkdf",
) -> bytes:
    """TS 103 744 §8.3 cascade hybrid KDF over all rounds (CS_0 = psk); returns the last KM."""
    if len(rounds) < 2:
        raise CombinerError("a cascade needs at least two rounds")
    chain = bytes(psk)
    key = b""
    for rnd in rounds:
        chain, key = cas_kdf_round(chain, rnd, key_length=key_length, hash_name=hash_name, kdf=kdf)
    return key


# =========================================================================== QKD + PQC

QKD_PQC_LABEL = b"qrisk QKD+PQC hybrid key v1"


@dataclass(frozen=True)
class KemTranscript:
    """What the two SAEs exchanged for the PQC part (all public)."""

    mlkem_public_key: bytes
    x25519_public_key: bytes
    mlkem_ciphertext: bytes
    x25519_ciphertext: bytes

    @classmethod
    def from_tls_group(cls, client_share: bytes, server_share: bytes) -> KemTranscript:
        """Split X25519MLKEM768 shares (ML-KEM first) into the transcript fields."""
        cs = _require_bytes("client key share", client_share, 1216)
        ss = _require_bytes("server key share", server_share, 1120)
        return cls(cs[:1184], cs[1184:], ss[:1088], ss[1088:])


def derive_qkd_pqc_key(
    *,
    qkd_key: bytes,
    key_id: str,
    master_sae_id: str,
    slave_sae_id: str,
    mlkem_shared_secret: bytes,
    x25519_shared_secret: bytes,
    transcript: KemTranscript,
    length: int = 32,
    hash_name: HashName = "sha256",
) -> bytes:
    """K = HKDF(QKD key ‖ ML-KEM secret ‖ X25519 secret), bound to key_ID, SAE IDs and the KEM transcript.

    This is TS 103 744 CatKDF (§8.2) with the QKD key in the ``psk`` slot: IKM = K_QKD ‖ ss_M ‖ ss_X,
    salt = :data:`QKD_PQC_LABEL`, info = H(f(f(label, key_ID), MA, MB)) where MA = f(master SAE ID,
    pk_ML-KEM, pk_X25519) and MB = f(slave SAE ID, ct_ML-KEM, ct_X25519). K stays secret while any
    one of the three inputs does.

    Why the key_ID is bound: an ETSI GS QKD 014 KME hands the same key to any SAE that presents
    its key_ID, and the key_ID travels between the SAEs unauthenticated. Without it in the KDF,
    an attacker who swaps the key_ID (or replays an old one) makes the parties combine a QKD key
    of the attacker's choosing — a different one on each side, or one already used in another
    session — with a PQC secret it may later learn; "QKD Oracles for Authenticated Key Exchange"
    (arXiv 2509.12478) turns such mishandled key_IDs into Dependent-Key attacks. Binding key_ID,
    both SAE IDs and the KEM transcript makes every such substitution yield unrelated keys on the
    two sides (the session fails closed at key confirmation) and ties each QKD key to exactly
    one session.
    """
    qkd = _require_bytes("QKD key", qkd_key, min_length=16)  # ETSI 014 keys are >= 128 bits here
    ss_m = _require_bytes("ML-KEM shared secret", mlkem_shared_secret, 32)
    ss_x = _require_bytes("X25519 shared secret", x25519_shared_secret, 32)
    if not isinstance(key_id, str) or not key_id:
        raise CombinerError("QKD key_ID is missing")
    try:
        # ETSI GS QKD 014 §6.3: key_ID is a UUID (RFC 4122 text form).
        key_id_bytes = uuid.UUID(key_id).bytes
    except ValueError:
        raise CombinerError(f"QKD key_ID {key_id!r} is not a UUID") from None
    for name, sae in (("master SAE ID", master_sae_id), ("slave SAE ID", slave_sae_id)):
        if not isinstance(sae, str) or not sae.strip():
            raise CombinerError(f"{name} is missing")
    if master_sae_id == slave_sae_id:
        raise CombinerError("master and slave SAE IDs must differ")
    t = transcript
    if not isinstance(t, KemTranscript):
        raise CombinerError("KEM transcript is missing")
    ma = etsi_format(
        master_sae_id.encode("utf-8"),
        _require_bytes("ML-KEM public key", t.mlkem_public_key, 1184),
        _require_bytes("X25519 public key", t.x25519_public_key, 32),
    )
    mb = etsi_format(
        slave_sae_id.encode("utf-8"),
        _require_bytes("ML-KEM ciphertext", t.mlkem_ciphertext, 1088),
        _require_bytes("X25519 ciphertext", t.x25519_ciphertext, 32),
    )
    info = etsi_format(QKD_PQC_LABEL, key_id_bytes)
    return cat_kdf(
        [ss_m, ss_x], psk=qkd, ma=ma, mb=mb, info=info, label=QKD_PQC_LABEL, length=length, hash_name=hash_name
    )
