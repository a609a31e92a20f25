"""The same contract suite against every provider; cross-provider and cross-implementation interop.

An unavailable ``oqs`` provider skips with the reason liboqs detection gave (the only skip
allowed in CI); an unavailable ``cryptography`` provider fails.
"""

from __future__ import annotations

import functools
import os

import pytest
from pqc_mlkem_ref import encaps_internal

from qrisk.pqc.providers import (
    PROVIDER_CLASSES,
    Kem,
    KeyPair,
    PqcError,
    SignatureScheme,
    find_algorithm,
    get_provider,
)


def _params(kind: str) -> list:
    params = []
    for name in PROVIDER_CLASSES:
        status = get_provider(name).status()
        if not status.available:
            marks = [pytest.mark.liboqs, pytest.mark.skip(reason=status.reason)] if name == "oqs" else []
            params.append(pytest.param(name, None, marks=marks, id=f"{name}-unavailable"))
            continue
        table = get_provider(name).kems() if kind == "kem" else get_provider(name).signatures()
        params.extend(pytest.param(name, alg, id=f"{name}-{alg}") for alg in table)
    return params


def _alg(provider: str, name: str | None) -> Kem | SignatureScheme:
    if name is None:
        status = get_provider(provider).status()
        pytest.fail(f"provider {provider} is unavailable: {status.reason}")
    return get_provider(provider).algorithm(name)


@functools.cache
def _keypair(provider: str, name: str) -> KeyPair:
    return _alg(provider, name).keygen()  # RSA keygen is slow: one key per algorithm


# ---------------------------------------------------------------------------- KEM contract


@pytest.mark.parametrize(("provider", "name"), _params("kem"))
def test_kem_roundtrip_and_sizes(provider: str, name: str | None) -> None:
    kem = _alg(provider, name)
    assert isinstance(kem, Kem)
    kp = _keypair(provider, kem.info.name)
    sizes = kem.info.sizes
    assert len(kp.public_key) == sizes.public_key_bytes
    enc = kem.encapsulate(kp.public_key)
    assert len(enc.ciphertext) == sizes.ciphertext_bytes
    assert len(enc.shared_secret) == sizes.shared_secret_bytes
    assert kem.decapsulate(kp, enc.ciphertext) == enc.shared_secret
    assert kem.encapsulate(kp.public_key).shared_secret != enc.shared_secret  # fresh randomness
    if sizes.secret_key_bytes is not None:
        assert len(kem.export_secret_key(kp)) == sizes.secret_key_bytes
    assert kem.info.nist_level is not None
    assert kem.info.provider == provider


@pytest.mark.parametrize(("provider", "name"), _params("kem"))
def test_kem_secret_key_export_import(provider: str, name: str | None) -> None:
    kem = _alg(provider, name)
    assert isinstance(kem, Kem)
    kp = _keypair(provider, kem.info.name)
    enc = kem.encapsulate(kp.public_key)
    again = kem.import_secret_key(kem.export_secret_key(kp), kp.public_key)
    assert again.public_key == kp.public_key
    assert kem.decapsulate(again, enc.ciphertext) == enc.shared_secret
    secret = kem.export_secret_key(kp)
    assert secret.hex() not in repr(kp) and "redacted" in repr(kp)


