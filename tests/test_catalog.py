"""Tests for the algorithm catalog: alias resolution (our table and the names the world uses),
structural invariants of algorithms.yaml / non_crypto.yaml, and properties of resolve()."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurveOID
from cryptography.x509 import ObjectIdentifier
from cryptography.x509.oid import PublicKeyAlgorithmOID, SignatureAlgorithmOID
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.catalog import (
    UNKNOWN,
    AlgorithmCatalog,
    CatalogError,
    algorithms,
    non_crypto_names,
    non_crypto_reason,
    normalise,
    parse_algorithms,
)
from qrisk.model import Algorithm, Primitive, QuantumStatus

CAT = algorithms()
ENTRIES: list[Algorithm] = list(CAT)

# --------------------------------------------------------------------------- 1. alias table

# (name as found in the wild, canonical catalog name). Grouped by vocabulary.
ALIASES: list[tuple[str, str]] = [
    # canonical names and case/punctuation variants
    ("RSA", "RSA"),
    ("rsa", "RSA"),
    ("ML-KEM-768", "ML-KEM-768"),
    ("ml_kem_768", "ML-KEM-768"),
    ("MLKEM768", "ML-KEM-768"),
    ("  ML-DSA-65 ", "ML-DSA-65"),
    ("mldsa65", "ML-DSA-65"),
    ("Aes-256", "AES-256"),
    ("AES 128", "AES-128"),
    ("sha-256", "SHA-256"),
    ("SHA256", "SHA-256"),
    ("Sha_384", "SHA-384"),
    ("sha3_256", "SHA3-256"),
    ("SHA-512/256", "SHA-512/256"),
    ("sha512-256", "SHA-512/256"),
    ("chacha20_poly1305", "ChaCha20-Poly1305"),
    ("x25519", "X25519"),
    ("ed25519", "Ed25519"),
    # OpenSSL names
    ("aes-256-gcm", "AES-256"),
    ("AES-128-CBC", "AES-128"),
    ("aes128", "AES-128"),
    ("id-aes192-GCM", "AES-192"),
    ("AES-256-XTS", "AES-256"),
    ("AES-128-CBC-HMAC-SHA256", "AES-128"),
    ("aes256-wrap", "AES-256"),
    ("des-ede3-cbc", "3DES"),
    ("DES-EDE", "3DES"),
    ("des3", "3DES"),
    ("id-smime-alg-CMS3DESwrap", "3DES"),
    ("DES-CBC", "DES"),
    ("desx", "DESX"),
    ("RC4-40", "RC4"),
    ("RC4-HMAC-MD5", "RC4"),
    ("rc2-40", "RC2"),
    ("bf", "Blowfish"),
    ("BF-CBC", "Blowfish"),
    ("cast", "CAST5"),
    ("CAST5-OFB", "CAST5"),
    ("IDEA-CBC", "IDEA"),
    ("seed", "SEED"),
    ("CAMELLIA-256-CBC", "Camellia-256"),
    ("camellia128", "Camellia-128"),
    ("ARIA-192-GCM", "ARIA-192"),
    ("SM4-CBC", "SM4"),
    ("rsaEncryption", "RSA"),
    ("RSA-PSS", "RSA"),
    ("rsassaPss", "RSA"),
    ("sha256WithRSAEncryption", "RSA"),
    ("md5WithRSAEncryption", "RSA"),
    ("RSA-SHA1-2", "RSA"),
    ("id-rsassa-pkcs1-v1_5-with-sha3-256", "RSA"),
    ("id-ecPublicKey", "ECDSA"),
    ("EC", "ECDSA"),
    ("ecdsa-with-SHA256", "ECDSA"),
    ("ecdsa-with-SHA384", "ECDSA"),
    ("ecdsa_with_SHA3-256", "ECDSA"),
    ("dsaWithSHA1", "DSA"),
    ("dsaEncryption", "DSA"),
    ("dhKeyAgreement", "DH"),
    ("X9.42 DH", "DH"),
    ("DHX", "DH"),
    ("ED25519", "Ed25519"),
    ("ED448", "Ed448"),
    ("X448", "X448"),
    ("SM2", "SM2"),
    ("SM3", "SM3"),
    ("SLH-DSA-SHA2-128s", "SLH-DSA-SHA2-128s"),
    ("SLH-DSA-SHAKE-256f", "SLH-DSA-SHAKE-256f"),
    ("id-slh-dsa-sha2-192f", "SLH-DSA-SHA2-192f"),
    ("ssl3-md5", "MD5"),
    ("SSL3-SHA1", "SHA-1"),
    ("RIPEMD160", "RIPEMD-160"),
    ("rmd160", "RIPEMD-160"),
    ("BLAKE2b512", "BLAKE2b"),
    ("BLAKE2s256", "BLAKE2s"),
    ("whirlpool", "Whirlpool"),
    ("MD5-SHA1", "MD5-SHA1"),
    ("SHAKE-128", "SHAKE128"),
    ("KECCAK-KMAC-256", "KMAC256"),
    ("KECCAK-256", "Keccak-256"),
    ("SCRYPT", "scrypt"),
    ("id-scrypt", "scrypt"),
    ("TLS1-PRF", "TLS1-PRF"),
    ("SIPHASH", "SipHash"),
    ("POLY1305", "Poly1305"),
    ("X25519MLKEM768", "X25519MLKEM768"),
    ("X448MLKEM1024", "X448MLKEM1024"),
    ("MD4", "MD4"),
    # Java JCA
    ("SHA256withRSA", "RSA"),
    ("SHA384withRSA/PSS", "RSA"),
    ("RSA/ECB/OAEPWithSHA-256AndMGF1Padding", "RSA"),
    ("RSA/ECB/PKCS1Padding", "RSA"),
    ("SHA256withECDSA", "ECDSA"),
    ("SHA512withECDSA", "ECDSA"),
    ("SHA256withDSA", "DSA"),
    ("AES/GCM/NoPadding", "AES"),
    ("AES/CBC/PKCS5Padding", "AES"),
    ("AES_256/GCM/NoPadding", "AES-256"),
    ("DESede", "3DES"),
    ("DESede/CBC/PKCS5Padding", "3DES"),
    ("PBKDF2WithHmacSHA256", "PBKDF2"),
    ("PBKDF2WithHmacSHA1", "PBKDF2"),
    ("HmacSHA256", "HMAC-SHA256"),
    ("HmacSHA512", "HMAC-SHA512"),
    ("HmacMD5", "HMAC-MD5"),
    ("DiffieHellman", "DH"),
    ("EdDSA", "EdDSA"),
    # JOSE (RFC 7518, RFC 8037, RFC 8812)
    ("RS256", "RSA"),
    ("PS512", "RSA"),
    ("RSA-OAEP-256", "RSA"),
    ("ES256", "ECDSA-P256"),
    ("ES384", "ECDSA-P384"),
    ("ES512", "ECDSA-P521"),
    ("ES256K", "ECDSA-secp256k1"),
    ("HS256", "HMAC-SHA256"),
    ("HS384", "HMAC-SHA384"),
    ("A256GCM", "AES-256"),
    ("A128KW", "AES-128"),
    ("A128CBC-HS256", "AES-128"),
    ("ECDH-ES", "ECDH"),
    ("ECDH-ES+A256KW", "ECDH"),
    # SSH key exchange
    ("curve25519-sha256", "X25519"),
    ("curve25519-sha256@libssh.org", "X25519"),
    ("curve448-sha512", "X448"),
    ("ecdh-sha2-nistp256", "ECDH-P256"),
    ("ecdh-sha2-nistp384", "ECDH-P384"),
    ("ecdh-sha2-nistp521", "ECDH-P521"),
    ("diffie-hellman-group1-sha1", "MODP-1024"),
    ("diffie-hellman-group14-sha1", "MODP-2048"),
    ("diffie-hellman-group14-sha256", "MODP-2048"),
    ("diffie-hellman-group16-sha512", "MODP-4096"),
    ("diffie-hellman-group18-sha512", "MODP-8192"),
    ("diffie-hellman-group-exchange-sha256", "DH"),
    ("sntrup761x25519-sha512", "sntrup761x25519-sha512"),
    ("sntrup761x25519-sha512@openssh.com", "sntrup761x25519-sha512"),
    ("mlkem768x25519-sha256", "mlkem768x25519-sha256"),
    # SSH host keys, ciphers, MACs
    ("ssh-ed25519", "Ed25519"),
    ("sk-ssh-ed25519@openssh.com", "Ed25519"),
    ("ecdsa-sha2-nistp256", "ECDSA-P256"),
    ("ecdsa-sha2-nistp384", "ECDSA-P384"),
    ("ecdsa-sha2-nistp521-cert-v01@openssh.com", "ECDSA-P521"),
    ("ssh-rsa", "RSA"),
    ("rsa-sha2-512", "RSA"),
    ("rsa-sha2-256-cert-v01@openssh.com", "RSA"),
    ("ssh-dss", "DSA"),
    ("aes128-ctr", "AES-128"),
    ("aes256-gcm@openssh.com", "AES-256"),
    ("chacha20-poly1305@openssh.com", "ChaCha20-Poly1305"),
    ("3des-cbc", "3DES"),
    ("arcfour256", "RC4"),
    ("blowfish-cbc", "Blowfish"),
    ("cast128-cbc", "CAST5"),
    ("hmac-sha2-256", "HMAC-SHA256"),
    ("hmac-sha2-512-etm@openssh.com", "HMAC-SHA512"),
    ("hmac-sha1", "HMAC-SHA1"),
    ("hmac-md5-96", "HMAC-MD5"),
    ("umac-128@openssh.com", "UMAC"),
    # TLS groups, signature schemes, suites
    ("secp256r1", "ECDH-P256"),
    ("prime256v1", "ECDH-P256"),
    ("P-256", "ECDH-P256"),
    ("secp384r1", "ECDH-P384"),
    ("P-521", "ECDH-P521"),
    ("secp256k1", "ECDH-secp256k1"),
    ("brainpoolP256r1", "ECDH-brainpoolP256r1"),
    ("brainpoolP384r1tls13", "ECDH-brainpoolP384r1"),
    ("brainpoolP512r1", "ECDH-brainpoolP512r1"),
    ("secp224r1", "ECDH-P224"),
    ("prime192v1", "ECDH-P192"),
    ("ffdhe2048", "ffdhe2048"),
    ("FFDHE-3072", "ffdhe3072"),
    ("ffdhe8192", "ffdhe8192"),
    ("SecP256r1MLKEM768", "SecP256r1MLKEM768"),
    ("SecP384r1MLKEM1024", "SecP384r1MLKEM1024"),
    ("X25519Kyber768Draft00", "X25519Kyber768Draft00"),
    ("x25519_kyber768", "X25519Kyber768Draft00"),
    ("MLKEM1024", "ML-KEM-1024"),
    ("ecdsa_secp256r1_sha256", "ECDSA-P256"),
    ("ecdsa_brainpoolP512r1tls13_sha512", "ECDSA-brainpoolP512r1"),
    ("rsa_pss_rsae_sha256", "RSA"),
    ("rsa_pkcs1_sha1", "RSA"),
    ("TLS_AES_128_GCM_SHA256", "AES-128"),
    ("TLS_AES_256_GCM_SHA384", "AES-256"),
    ("TLS_CHACHA20_POLY1305_SHA256", "ChaCha20-Poly1305"),
    # IKE / IPsec
    ("modp2048", "MODP-2048"),
    ("IKE group 14", "MODP-2048"),
    ("DH Group 2", "MODP-1024"),
    ("modp768", "MODP-768"),
    ("modp1536", "MODP-1536"),
    ("ecp384", "ECDH-P384"),
    ("ecp256bp", "ECDH-brainpoolP256r1"),
    ("IKE group 31", "X25519"),
    ("modp2048s256", "MODP-2048-S256"),
    # post-quantum and their pre-standard names
    ("Kyber512", "ML-KEM-512"),
    ("id-alg-ml-kem-1024", "ML-KEM-1024"),
    ("Kyber", "ML-KEM"),
    ("Dilithium2", "ML-DSA-44"),
    ("Dilithium5", "ML-DSA-87"),
    ("id-ml-dsa-87", "ML-DSA-87"),
    ("HashML-DSA-65", "ML-DSA-65"),
    ("SPHINCS+-SHA2-128f-simple", "SLH-DSA-SHA2-128f"),
    ("SPHINCS+-SHAKE256-256s-simple", "SLH-DSA-SHAKE-256s"),
    ("SPHINCS+", "SLH-DSA"),
    ("Falcon-512", "FN-DSA-512"),
    ("falcon1024", "FN-DSA-1024"),
    ("HQC-192", "HQC-192"),
    ("hqc256", "HQC-256"),
    ("FrodoKEM-640-AES", "FrodoKEM-640"),
    ("frodo976shake", "FrodoKEM-976"),
    ("eFrodoKEM-1344-SHAKE", "FrodoKEM-1344"),
    ("mceliece348864", "Classic-McEliece-348864"),
    ("mceliece460896f", "Classic-McEliece-460896"),
    ("Classic-McEliece-6688128", "Classic-McEliece-6688128"),
    ("mceliece6960119", "Classic-McEliece-6960119"),
    ("mceliece8192128f", "Classic-McEliece-8192128"),
    ("bikel1", "BIKE-L1"),
    ("BIKE-L5", "BIKE-L5"),
    ("HSS/LMS", "LMS"),
    ("XMSS^MT", "XMSS"),
    ("xmssmt", "XMSS"),
    ("sntrup761", "sntrup761"),
    ("X-Wing", "X-Wing"),
    ("xwing", "X-Wing"),
    # hashes, MACs, KDFs by other spellings
    ("SHA1", "SHA-1"),
    ("SHA2-224", "SHA-224"),
    ("SHA512/224", "SHA-512/224"),
    ("SHA3-512", "SHA3-512"),
    ("HMAC-SHA384", "HMAC-SHA384"),
    ("hmacWithSHA256", "HMAC-SHA256"),
    ("HMAC", "HMAC"),
    ("AES-CMAC", "CMAC"),
    ("GMAC", "GMAC"),
    ("HKDF", "HKDF"),
    ("id-alg-hkdf-with-sha384", "HKDF-SHA384"),
    ("Argon2id", "Argon2"),
    ("bcrypt", "bcrypt"),
    ("pbkdf2_sha256", "PBKDF2"),
    # national standards
    ("GOST R 34.10-2012", "GOST R 34.10-2012"),
    ("id-GostR3411-94-with-GostR3410-2001", "GOST R 34.10-2001"),
    ("SM3withSM2", "SM2"),
    # OIDs (dotted)
    ("1.2.840.113549.1.1.1", "RSA"),
    ("1.2.840.113549.1.1.11", "RSA"),
    ("1.2.840.113549.1.1.10", "RSA"),
    ("1.2.840.10045.2.1", "ECDSA"),
    ("1.2.840.10045.4.3.2", "ECDSA"),
    ("1.2.840.10045.3.1.7", "ECDH-P256"),
    ("1.3.132.0.34", "ECDH-P384"),
    ("1.3.132.0.35", "ECDH-P521"),
    ("1.3.132.0.10", "ECDH-secp256k1"),
    ("1.3.36.3.3.2.8.1.1.7", "ECDH-brainpoolP256r1"),
    ("1.2.840.10040.4.1", "DSA"),
    ("1.2.840.113549.1.3.1", "DH"),
    ("1.3.101.110", "X25519"),
    ("1.3.101.111", "X448"),
    ("1.3.101.112", "Ed25519"),
    ("1.3.101.113", "Ed448"),
    ("2.16.840.1.101.3.4.4.1", "ML-KEM-512"),
    ("2.16.840.1.101.3.4.4.2", "ML-KEM-768"),
    ("2.16.840.1.101.3.4.4.3", "ML-KEM-1024"),
    ("2.16.840.1.101.3.4.3.17", "ML-DSA-44"),
    ("2.16.840.1.101.3.4.3.19", "ML-DSA-87"),
    ("2.16.840.1.101.3.4.3.20", "SLH-DSA-SHA2-128s"),
    ("2.16.840.1.101.3.4.3.31", "SLH-DSA-SHAKE-256f"),
    ("2.16.840.1.101.3.4.3.46", "SLH-DSA-SHAKE-256f"),
    ("1.2.840.113549.1.9.16.3.17", "LMS"),
    ("1.3.6.1.5.5.7.6.34", "XMSS"),
    ("2.16.840.1.101.3.4.2.1", "SHA-256"),
    ("2.16.840.1.101.3.4.2.2", "SHA-384"),
    ("1.3.14.3.2.26", "SHA-1"),
    ("1.2.840.113549.2.5", "MD5"),
    ("2.16.840.1.101.3.4.2.8", "SHA3-256"),
    ("2.16.840.1.101.3.4.1.46", "AES-256"),
    ("2.16.840.1.101.3.4.1.2", "AES-128"),
    ("1.2.840.113549.3.7", "3DES"),
    ("1.2.840.113549.2.9", "HMAC-SHA256"),
    ("1.2.840.113549.1.5.12", "PBKDF2"),
]


def test_alias_table_is_large_and_distinct() -> None:
    assert len(ALIASES) >= 150
    names = [n for n, _ in ALIASES]
    assert len(names) == len(set(names)), "a name is listed twice in the table"


@pytest.mark.parametrize(("name", "canonical"), ALIASES)
def test_alias_resolves(name: str, canonical: str) -> None:
    got = CAT.lookup(name)
    assert got.name == canonical, f"{name!r} resolved to {got.name!r}, expected {canonical!r}"
    assert CAT.resolve(name).key_size is None


SIZED: list[tuple[str, str, int]] = [
    ("RSA-2048", "RSA", 2048),
    ("rsa4096", "RSA", 4096),
    ("RSA_3072", "RSA", 3072),
    ("rsa 1024", "RSA", 1024),
    ("RSA-15360", "RSA", 15360),
    ("DSA-1024", "DSA", 1024),
    ("dsa2048", "DSA", 2048),
    ("DH-2048", "DH", 2048),
    ("dh3072", "DH", 3072),
    ("ElGamal-2048", "ElGamal", 2048),
]


@pytest.mark.parametrize(("name", "canonical", "key_size"), SIZED)
def test_key_size_glued_to_name(name: str, canonical: str, key_size: int) -> None:
    res = CAT.resolve(name)
    assert res.algorithm.name == canonical
    assert res.key_size == key_size
    assert res.known


def test_key_size_drives_status_and_strength() -> None:
    rsa = CAT.get("RSA")
    assert rsa.status_for(512) is QuantumStatus.CLASSICALLY_BROKEN
    assert rsa.status_for(2048) is QuantumStatus.BROKEN
    assert rsa.security_bits_for(2048) == 112
    assert rsa.security_bits_for(3072) == 128
    assert rsa.security_bits_for(4096) == 128


@pytest.mark.parametrize("name", ["RSA-SHA256", "rsa-sha2-512", "RSA-PSS", "ssh-rsa"])
def test_names_with_digits_that_are_not_key_sizes(name: str) -> None:
    res = CAT.resolve(name)
    assert res.algorithm.name == "RSA"
    assert res.key_size is None


# --------------------------------------------------------------------------- 2. unknown names


@pytest.mark.parametrize(
    "name",
    [
        "description",
        "aesthetic",
        "address",
        "des_cription",
        "foo",
        "",
        "   ",
        "-",
        "seeded",
        "casting",
        "sha",  # JCA's SHA-1 alias is deliberately not accepted: too common a token
        "falcon",  # a web framework; FN-DSA needs a parameter set
        "bike",
        "DSS",  # PCI DSS
        "HSS",  # telecom Home Subscriber Server
        "rsa99",  # two digits: not a key size
        "RSA-123456",  # six digits: not a key size
        "aes-129",
        "ECDSA-P257",
        "1.2.3.4",
        "2.16.840.1.101.3.4.3.99",
        "1.2.840.113549.1.1",
        "NULL",  # reviewed as non-cryptographic, never an algorithm
    ],
)
def test_unknown_names_resolve_to_unknown(name: str) -> None:
    res = CAT.resolve(name)
    assert res.algorithm is UNKNOWN
    assert not res.known
    assert res.key_size is None


def test_unknown_is_not_a_catalog_entry() -> None:
    assert CAT.get("unknown") is UNKNOWN
    assert UNKNOWN.quantum_status is QuantumStatus.UNKNOWN
    assert all(e.name != UNKNOWN.name for e in ENTRIES)


# --------------------------------------------------------------------------- per-curve lookup

CURVES: dict[str, list[str]] = {
    "P192": ["P-192", "secp192r1", "prime192v1", "nistp192", "1.2.840.10045.3.1.1"],
    "P224": ["P-224", "secp224r1", "nistp224", "1.3.132.0.33"],
    "P256": ["P-256", "secp256r1", "prime256v1", "nistp256", "NIST P-256", "P256", "1.2.840.10045.3.1.7"],
    "P384": ["P-384", "secp384r1", "nistp384", "1.3.132.0.34"],
    "P521": ["P-521", "secp521r1", "nistp521", "1.3.132.0.35"],
    "secp256k1": ["secp256k1", "SECP256K1", "1.3.132.0.10"],
    "brainpoolP256r1": ["brainpoolP256r1", "brainpoolp256r1", "brainpoolP256r1tls13", "1.3.36.3.3.2.8.1.1.7"],
    "brainpoolP384r1": ["brainpoolP384r1", "brainpoolP384r1tls13", "1.3.36.3.3.2.8.1.1.11"],
    "brainpoolP512r1": ["brainpoolP512r1", "brainpoolP512r1tls13", "1.3.36.3.3.2.8.1.1.13"],
}
CURVE_CASES = [(suffix, spelling) for suffix, spellings in CURVES.items() for spelling in spellings]


@pytest.mark.parametrize(("suffix", "spelling"), CURVE_CASES)
def test_ec_maps_any_curve_spelling_to_the_per_curve_entry(suffix: str, spelling: str) -> None:
    ecdsa = CAT.ec("ECDSA", spelling)
    ecdh = CAT.ec("ECDH", spelling)
    assert ecdsa.name == f"ECDSA-{suffix}"
    assert ecdh.name == f"ECDH-{suffix}"
    assert ecdsa.curve == ecdh.curve
    assert ecdsa.primitive is Primitive.SIGNATURE
    assert ecdh.primitive is Primitive.KEY_AGREE


def test_ec_with_an_unknown_curve_falls_back_to_the_generic_entry() -> None:
    assert CAT.ec("ECDSA", "sect283k1").name == "ECDSA"
    assert CAT.ec("ECDH", "no-such-curve").name == "ECDH"


def test_every_per_curve_entry_has_its_pair_and_curve() -> None:
    per_curve = [e for e in ENTRIES if re.match(r"^ECD(SA|H)-", e.name)]
    assert len(per_curve) >= 18
    for e in per_curve:
        assert e.curve, f"{e.name} has no curve"
        prefix, suffix = e.name.split("-", 1)
        other = CAT.get(("ECDH" if prefix == "ECDSA" else "ECDSA") + "-" + suffix)
        assert other is not UNKNOWN, f"{e.name} has no {prefix} counterpart"
        assert other.curve == e.curve
        # the canonical curve name resolves to the ECDH entry, which ec() relies on
        assert CAT.lookup(e.curve).name == f"ECDH-{suffix}"


# --------------------------------------------------------------------------- 3. names the world uses

_OPENSSL_KEYS = ("Name:", "Type:", "IDs:", "OID:", "PEM string:", "Alias for:", "Description:")


def _split_names(value: str) -> list[str]:
    """Names in one OpenSSL list value: ``X``, ``a => b``, ``{ oid, A, b } @ provider``."""
    value = value.strip()
    if " => " in value:
        return [v.strip() for v in value.split(" => ")]
    value = re.sub(r"\s+@\s+\S+$", "", value)
    if value.startswith("{"):
        if not value.endswith("}"):
            raise AssertionError(f"unbalanced name set in openssl output: {value!r}")
        return [v.strip() for v in value[1:-1].split(",") if v.strip()]
    return [value]


def parse_openssl_list(output: str) -> set[str]:
    """Every algorithm name and OID in the output of ``openssl list -cipher-algorithms``,
    ``-digest-algorithms`` or ``-public-key-algorithms`` (OpenSSL 3.x layout)."""
    names: set[str] = set()
    pending_name: str | None = None
    for raw in output.splitlines():
        line = raw.strip()
        if not line:
            continue
        if re.fullmatch(r"[A-Za-z][A-Za-z ]*:", line):  # section header: Legacy:, Provided:, Key Managers:
            pending_name = None
            continue
        key = next((k for k in _OPENSSL_KEYS if line.startswith(k)), None)
        if key is None:  # cipher/digest listing: one name, an alias arrow, or a provided set
            names.update(_split_names(line))
            continue
        value = line[len(key) :].strip()
        if key == "Name:":
            # Provided and legacy built-ins print a description here ("OpenSSL RSA method");
            # legacy aliases print a real name, followed by "Alias for:".
            pending_name = value
        elif key == "Alias for:":
            if pending_name:
                names.add(pending_name)
            names.add(value)
            pending_name = None
        elif key in ("IDs:", "OID:", "PEM string:"):
            names.update(_split_names(value))
    return {n for n in names if n}


def _openssl_output(flag: str) -> str:
    exe = shutil.which("openssl")
    if exe is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the openssl binary is required in CI (install it in .ci/run)")
        pytest.skip("openssl binary not installed")
    proc = subprocess.run([exe, "list", flag], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def _unresolved(names: set[str]) -> list[str]:
    return sorted(n for n in names if not CAT.resolve(n).known and non_crypto_reason(n) is None)


@pytest.mark.parametrize("flag", ["-cipher-algorithms", "-digest-algorithms", "-public-key-algorithms"])
def test_every_openssl_algorithm_name_resolves(flag: str) -> None:
    names = parse_openssl_list(_openssl_output(flag))
    assert len(names) >= 10, f"parsed suspiciously few names from openssl list {flag}: {sorted(names)}"
    missing = _unresolved(names)
    assert not missing, f"openssl list {flag}: not in the catalog nor in non_crypto.yaml: {missing}"


def test_openssl_parser_on_known_layouts() -> None:
    sample = """\
