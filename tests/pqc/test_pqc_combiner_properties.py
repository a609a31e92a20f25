"""Property tests for the QKD + PQC combiner and CatKDF: every component matters, bad input fails closed.

Expected keys are recomputed here with plain hmac/hashlib (HKDF per RFC 5869), independent of
the code under test.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.pqc.hybrid import (
    QKD_PQC_LABEL,
    CombinerError,
    KemTranscript,
    cat_kdf,
    derive_qkd_pqc_key,
    tls_hybrid_group,
)

KEY_ID = "5c1b0c8e-7d2a-4f3e-9b1a-2f6d8e4c3a10"


def _f(*fields: bytes) -> bytes:
    return b"".join(len(x).to_bytes(4, "big") + x for x in fields)


def _reference(qkd: bytes, key_id: str, a: str, b: str, ss_m: bytes, ss_x: bytes, t: KemTranscript, n: int) -> bytes:
    ma = _f(a.encode(), t.mlkem_public_key, t.x25519_public_key)
    mb = _f(b.encode(), t.mlkem_ciphertext, t.x25519_ciphertext)
    info = _f(QKD_PQC_LABEL, uuid.UUID(key_id).bytes)
    context = hashlib.sha256(_f(info, ma, mb)).digest()
    prk = hmac.new(QKD_PQC_LABEL, qkd + ss_m + ss_x, "sha256").digest()
    out, block, i = b"", b"", 1
    while len(out) < n:
        block = hmac.new(prk, block + context + bytes([i]), "sha256").digest()
        out += block
        i += 1
    return out[:n]


def _inputs(seed: bytes = b"\x07") -> dict:
    transcript = KemTranscript(
        mlkem_public_key=hashlib.shake_256(seed + b"pk").digest(1184),
        x25519_public_key=hashlib.sha256(seed + b"xpk").digest(),
        mlkem_ciphertext=hashlib.shake_256(seed + b"ct").digest(1088),
        x25519_ciphertext=hashlib.sha256(seed + b"xct").digest(),
    )
    return {
        "qkd_key": hashlib.sha256(seed + b"qkd").digest(),
        "key_id": KEY_ID,
        "master_sae_id": "SAE_ALICE",
        "slave_sae_id": "SAE_BOB",
        "mlkem_shared_secret": hashlib.sha256(seed + b"ssm").digest(),
        "x25519_shared_secret": hashlib.sha256(seed + b"ssx").digest(),
        "transcript": transcript,
    }


def test_matches_independent_hkdf() -> None:
    i = _inputs()
    got = derive_qkd_pqc_key(**i, length=48)
    assert got == _reference(
        i["qkd_key"], KEY_ID, "SAE_ALICE", "SAE_BOB", i["mlkem_shared_secret"], i["x25519_shared_secret"], i["transcript"], 48
    )


_FIELDS = ["qkd_key", "mlkem_shared_secret", "x25519_shared_secret"]
_TRANSCRIPT = ["mlkem_public_key", "x25519_public_key", "mlkem_ciphertext", "x25519_ciphertext"]


@settings(max_examples=60, deadline=None)
@given(
    field=st.sampled_from(_FIELDS + _TRANSCRIPT + ["key_id", "master_sae_id", "slave_sae_id"]),
    position=st.integers(min_value=0, max_value=10_000),
    bit=st.integers(min_value=0, max_value=7),
)
def test_every_component_changes_the_key(field: str, position: int, bit: int) -> None:
    base = _inputs()
    original = derive_qkd_pqc_key(**base)
    changed = dict(base)
    if field in _FIELDS:
        data = bytearray(base[field])
        data[position % len(data)] ^= 1 << bit
        changed[field] = bytes(data)
    elif field in _TRANSCRIPT:
        data = bytearray(getattr(base["transcript"], field))
        data[position % len(data)] ^= 1 << bit
        changed["transcript"] = replace(base["transcript"], **{field: bytes(data)})
    elif field == "key_id":
        changed[field] = str(uuid.UUID(int=uuid.UUID(KEY_ID).int ^ (1 << (position % 122))))
    else:
        changed[field] = base[field] + chr(ord("A") + bit)
    assert derive_qkd_pqc_key(**changed) != original


def test_swapping_sae_roles_changes_the_key() -> None:
    i = _inputs()
    swapped = {**i, "master_sae_id": i["slave_sae_id"], "slave_sae_id": i["master_sae_id"]}
    assert derive_qkd_pqc_key(**swapped) != derive_qkd_pqc_key(**i)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("qkd_key", b""),
        ("qkd_key", None),
        ("qkd_key", b"\x00" * 15),
        ("qkd_key", "not bytes"),
        ("mlkem_shared_secret", b""),
        ("mlkem_shared_secret", b"\x00" * 31),
        ("mlkem_shared_secret", None),
        ("x25519_shared_secret", b"\x00" * 33),
        ("x25519_shared_secret", None),
        ("key_id", ""),
        ("key_id", "key-1"),
        ("key_id", None),
        ("master_sae_id", ""),
        ("slave_sae_id", "  "),
        ("slave_sae_id", "SAE_ALICE"),
        ("transcript", None),
    ],
)
def test_missing_or_wrong_components_fail_closed(field: str, value: object) -> None:
    i = {**_inputs(), field: value}
    with pytest.raises(CombinerError):
        derive_qkd_pqc_key(**i)


@pytest.mark.parametrize("field", _TRANSCRIPT)
@pytest.mark.parametrize("delta", [-1, 1])
def test_transcript_lengths_are_enforced(field: str, delta: int) -> None:
    i = _inputs()
    value = getattr(i["transcript"], field)
    bad = value[:-1] if delta < 0 else value + b"\x00"
    with pytest.raises(CombinerError):
        derive_qkd_pqc_key(**{**i, "transcript": replace(i["transcript"], **{field: bad})})


@pytest.mark.parametrize("length", [0, -1, 255 * 32 + 1])
def test_output_length_is_enforced(length: int) -> None:
    with pytest.raises(CombinerError):
        derive_qkd_pqc_key(**_inputs(), length=length)


@settings(max_examples=25, deadline=None)
@given(length=st.integers(min_value=16, max_value=200))
def test_output_has_the_requested_length(length: int) -> None:
    assert len(derive_qkd_pqc_key(**_inputs(), length=length)) == length


def test_end_to_end_with_real_x25519mlkem768() -> None:
    """Both SAEs derive the same key from a real hybrid exchange and a shared QKD key."""
    group = tls_hybrid_group("X25519MLKEM768")
    alice = group.keygen()
    enc = group.encapsulate(alice.public_key)  # Bob
    transcript = KemTranscript.from_tls_group(alice.public_key, enc.ciphertext)
    qkd = bytes(range(32))
    common = {"qkd_key": qkd, "key_id": KEY_ID, "master_sae_id": "A", "slave_sae_id": "B", "transcript": transcript}
    alice_ss = group.decapsulate(alice, enc.ciphertext)
    k_alice = derive_qkd_pqc_key(**common, mlkem_shared_secret=alice_ss[:32], x25519_shared_secret=alice_ss[32:])
    k_bob = derive_qkd_pqc_key(
        **common, mlkem_shared_secret=enc.shared_secret[:32], x25519_shared_secret=enc.shared_secret[32:]
    )
    assert k_alice == k_bob and len(k_alice) == 32
    # A key_ID substituted on one side (the Dependent-Key attack's lever) breaks agreement.
    other = derive_qkd_pqc_key(
        **{**common, "key_id": str(uuid.uuid4())},
        mlkem_shared_secret=enc.shared_secret[:32],
        x25519_shared_secret=enc.shared_secret[32:],
    )
    assert other != k_alice


@settings(max_examples=40, deadline=None)
@given(
    k1=st.binary(min_size=1, max_size=64),
    k2=st.binary(min_size=1, max_size=64),
    which=st.integers(0, 1),
)
def test_catkdf_each_secret_matters_and_empty_fails(k1: bytes, k2: bytes, which: int) -> None:
    kw = {"ma": b"a", "mb": b"b", "info": b"i", "label": b"l", "length": 32}
    base = cat_kdf([k1, k2], **kw)
    flipped = [bytearray(k1), bytearray(k2)]
    flipped[which][0] ^= 1
    assert cat_kdf([bytes(flipped[0]), bytes(flipped[1])], **kw) != base
    with pytest.raises(CombinerError):
        cat_kdf([k1, b""] if which else [b"", k2], **kw)
    with pytest.raises(CombinerError):
        cat_kdf([k1], **kw)