@pytest.mark.parametrize(("provider", "name"), _params("kem"))
def test_kem_tampered_ciphertext_never_gives_the_secret(provider: str, name: str | None) -> None:
    kem = _alg(provider, name)
    assert isinstance(kem, Kem)
    kp = _keypair(provider, kem.info.name)
    enc = kem.encapsulate(kp.public_key)
    for pos in (0, len(enc.ciphertext) // 2, len(enc.ciphertext) - 1):
        bad = bytearray(enc.ciphertext)
        bad[pos] ^= 0x01
        try:
            got = kem.decapsulate(kp, bytes(bad))
        except PqcError:
            continue  # rejected outright (invalid point, OAEP failure)
        assert got != enc.shared_secret  # ML-KEM: implicit rejection (FIPS 203 §6.3)


@pytest.mark.parametrize(("provider", "name"), _params("kem"))
def test_kem_rejects_wrong_lengths(provider: str, name: str | None) -> None:
    kem = _alg(provider, name)
    assert isinstance(kem, Kem)
    kp = _keypair(provider, kem.info.name)
    enc = kem.encapsulate(kp.public_key)
    with pytest.raises(PqcError):
        kem.encapsulate(kp.public_key[:-1])
    with pytest.raises(PqcError):
        kem.decapsulate(kp, enc.ciphertext + b"\x00")
    with pytest.raises(PqcError):
        kem.decapsulate(kp, b"")


# ---------------------------------------------------------------------------- signature contract


@pytest.mark.parametrize(("provider", "name"), _params("sig"))
def test_signature_roundtrip_and_sizes(provider: str, name: str | None) -> None:
    scheme = _alg(provider, name)
    assert isinstance(scheme, SignatureScheme)
    kp = _keypair(provider, scheme.info.name)
    sizes = scheme.info.sizes
    assert len(kp.public_key) == sizes.public_key_bytes
    for message in (b"", b"m", os.urandom(1000)):
        sig = scheme.sign(kp, message)
        assert sizes.signature_bytes is not None
        if sizes.signature_fixed:
            assert len(sig) == sizes.signature_bytes
        else:
            assert 0 < len(sig) <= sizes.signature_bytes
        assert scheme.verify(kp.public_key, message, sig)


@pytest.mark.parametrize(("provider", "name"), _params("sig"))
def test_signature_rejects_forgeries(provider: str, name: str | None) -> None:
    scheme = _alg(provider, name)
    assert isinstance(scheme, SignatureScheme)
    kp = _keypair(provider, scheme.info.name)
    sig = scheme.sign(kp, b"pay 10 EUR")
    assert not scheme.verify(kp.public_key, b"pay 99 EUR", sig)
    bad = bytearray(sig)
    bad[len(bad) // 2] ^= 0x10
    assert not scheme.verify(kp.public_key, b"pay 10 EUR", bytes(bad))
    assert not scheme.verify(kp.public_key, b"pay 10 EUR", sig[:-1])
    assert not scheme.verify(kp.public_key[:-1], b"pay 10 EUR", sig)  # malformed key: False, no exception
    other = scheme.keygen() if not scheme.info.name.startswith("RSA") else None
    if other is not None:
        assert not scheme.verify(other.public_key, b"pay 10 EUR", sig)


# ---------------------------------------------------------------------------- cross-provider


def _pairs() -> list:
    statuses = {n: get_provider(n).status() for n in PROVIDER_CLASSES}
    avail = [n for n, s in statuses.items() if s.available]
    params = []
    for a in avail:
        for b in avail:
            if a == b:
                continue
            pa, pb = get_provider(a), get_provider(b)
            common = (set(pa.kems()) & set(pb.kems())) | (set(pa.signatures()) & set(pb.signatures()))
            params.extend(pytest.param(a, b, alg, id=f"{a}->{b}-{alg}") for alg in sorted(common))
    if not params:
        reason = "; ".join(f"{n}: {s.reason}" for n, s in statuses.items() if not s.available)
        params.append(
            pytest.param(
                None,
                None,
                None,
                marks=[pytest.mark.liboqs, pytest.mark.skip(reason=f"needs two providers ({reason})")],
                id="needs-two-providers",
            )
        )
    return params


@pytest.mark.parametrize(("producer", "consumer", "name"), _pairs())
def test_cross_provider_interop(producer: str, consumer: str, name: str) -> None:
    """A key from one provider works with the other: encapsulate/verify across the boundary."""
    a, b = get_provider(producer).algorithm(name), get_provider(consumer).algorithm(name)
    if isinstance(a, Kem) and isinstance(b, Kem):
        kp = b.keygen()
        enc = a.encapsulate(kp.public_key)  # producer encapsulates to consumer's key
        assert b.decapsulate(kp, enc.ciphertext) == enc.shared_secret
    else:
        assert isinstance(a, SignatureScheme) and isinstance(b, SignatureScheme)
        kp = a.keygen()
        sig = a.sign(kp, b"cross-provider")
        assert b.verify(kp.public_key, b"cross-provider", sig)
        assert not b.verify(kp.public_key, b"cross-provider!", sig)


@pytest.mark.parametrize("bits", [768, 1024])
def test_independent_mlkem_encapsulation_decapsulates_in_every_provider(bits: int) -> None:
    """A pure-Python FIPS 203 Encaps (tests/pqc/pqc_mlkem_ref.py) against each provider's Decaps."""
    for provider in PROVIDER_CLASSES:
        if not get_provider(provider).status().available:
            continue
        kem = get_provider(provider).kems().get(f"ML-KEM-{bits}")
        if kem is None:
            continue
        kp = kem.keygen()
        key, ct = encaps_internal(kp.public_key, os.urandom(32), bits)
        assert kem.decapsulate(kp, ct) == key, provider


def test_find_algorithm_prefers_available_providers_and_errors_clearly() -> None:
    assert find_algorithm("ML-KEM-768").info.name == "ML-KEM-768"
    with pytest.raises(PqcError, match="no available PQC provider implements"):
        find_algorithm("NoSuchKEM-1")
    with pytest.raises(PqcError, match="unknown PQC provider"):
        get_provider("nope")