Legacy:
  AES-128-CBC
  aes128 => AES-128-CBC
Provided:
  { 2.16.840.1.101.3.4.1.2, AES-128-CBC, AES128 } @ default
  NULL @ default
 Name: OpenSSL RSA method
\tType: Builtin Algorithm
\tOID: rsaEncryption
\tPEM string: RSA
 Name: dsaWithSHA1
\tAlias for: dsaEncryption
 Key Managers:
  Name: OpenSSL X9.42 DH implementation
    Type: Provider Algorithm
    IDs: { 1.2.840.10046.2.1, dhpublicnumber, DHX, X9.42 DH } @ default
  Name: OpenSSL HKDF via EVP_PKEY implementation
    IDs: HKDF @ default
"""
    assert parse_openssl_list(sample) == {
        "AES-128-CBC", "aes128", "2.16.840.1.101.3.4.1.2", "AES128", "NULL", "rsaEncryption", "RSA",
        "dsaWithSHA1", "dsaEncryption", "1.2.840.10046.2.1", "dhpublicnumber", "DHX", "X9.42 DH", "HKDF",
    }  # fmt: skip


def _pyca_oids() -> dict[str, str]:
    """``ClassName.ATTR`` -> dotted OID for every algorithm OID pyca ``cryptography`` names."""
    classes: list[type] = [SignatureAlgorithmOID, PublicKeyAlgorithmOID, EllipticCurveOID]
    try:
        from cryptography.hazmat._oid import HashAlgorithmOID
    except ImportError:  # private module; older releases lack it
        pass
    else:
        classes.append(HashAlgorithmOID)
    out: dict[str, str] = {}
    for cls in classes:
        for attr, value in vars(cls).items():
            if isinstance(value, ObjectIdentifier):
                out[f"{cls.__name__}.{attr}"] = value.dotted_string
    return out


def test_every_oid_pyca_cryptography_knows_resolves() -> None:
    oids = _pyca_oids()
    assert len(oids) >= 40
    unresolved = set(_unresolved(set(oids.values())))
    missing = sorted(f"{label} {oid}" for label, oid in oids.items() if oid in unresolved)
    assert not missing, f"OIDs cryptography knows but the catalog does not: {missing}"


@pytest.mark.parametrize(
    ("label", "canonical"),
    [
        ("SignatureAlgorithmOID.RSA_WITH_SHA256", "RSA"),
        ("SignatureAlgorithmOID.ECDSA_WITH_SHA384", "ECDSA"),
        ("SignatureAlgorithmOID.ED25519", "Ed25519"),
        ("PublicKeyAlgorithmOID.EC_PUBLIC_KEY", "ECDSA"),
        ("PublicKeyAlgorithmOID.X448", "X448"),
        ("EllipticCurveOID.SECP256R1", "ECDH-P256"),
        ("EllipticCurveOID.BRAINPOOLP384R1", "ECDH-brainpoolP384r1"),
    ],
)
def test_pyca_oids_resolve_to_the_right_entry(label: str, canonical: str) -> None:
    assert CAT.lookup(_pyca_oids()[label]).name == canonical


def test_non_crypto_names_are_reviewed_and_disjoint_from_the_catalog() -> None:
    listed = non_crypto_names()
    assert listed, "non_crypto.yaml is empty"
    for key, reason in listed.items():
        assert len(reason) > 20, f"{key}: give a real reason"
        assert not CAT.resolve(key).known, f"{key!r} is both a catalog alias and listed as non-cryptographic"
    assert non_crypto_reason("null") is not None
    assert non_crypto_reason("ext-info-c") is not None
    assert non_crypto_reason("AES-128") is None
    assert non_crypto_reason("") is None


# --------------------------------------------------------------------------- 4. structure

PQC_FAMILIES = {
    "ML-KEM", "ML-DSA", "SLH-DSA", "FN-DSA", "HQC", "FrodoKEM", "Classic-McEliece", "BIKE", "NTRU-Prime",
    "LMS", "XMSS", "hybrid",
}  # fmt: skip
SHOR_FAMILIES = {"RSA", "DSA", "DH", "EC", "EdDSA", "ElGamal", "GOST"}


def test_catalog_size() -> None:
    assert len(CAT) >= 130
    assert sum(len(e.aliases) for e in ENTRIES) >= 500


def test_required_entries_exist() -> None:
    required = [
        "RSA", "DSA", "DH", "ffdhe2048", "ffdhe3072", "ffdhe4096", "ffdhe6144", "ffdhe8192", "ECDSA", "ECDH",
        "X25519", "X448", "Ed25519", "Ed448", "AES", "AES-128", "AES-192", "AES-256", "3DES", "DES", "RC4", "RC2",
        "Blowfish", "IDEA", "CAST5", "Camellia", "SEED", "ChaCha20", "ChaCha20-Poly1305", "Poly1305", "MD4", "MD5",
        "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512", "SHA-512/256", "SHA3-224", "SHA3-256", "SHA3-384",
        "SHA3-512", "SHAKE128", "SHAKE256", "BLAKE2b", "BLAKE2s", "RIPEMD-160", "HMAC", "HMAC-SHA1",
        "HMAC-SHA256", "HMAC-SHA384", "HMAC-SHA512", "HMAC-MD5", "CMAC", "GMAC", "HKDF", "PBKDF2", "scrypt",
        "Argon2", "bcrypt", "ML-KEM-512", "ML-KEM-768", "ML-KEM-1024", "ML-DSA-44", "ML-DSA-65", "ML-DSA-87",
        "FN-DSA-512", "FN-DSA-1024", "HQC-128", "HQC-192", "HQC-256", "FrodoKEM-640", "FrodoKEM-976",
        "FrodoKEM-1344", "Classic-McEliece-348864", "Classic-McEliece-460896", "Classic-McEliece-6688128",
        "Classic-McEliece-6960119", "Classic-McEliece-8192128", "LMS", "XMSS", "sntrup761", "X25519MLKEM768",
        "SecP256r1MLKEM768", "SecP384r1MLKEM1024", "X25519Kyber768Draft00", "mlkem768x25519-sha256",
        "sntrup761x25519-sha512", "X-Wing",
    ]  # fmt: skip
    for hash_ in ("SHA2", "SHAKE"):
        for n in (128, 192, 256):
            required += [f"SLH-DSA-{hash_}-{n}s", f"SLH-DSA-{hash_}-{n}f"]
    for curve in (
        "P256",
        "P384",
        "P521",
        "secp256k1",
        "brainpoolP256r1",
        "brainpoolP384r1",
        "brainpoolP512r1",
    ):
        required += [f"ECDSA-{curve}", f"ECDH-{curve}"]
    missing = [name for name in required if CAT.get(name) is UNKNOWN]
    assert not missing


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.name)
def test_entry_is_well_formed(entry: Algorithm) -> None:
    assert entry.source.strip(), "every entry names its source"
    assert re.search(r"(19|20)\d\d", entry.source), "the source should carry a date"
    assert entry.primitive is not Primitive.UNKNOWN
    # protocols (TLS, SSH) take their status from the key exchange an endpoint negotiates
    assert entry.quantum_status is not QuantumStatus.UNKNOWN or entry.family in ("TLS", "SSH", "IKE")
    assert entry.usages, "say what the algorithm is typically used for"
    # every alias and OID leads back to this entry
    for alias in (entry.name, *entry.aliases):
        assert CAT.lookup(alias) is entry, f"alias {alias!r} does not resolve to {entry.name}"
    for oid in entry.oids:
        assert CAT.lookup(oid) is entry, f"OID {oid} does not resolve to {entry.name}"
    # replacements exist, differ from the entry and are quantum-safe
    for target in entry.replacements:
        repl = CAT.get(target)
        assert repl is not UNKNOWN
        assert repl is not entry
        assert repl.quantum_status is QuantumStatus.SAFE, f"{entry.name} -> {target} is not safe"
    if entry.quantum_status in (QuantumStatus.BROKEN, QuantumStatus.CLASSICALLY_BROKEN):
        assert entry.replacements, f"{entry.name} is {entry.quantum_status} but names no replacement"
        assert entry.nist_quantum_level == 0
    if entry.family in SHOR_FAMILIES:
        assert entry.quantum_status in (QuantumStatus.BROKEN, QuantumStatus.CLASSICALLY_BROKEN)
    if entry.family in PQC_FAMILIES:
        assert entry.quantum_status is QuantumStatus.SAFE
        assert entry.nist_quantum_level is not None and 1 <= entry.nist_quantum_level <= 5
    if entry.family == "hybrid":
        assert entry.primitive is Primitive.KEM
    if entry.nist_quantum_level is not None and entry.nist_quantum_level > 0:
        assert entry.quantum_status is not QuantumStatus.BROKEN
    if entry.security_by_key_size:
        sizes = [s for s, _ in entry.security_by_key_size]
        bits = [b for _, b in entry.security_by_key_size]
        assert sizes == sorted(sizes) and bits == sorted(bits)
        assert entry.min_safe_key_size is not None
    if entry.name.startswith(("ECDSA-", "ECDH-")):
        assert entry.curve, f"{entry.name} must name its curve"
        assert entry.classical_security_bits is not None


def test_policy_decisions_fixed_by_the_lead() -> None:
    status = {e.name: e.quantum_status for e in ENTRIES}
    weakened = ["AES-128", "AES-192", "SHA-224", "SHA-256", "SHA3-224", "SHA3-256", "HMAC-SHA256"]
    safe = ["AES-256", "SHA-384", "SHA-512", "SHA3-384", "SHA3-512", "HMAC-SHA384", "ChaCha20-Poly1305"]
    classically = ["MD4", "MD5", "SHA-1", "DES", "3DES", "RC4", "RC2", "Blowfish", "IDEA", "CAST5"]
    broken = ["RSA", "DSA", "DH", "ECDH", "ECDSA", "EdDSA", "Ed25519", "Ed448", "X25519", "X448"]
    assert all(status[n] is QuantumStatus.WEAKENED for n in weakened)
    assert all(status[n] is QuantumStatus.SAFE for n in safe)
    assert all(status[n] is QuantumStatus.CLASSICALLY_BROKEN for n in classically)
    assert all(status[n] is QuantumStatus.BROKEN for n in broken)
    assert CAT.get("AES-128").replacements == ("AES-256",)
    assert CAT.get("SHA-256").replacements == ("SHA-384",)
    assert "ML-DSA-65" in CAT.get("ECDSA").replacements
    assert {"ML-KEM-768", "X25519MLKEM768"} & set(CAT.get("X25519").replacements)
    # a generic entry never claims more strength than its weakest member
    assert CAT.get("AES").classical_security_bits == CAT.get("AES-128").classical_security_bits
    assert CAT.get("ML-KEM").nist_quantum_level == CAT.get("ML-KEM-512").nist_quantum_level


def test_loader_rejects_an_alias_claimed_twice() -> None:
    def entry(name: str, aliases: list[str]) -> dict[str, object]:
        return {"name": name, "family": "x", "primitive": "hash", "quantum_status": "safe",
                "aliases": aliases, "source": "test"}  # fmt: skip

    doc = {
        "schema": "qrisk.catalog.algorithms/1",
        "algorithms": [entry("A-1", ["foo_bar"]), entry("B", ["FOO-BAR"])],
    }
    with pytest.raises(CatalogError, match="ambiguous"):
        parse_algorithms(doc)


def test_shipped_yaml_is_unchanged_by_the_parse() -> None:
    from importlib import resources

    import yaml

    text = resources.files("qrisk.catalog").joinpath("algorithms.yaml").read_text(encoding="utf-8")
    reparsed: AlgorithmCatalog = parse_algorithms(yaml.safe_load(text))
    assert [e.name for e in reparsed] == [e.name for e in ENTRIES]


# --------------------------------------------------------------------------- 5. properties

ALL_ALIASES = sorted({a for e in ENTRIES for a in (e.name, *e.aliases)})
SIZED_FAMILIES = ["RSA", "DSA", "DH", "ElGamal"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_resolve_never_raises_and_never_guesses(text: str) -> None:
    res = CAT.resolve(text)
    assert res.algorithm is UNKNOWN or CAT.get(res.algorithm.name) is res.algorithm
    if res.key_size is not None:
        assert res.algorithm.name in SIZED_FAMILIES


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(ALL_ALIASES), st.data())
def test_resolution_ignores_case_and_punctuation(alias: str, data: st.DataObject) -> None:
    chars = []
    for ch in alias:
        if ch.isalpha():
            ch = ch.upper() if data.draw(st.booleans()) else ch.lower()
        chars.append(ch)
        if data.draw(st.integers(0, 9)) == 0:
            chars.append(data.draw(st.sampled_from(["-", "_", " ", "/", "."])))
    variant = "".join(chars)
    assert CAT.lookup(variant) is CAT.lookup(alias)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(SIZED_FAMILIES), st.integers(100, 99999), st.sampled_from(["", "-", "_", " "]))
def test_any_glued_key_size_is_read(family: str, size: int, sep: str) -> None:
    res = CAT.resolve(f"{family}{sep}{size}")
    assert res.algorithm.name == family
    assert res.key_size == size
