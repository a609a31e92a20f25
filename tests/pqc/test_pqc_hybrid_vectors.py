"""Hybrid combiners against published vectors and independent computations.

* X-Wing: draft-connolly-cfrg-xwing-kem-10 Appendix C (all three vectors: keygen, encaps with
  the pure-Python FIPS 203 Encaps_internal, decaps).
* ETSI TS 103 744 CatKDF/CasKDF (HKDF and HMAC variants): vector 4 (X25519 + ML-KEM-768) of the
  ETSI reference implementation. The KMAC variants are not implemented (neither hashlib nor
  cryptography offers KMAC); their expected values stay in the data file, unchecked.
* TLS hybrid groups: both sides run; the secret order is checked against a plain concatenation.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from pqc_mlkem_ref import encaps_internal

from qrisk.pqc.hybrid import (
    TLS_GROUPS,
    XWING_LABEL,
    CascadeRound,
    XWing,
    cas_kdf,
    cat_kdf,
    etsi_format,
    tls_hybrid_group,
)
from qrisk.pqc.providers import PqcError

h = bytes.fromhex


# ---------------------------------------------------------------------------- X-Wing


def test_xwing_label_is_the_drafts() -> None:
    assert XWING_LABEL.hex() == "5c2e2f2f5e5c"


@pytest.mark.parametrize("index", [0, 1, 2])
def test_xwing_keygen_and_decaps_vectors(xwing_vectors: list[dict[str, str]], index: int) -> None:
    v = xwing_vectors[index]
    xw = XWing()
    kp = xw.keygen_derand(h(v["seed"]))
    assert kp.public_key.hex() == v["pk"]
    assert xw.decapsulate(kp, h(v["ct"])).hex() == v["ss"]
    assert xw.export_secret_key(kp) == h(v["seed"])


@pytest.mark.parametrize("index", [0, 1, 2])
def test_xwing_encaps_vectors(xwing_vectors: list[dict[str, str]], index: int) -> None:
    """EncapsulateDerand (§5.4.1) rebuilt from FIPS 203 Encaps_internal + X25519 + our combiner."""
    v = xwing_vectors[index]
    pk, eseed = h(v["pk"]), h(v["eseed"])
    ss_m, ct_m = encaps_internal(pk[:1184], eseed[:32])
    eph = x25519.X25519PrivateKey.from_private_bytes(eseed[32:])
    ct_x = eph.public_key().public_bytes_raw()
    ss_x = eph.exchange(x25519.X25519PublicKey.from_public_bytes(pk[1184:]))
    assert (ct_m + ct_x).hex() == v["ct"]
    assert XWing.combiner(ss_m, ss_x, ct_x, pk[1184:]).hex() == v["ss"]
    # The combiner is SHA3-256 over the fixed-order concatenation with the label last (§5.3).
    assert XWing.combiner(ss_m, ss_x, ct_x, pk[1184:]) == hashlib.sha3_256(
        ss_m + ss_x + ct_x + pk[1184:] + bytes.fromhex("5c2e2f2f5e5c")
    ).digest()


def test_xwing_roundtrip_and_fail_closed() -> None:
    xw = XWing()
    kp = xw.keygen()
    enc = xw.encapsulate(kp.public_key)
    assert len(enc.ciphertext) == 1120 and len(enc.shared_secret) == 32
    assert xw.decapsulate(kp, enc.ciphertext) == enc.shared_secret
    bad = bytearray(enc.ciphertext)
    bad[1100] ^= 1  # inside the X25519 part
    assert xw.decapsulate(kp, bytes(bad)) != enc.shared_secret
    with pytest.raises(PqcError):
        xw.decapsulate(kp, enc.ciphertext[:-1])
    with pytest.raises(PqcError):
        xw.encapsulate(kp.public_key + b"\x00")
    with pytest.raises(PqcError):
        xw.keygen_derand(b"\x00" * 31)
    assert "redacted" in repr(kp)


# ---------------------------------------------------------------------------- ETSI TS 103 744


def _msg(cid: str, *fields: str) -> bytes:
    # The reference code's message formatting: cid || u32be(len) || field ..., len = hex digits.
    out = h(cid)
    for f in fields:
        out += len(f).to_bytes(4, "big") + h(f)
    return out


def _xor(a: str, b: str) -> bytes:
    return bytes(x ^ y for x, y in zip(h(a), h(b), strict=True))


def test_etsi_vector_inputs_are_what_they_claim(etsi_vector: dict[str, str]) -> None:
    """k1 is the RFC 7748 X25519 secret; PA2/PB2/k2 an ML-KEM-768 KAT reproducible here."""
    v = etsi_vector
    alice = x25519.X25519PrivateKey.from_private_bytes(h(v["SA1"]))
    assert alice.public_key().public_bytes_raw() == h(v["PA1"])
    assert alice.exchange(x25519.X25519PublicKey.from_public_bytes(h(v["PB1"]))) == h(v["k1"])
    sk = mlkem.MLKEM768PrivateKey.from_seed_bytes(h(v["mlkem_keygen_seed"]))
    assert sk.public_key().public_bytes_raw() == h(v["PA2"])
    assert sk.decapsulate(h(v["PB2"])) == h(v["k2"])
    assert encaps_internal(h(v["PA2"]), h(v["mlkem_encaps_coins"])) == (h(v["k2"]), h(v["PB2"]))


@pytest.mark.parametrize("kdf", ["hkdf", "hmac"])
def test_etsi_catkdf_vector(etsi_vector: dict[str, str], kdf: str) -> None:
    v = etsi_vector
    cid = v[f"cid_cat_{kdf}"]
    km = cat_kdf(
        [h(v["k1"]), h(v["k2"])],
        ma=_msg(cid, v["LA1"], v["PA1"], v["PA2"]),
        mb=_msg(cid, v["LB1"], v["PB1"], v["PB2"]),
        info=v["info"].encode(),
        label=_xor(v["LA1"], v["LB1"]),
        length=v["key_length"],
        kdf=kdf,  # type: ignore[arg-type]
    )
    assert km.hex().upper() == v[f"km_cat_{kdf}"]


@pytest.mark.parametrize("kdf", ["hkdf", "hmac"])
def test_etsi_caskdf_vector(etsi_vector: dict[str, str], kdf: str) -> None:
    v = etsi_vector
    cid = v[f"cid_cas_{kdf}"]
    info = v["info"].encode()
    rounds = [
        CascadeRound(h(v["k1"]), _msg(cid, v["LA1"], v["PA1"]), _msg(cid, v["LB1"], v["PB1"]), info, _xor(v["LA1"], v["LB1"])),
        CascadeRound(h(v["k2"]), _msg(cid, v["LA2"], v["PA2"]), _msg(cid, v["LB2"], v["PB2"]), info, _xor(v["LA2"], v["LB2"])),
    ]
    km = cas_kdf(rounds, key_length=v["key_length"], kdf=kdf)  # type: ignore[arg-type]
    assert km.hex().upper() == v[f"km_cas_{kdf}"]


def _hkdf(salt: bytes, ikm: bytes, info: bytes, length: int, digest: str = "sha256") -> bytes:
    """RFC 5869 with plain hmac — independent of the code under test."""
    prk = hmac.new(salt or b"\x00" * hashlib.new(digest).digest_size, ikm, digest).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), digest).digest()
        out += block
        i += 1
    return out[:length]


def test_catkdf_matches_independent_hkdf() -> None:
    k1, k2, psk = b"\x01" * 32, b"\x02" * 32, b"\x03" * 16
    ma, mb, info, label = b"MA", b"MB-longer", b"info", b"label"
    got = cat_kdf([k1, k2], psk=psk, ma=ma, mb=mb, info=info, label=label, length=42, hash_name="sha384")
    f = b"".join(len(x).to_bytes(4, "big") + x for x in (info, ma, mb))
    context = hashlib.sha384(f).digest()
    assert got == _hkdf(label, psk + k1 + k2, context, 42, "sha384")
    assert etsi_format(info, ma, mb) == f


def test_catkdf_hmac_matches_independent_sp800_56c() -> None:
    k1, k2 = b"\x11" * 32, b"\x22" * 32
    got = cat_kdf([k1, k2], ma=b"a", mb=b"b", info=b"i", label=b"salt", length=48, kdf="hmac")
    context = hashlib.sha256(etsi_format(b"i", b"a", b"b")).digest()
    expect = b"".join(
        hmac.new(b"salt", i.to_bytes(4, "big") + k1 + k2 + context, "sha256").digest() for i in (1, 2)
    )[:48]
    assert got == expect


# ---------------------------------------------------------------------------- TLS hybrid groups


@pytest.mark.parametrize("group", list(TLS_GROUPS))
def test_tls_group_both_sides_agree_and_order_is_the_drafts(group: str) -> None:
    g = tls_hybrid_group(group)
    client = g.keygen()
    enc = g.encapsulate(client.public_key)  # the server's side
    assert g.decapsulate(client, enc.ciphertext) == enc.shared_secret
    assert g.codepoint == TLS_GROUPS[group][0]
    # Rebuild the secret by hand from the components, in the draft's order.
    a, b = client.secret
    pq_first = TLS_GROUPS[group][3]
    first, second = g._parts
    split = first.info.sizes.ciphertext_bytes
    s1 = first.decapsulate(a, enc.ciphertext[:split])
    s2 = second.decapsulate(b, enc.ciphertext[split:])
    assert enc.shared_secret == s1 + s2
    assert (first.info.name.startswith("ML-KEM")) is pq_first


def test_x25519mlkem768_layout() -> None:
    g = tls_hybrid_group("X25519MLKEM768")
    kp = g.keygen()
    assert len(kp.public_key) == 1184 + 32
    enc = g.encapsulate(kp.public_key)
    assert len(enc.ciphertext) == 1088 + 32 and len(enc.shared_secret) == 64
    mlkem_kp, x_kp = kp.secret
    assert kp.public_key[:1184] == mlkem_kp.public_key and kp.public_key[1184:] == x_kp.public_key
    # ML-KEM shared secret first (draft-ietf-tls-ecdhe-mlkem §3).
    assert mlkem_kp.secret.decapsulate(enc.ciphertext[:1088]) == enc.shared_secret[:32]
