"""Test material for the certificate and key detectors, generated on the fly.

Keys and certificates come from ``cryptography`` and from the real ``openssl`` and
``ssh-keygen`` binaries; formats ``cryptography`` cannot produce (ML-DSA certificates,
SLH-DSA and ML-KEM-512 keys, PuTTY files) are assembled here with an independent
minimal DER/SSH encoder, so the detectors are not checked against their own code.

:func:`write_key_tree` writes private keys in every format the detectors support and
returns, per file, the base64 body text of the key (for secret-leak tests).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, mldsa, mlkem, rsa, x448, x25519
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import NameOID

# Passwords and passphrases used by the generated material; none may ever appear in output.
PASSPHRASE = "Tr0ub4dor&3-qrisk-passphrase"
P12_UNKNOWN_PASSWORD = "p12-not-a-default-7Qz"
P12_DEFAULT_PASSWORD = "changeit"

NOW = dt.datetime(2025, 1, 15, 12, 0, tzinfo=dt.UTC)

# --------------------------------------------------------------------------- binaries


def require_tool(name: str) -> str:
    """Path of a binary the test needs; missing fails in CI (``CI=true``) and skips elsewhere."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " (required in CI)")
        pytest.skip(message)
    return path


def run(*args: str | os.PathLike[str], stdin: bytes | None = None) -> bytes:
    """Run a tool, returning stdout; raises with its stderr on failure."""
    proc = subprocess.run([str(a) for a in args], input=stdin, capture_output=True, check=False, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def openssl(*args: str | os.PathLike[str], stdin: bytes | None = None) -> bytes:
    return run(require_tool("openssl"), *args, stdin=stdin)


def ssh_keygen(*args: str | os.PathLike[str]) -> bytes:
    return run(require_tool("ssh-keygen"), *args)


def ssh_keygen_fingerprint(path: Path) -> str:
    """``SHA256:…`` as printed by ``ssh-keygen -lf``."""
    out = ssh_keygen("-l", "-E", "sha256", "-f", path).decode()
    return out.split()[1]


# --------------------------------------------------------------------------- keys

KEY_KINDS = (
    "rsa1024",
    "rsa2048",
    "rsa3072",
    "rsa4096",
    "p256",
    "p384",
    "p521",
    "secp256k1",
    "ed25519",
    "ed448",
    "x25519",
    "x448",
    "dsa2048",
    "mldsa44",
    "mldsa65",
    "mldsa87",
    "mlkem768",
    "mlkem1024",
)

_CURVES = {"p256": ec.SECP256R1, "p384": ec.SECP384R1, "p521": ec.SECP521R1, "secp256k1": ec.SECP256K1}


@functools.cache
def private_key(kind: str):  # type: ignore[no-untyped-def]
    """A private key of ``kind`` (cached for the session: RSA-4096 and DSA are slow)."""
    if kind.startswith("rsa"):
        return rsa.generate_private_key(65537, int(kind[3:]))
    if kind in _CURVES:
        return ec.generate_private_key(_CURVES[kind]())
    if kind.startswith("dsa"):
        return dsa.generate_private_key(int(kind[3:]))
    simple = {
        "ed25519": ed25519.Ed25519PrivateKey,
        "ed448": ed448.Ed448PrivateKey,
        "x25519": x25519.X25519PrivateKey,
        "x448": x448.X448PrivateKey,
        "mldsa44": mldsa.MLDSA44PrivateKey,
        "mldsa65": mldsa.MLDSA65PrivateKey,
        "mldsa87": mldsa.MLDSA87PrivateKey,
        "mlkem768": mlkem.MLKEM768PrivateKey,
        "mlkem1024": mlkem.MLKEM1024PrivateKey,
    }
    return simple[kind].generate()


def spki_der(public_key) -> bytes:  # type: ignore[no-untyped-def]
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def spki_fingerprint(key) -> str:  # type: ignore[no-untyped-def]
    """Lower-case hex SHA-256 of the DER SPKI of a private or public key."""
    public = key.public_key() if hasattr(key, "public_key") else key
    return hashlib.sha256(spki_der(public)).hexdigest()


def pem_private(key, fmt: str = "pkcs8", password: str | None = None) -> bytes:  # type: ignore[no-untyped-def]
    formats = {
        "pkcs8": serialization.PrivateFormat.PKCS8,
        "traditional": serialization.PrivateFormat.TraditionalOpenSSL,
        "openssh": serialization.PrivateFormat.OpenSSH,
    }
    enc = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, formats[fmt], enc)


def der_private(key, fmt: str = "pkcs8") -> bytes:  # type: ignore[no-untyped-def]
    f = (
        serialization.PrivateFormat.PKCS8
        if fmt == "pkcs8"
        else serialization.PrivateFormat.TraditionalOpenSSL
    )
    return key.private_bytes(serialization.Encoding.DER, f, serialization.NoEncryption())


def pem_public(key) -> bytes:  # type: ignore[no-untyped-def]
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def pem_body(pem: bytes | str) -> str:
    """The base64 body of the first PEM block (headers dropped, lines joined)."""
    text = pem.decode() if isinstance(pem, bytes) else pem
    lines = text.strip().splitlines()
    body = [ln for ln in lines[1:-1] if ln.strip() and ":" not in ln]
    return "".join(body)


def private_scalars_hex(key) -> list[str]:  # type: ignore[no-untyped-def]
    """Private numbers as lower-case hex (for leak tests)."""
    if isinstance(key, rsa.RSAPrivateKey):
        n = key.private_numbers()
        return [format(v, "x") for v in (n.d, n.p, n.q, n.dmp1, n.dmq1, n.iqmp)]
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return [format(key.private_numbers().private_value, "x")]
    if isinstance(key, dsa.DSAPrivateKey):
        return [format(key.private_numbers().x, "x")]
    try:
        return [key.private_bytes_raw().hex()]
    except (AttributeError, ValueError):
        return []


# --------------------------------------------------------------------------- certificates


def name(cn: str, org: str = "qrisk tests") -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )


def _hash_for(key) -> hashes.HashAlgorithm | None:  # type: ignore[no-untyped-def]
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def make_certificate(
    subject_key,  # type: ignore[no-untyped-def]
    cn: str,
    *,
    issuer_key=None,  # type: ignore[no-untyped-def]
    issuer_cert: x509.Certificate | None = None,
    ca: bool = False,
    serial: int = 0x1234ABCD,
    days: int = 365,
    sign_hash: hashes.HashAlgorithm | None = None,
) -> x509.Certificate:
    """A certificate for ``subject_key`` (a private or public key); self-signed without an issuer."""
    public = subject_key.public_key() if hasattr(subject_key, "public_key") else subject_key
    signer = issuer_key if issuer_key is not None else subject_key
    issuer_name = issuer_cert.subject if issuer_cert is not None else name(cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(issuer_name)
        .public_key(public)
        .serial_number(serial)
        .not_valid_before(NOW)
        .not_valid_after(NOW + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )
    if issuer_cert is not None:
        ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
    algorithm = sign_hash if sign_hash is not None else _hash_for(signer)
    return builder.sign(signer, algorithm)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def cert_der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def pkcs7_bundle(certs: list[x509.Certificate], encoding: str = "pem") -> bytes:
    enc = serialization.Encoding.PEM if encoding == "pem" else serialization.Encoding.DER
    return pkcs7.serialize_certificates(certs, enc)


def pkcs12_store(
    key, cert: x509.Certificate, password: str | None, cas: list[x509.Certificate] | None = None
) -> bytes:  # type: ignore[no-untyped-def]
    enc = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"qrisk-test", key, cert, cas, enc)


# --------------------------------------------------------------------------- hand-built DER

OID_ML_DSA = {
    "44": "2.16.840.1.101.3.4.3.17",
    "65": "2.16.840.1.101.3.4.3.18",
    "87": "2.16.840.1.101.3.4.3.19",
}
OID_SLH_DSA_SHA2_128S = "2.16.840.1.101.3.4.3.20"
OID_SLH_DSA_SHAKE_256F = "2.16.840.1.101.3.4.3.31"
OID_ML_KEM_512 = "2.16.840.1.101.3.4.4.1"


def der(tag: int, content: bytes) -> bytes:
    """Independent minimal DER TLV encoder (the detectors have their own)."""
    n = len(content)
    if n < 128:
        return bytes([tag, n]) + content
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def der_oid(dotted: str) -> bytes:
    arcs = [int(a) for a in dotted.split(".")]
    body = bytearray()
    for value in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        septets = []
        while True:
            septets.append(value & 0x7F)
            value >>= 7
            if not value:
                break
        for i, s in enumerate(reversed(septets)):
            body.append(s | (0x80 if i < len(septets) - 1 else 0))
    return der(0x06, bytes(body))


def _tlvs(data: bytes) -> list[bytes]:
    """Split the content of a constructed DER value into its child TLVs."""
    out = []
    pos = 0
    while pos < len(data):
        first = data[pos + 1]
        if first < 0x80:
            hl, length = 2, first
        else:
            k = first & 0x7F
            hl, length = 2 + k, int.from_bytes(data[pos + 2 : pos + 2 + k], "big")
        out.append(data[pos : pos + hl + length])
        pos += hl + length
    return out


def _content(tlv: bytes) -> bytes:
    first = tlv[1]
    return tlv[2:] if first < 0x80 else tlv[2 + (first & 0x7F) :]


def der_to_indefinite_ber(data: bytes, chunk: int = 64) -> bytes:
    """Re-encode DER the way Windows exports PFX: indefinite lengths, chunked OCTET STRINGs."""

    def encode(tlv: bytes) -> bytes:
        tag = tlv[0]
        content = _content(tlv)
        if tag & 0x20:
            return bytes([tag, 0x80]) + b"".join(encode(c) for c in _tlvs(content)) + b"\x00\x00"
        if tag == 0x04 and len(content) > chunk:
            parts = [der(0x04, content[i : i + chunk]) for i in range(0, len(content), chunk)]
            return b"\x24\x80" + b"".join(parts) + b"\x00\x00"
        return tlv

    return encode(data)


def raw_spki(oid: str, public_bits: bytes) -> bytes:
    """SubjectPublicKeyInfo with an absent-parameters AlgorithmIdentifier (RFC 9881 style)."""
    return der(0x30, der(0x30, der_oid(oid)) + der(0x03, b"\x00" + public_bits))


def raw_pkcs8(oid: str, private_octets: bytes) -> bytes:
    return der(0x30, der(0x02, b"\x00") + der(0x30, der_oid(oid)) + der(0x04, private_octets))


def slh_dsa_keys(oid: str = OID_SLH_DSA_SHA2_128S, n: int = 16) -> tuple[bytes, bytes, bytes]:
    """(SPKI DER, PKCS#8 DER, PK bytes) of a random-but-well-formed SLH-DSA key (FIPS 205 §9.1)."""
    sk_seed, sk_prf, pk_seed, pk_root = (os.urandom(n) for _ in range(4))
    pk = pk_seed + pk_root
    return raw_spki(oid, pk), raw_pkcs8(oid, sk_seed + sk_prf + pk), pk


def to_pem(label: str, der_bytes: bytes) -> bytes:
    b64 = base64.b64encode(der_bytes).decode()
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return (f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n").encode()


def pq_certificate(
    subject_public_spki: bytes,
    cn: str,
    *,
    issuer_key,  # type: ignore[no-untyped-def]
    issuer_cert: x509.Certificate | None = None,
    mldsa_set: str | None = None,
) -> bytes:
    """DER certificate for a key ``cryptography`` cannot put in a certificate (ML-DSA…).

    Built from a template signed by cryptography, with the SPKI swapped and the TBS re-signed
    by ``issuer_key`` — an EC key (ecdsa-with-SHA256) or, with ``mldsa_set``, an ML-DSA key.
    """
    placeholder = ec.generate_private_key(ec.SECP256R1())
    template = make_certificate(
        placeholder.public_key(), cn, issuer_key=placeholder, issuer_cert=issuer_cert, serial=0x5A5A
    )
    tbs_fields = _tlvs(_content(template.tbs_certificate_bytes))
    spki_index = 6 if tbs_fields[0][0] == 0xA0 else 5
    tbs_fields[spki_index] = subject_public_spki
    if mldsa_set:
        sig_alg = der(0x30, der_oid(OID_ML_DSA[mldsa_set]))
    else:
        sig_alg = der(0x30, der_oid("1.2.840.10045.4.3.2"))
    tbs_fields[2] = sig_alg
    # SKI per RFC 5280 §4.2.1.2 method 1 over the new key, replacing the template's.
    spki_fields = _tlvs(_content(subject_public_spki))
    new_ski = hashlib.sha1(_content(spki_fields[1])[1:]).digest()
    exts_index = len(tbs_fields) - 1
    ext_seq = _tlvs(_content(_content(tbs_fields[exts_index])))
    rebuilt = []
    for ext in ext_seq:
        parts = _tlvs(_content(ext))
        if parts[0] == der_oid("2.5.29.14"):
            ext = der(0x30, parts[0] + der(0x04, der(0x04, new_ski)))
        rebuilt.append(ext)
    tbs_fields[exts_index] = der(0xA3, der(0x30, b"".join(rebuilt)))
    tbs = der(0x30, b"".join(tbs_fields))
    signature = issuer_key.sign(tbs) if mldsa_set else issuer_key.sign(tbs, ec.ECDSA(hashes.SHA256()))
    return der(0x30, tbs + sig_alg + der(0x03, b"\x00" + signature))


# --------------------------------------------------------------------------- SSH


def ssh_string(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def ssh_public_line(key, comment: str = "") -> str:  # type: ignore[no-untyped-def]
    public = key.public_key() if hasattr(key, "public_key") else key
    line = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    return f"{line} {comment}".strip()


def ssh_fingerprint_of_line(line: str) -> str:
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def putty_ppk_v3(key: ed25519.Ed25519PrivateKey, comment: str, *, encrypted: bool = False) -> bytes:
    """A PuTTY v3 key file for an Ed25519 key (PuTTY's own format documentation)."""
    pub_line = ssh_public_line(key)
    public_blob = base64.b64decode(pub_line.split()[1])
    private_blob = ssh_string(key.private_bytes_raw())
    pad = (-len(private_blob)) % 16
    private_blob += b"\x00" * pad
    if encrypted:
        private_blob = os.urandom(len(private_blob))  # stands in for Argon2+AES output
    encryption = "aes256-cbc" if encrypted else "none"

    def wrap(b: bytes) -> list[str]:
        s = base64.b64encode(b).decode()
        return [s[i : i + 64] for i in range(0, len(s), 64)]

    mac_data = b"".join(
        ssh_string(x)
        for x in (b"ssh-ed25519", encryption.encode(), comment.encode(), public_blob, private_blob)
    )
    mac = hmac.new(b"", mac_data, hashlib.sha256).hexdigest()
    pub_lines = wrap(public_blob)
    priv_lines = wrap(private_blob)
    lines = [
        "PuTTY-User-Key-File-3: ssh-ed25519",
        f"Encryption: {encryption}",
        f"Comment: {comment}",
        f"Public-Lines: {len(pub_lines)}",
        *pub_lines,
    ]
    if encrypted:
        lines += [
            "Key-Derivation: Argon2id",
            "Argon2-Memory: 8192",
            "Argon2-Passes: 13",
            "Argon2-Parallelism: 1",
            "Argon2-Salt: " + os.urandom(16).hex(),
        ]
    lines += [f"Private-Lines: {len(priv_lines)}", *priv_lines, f"Private-MAC: {mac}"]
    return ("\n".join(lines) + "\n").encode()


def ssh_keygen_key(
    directory: Path,
    key_type: str,
    *,
    passphrase: str = "",
    bits: int | None = None,
    comment: str = "qrisk@test",
) -> Path:
    """Generate ``directory/id_<type>[_enc]`` (and ``.pub``) with the real ssh-keygen."""
    suffix = "_enc" if passphrase else ""
    path = directory / f"id_{key_type}{suffix}"
    args: list[str | Path] = ["-q", "-t", key_type, "-N", passphrase, "-C", comment, "-f", path]
    if bits:
        args[0:0] = ["-b", str(bits)]
    ssh_keygen(*args)
    return path


# --------------------------------------------------------------------------- the key tree


@dataclass
class KeyTree:
    """What :func:`write_key_tree` wrote."""

    bodies: dict[Path, str] = field(default_factory=dict)
    """Per file: the base64 body text of the private key it holds (DER/PKCS#12: base64 of the file)."""
    passwords: tuple[str, ...] = ()
    """Passphrases and PKCS#12 passwords used; must never appear in any output."""
    scalars_hex: tuple[str, ...] = ()
    """Private scalars as lower-case hex; must never appear in any output."""
    fingerprints: dict[Path, str] = field(default_factory=dict)
    """Per file whose public key is known: the expected SPKI SHA-256 fingerprint."""


def write_private_key_tree(root: Path) -> dict[Path, str]:
    """Private keys in every supported format under ``root``; per file, the key's base64 body text."""
    return write_key_tree(root).bodies


def write_key_tree(root: Path) -> KeyTree:
    """Like :func:`write_private_key_tree`, with the passwords, scalars and fingerprints used."""
    root.mkdir(parents=True, exist_ok=True)
    tree = KeyTree()
    scalars: list[str] = []

    def put(rel: str, content: bytes, body: str, key=None) -> Path:  # type: ignore[no-untyped-def]
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        tree.bodies[path] = body
        if key is not None:
            tree.fingerprints[path] = spki_fingerprint(key)
            scalars.extend(private_scalars_hex(key))
        return path

    rsa_key = private_key("rsa2048")
    p256 = private_key("p256")
    ed = private_key("ed25519")

    # PEM: PKCS#1, PKCS#8, SEC1, DSA, encrypted PKCS#8, legacy Proc-Type encryption.
    for kind in ("rsa2048", "p256", "p384", "secp256k1", "dsa2048"):
        key = private_key(kind)
        pem = pem_private(key, "traditional")
        put(f"pem/{kind}_traditional.pem", pem, pem_body(pem), key)
    for kind in (
        "rsa3072",
        "p521",
        "ed25519",
        "ed448",
        "x25519",
        "x448",
        "mldsa44",
        "mldsa65",
        "mldsa87",
        "mlkem768",
    ):
        key = private_key(kind)
        pem = pem_private(key, "pkcs8")
        put(f"pem/{kind}_pkcs8.key", pem, pem_body(pem), key)
    enc = pem_private(rsa_key, "pkcs8", PASSPHRASE)
    put("pem/rsa_pkcs8_encrypted.pem", enc, pem_body(enc))
    legacy = pem_private(p256, "traditional", PASSPHRASE)
    put("pem/ec_legacy_encrypted.pem", legacy, pem_body(legacy))
    plain = pem_private(rsa_key, "traditional")
    legacy_rsa = openssl("rsa", "-aes128", "-traditional", "-passout", f"pass:{PASSPHRASE}", stdin=plain)
    put("pem/rsa_legacy_openssl.pem", legacy_rsa, pem_body(legacy_rsa))
    # No telling extension.
    put("misc/server.key.bak", plain, pem_body(plain), rsa_key)
    # Cert and key in one file (the key's body is what matters here).
    cert = make_certificate(rsa_key, "bundle.example")
    put("misc/fullchain_and_key.pem", cert_pem(cert) + plain, pem_body(plain), rsa_key)
    # Kubernetes Secret: the PEM base64-encoded once more.
    ec_pem = pem_private(p256, "traditional")
    secret = (
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n"
        f"  tls.crt: {base64.b64encode(cert_pem(cert)).decode()}\n"
        f"  tls.key: {base64.b64encode(ec_pem).decode()}\n"
    ).encode()
    put("k8s/tls-secret.yaml", secret, pem_body(ec_pem), p256)

    # DER.
    for kind, fmt in (
        ("rsa2048", "traditional"),
        ("p384", "pkcs8"),
        ("ed25519", "pkcs8"),
        ("mldsa65", "pkcs8"),
    ):
        key = private_key(kind)
        blob = der_private(key, fmt)
        put(f"der/{kind}_{fmt}.der", blob, base64.b64encode(blob).decode(), key)

    # OpenSSH: cryptography and ssh-keygen, with and without passphrase.
    ossh = pem_private(ed, "openssh")
    put("ssh/cryptography_ed25519", ossh, pem_body(ossh), ed)
    ssh_dir = root / "ssh"
    ssh_dir.mkdir(parents=True, exist_ok=True)
    for key_type, bits in (("rsa", 3072), ("ecdsa", 256), ("ed25519", None)):
        for passphrase in ("", PASSPHRASE):
            path = ssh_keygen_key(ssh_dir, key_type, passphrase=passphrase, bits=bits)
            text = path.read_bytes()
            tree.bodies[path] = pem_body(text)
            pub = serialization.load_ssh_public_key(path.with_suffix(".pub").read_bytes())
            tree.fingerprints[path] = spki_fingerprint(pub)
            if not passphrase:
                loaded = serialization.load_ssh_private_key(text, None)
                scalars.extend(private_scalars_hex(loaded))
            path.with_suffix(".pub").unlink()  # the tree holds private keys only

    # PuTTY.
    ppk = putty_ppk_v3(ed, "qrisk@putty")
    priv_b64 = "".join(ppk.decode().split("Private-Lines: ")[1].splitlines()[1:-1])
    put("ssh/putty.ppk", ppk, priv_b64)

    # PKCS#12: no password, a well-known default, and an unknown password.
    for label, password in (
        ("none", None),
        ("default", P12_DEFAULT_PASSWORD),
        ("unknown", P12_UNKNOWN_PASSWORD),
    ):
        store = pkcs12_store(rsa_key, cert, password)
        put(f"p12/{label}.p12", store, base64.b64encode(store).decode())
    legacy_store = openssl(
        "pkcs12",
        "-export",
        "-legacy",
        "-passout",
        f"pass:{P12_DEFAULT_PASSWORD}",
        "-passin",
        "pass:",
        "-in",
        write_temp(root / "p12/.src.pem", cert_pem(cert) + plain),
    )
    (root / "p12/.src.pem").unlink()
    put("p12/legacy_default.pfx", legacy_store, base64.b64encode(legacy_store).decode())

    tree.passwords = (PASSPHRASE, P12_UNKNOWN_PASSWORD, P12_DEFAULT_PASSWORD)
    tree.scalars_hex = tuple(s for s in scalars if len(s) >= 32)
    return tree


def write_temp(path: Path, content: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


# --------------------------------------------------------------------------- leak checks


def output_strings(outputs) -> list[str]:  # type: ignore[no-untyped-def]
    """Every string reachable from detector outputs (dataclasses, tuples, enums, datetimes)."""
    import dataclasses

    found: list[str] = []

    def walk(value) -> None:  # type: ignore[no-untyped-def]
        if isinstance(value, str):
            found.append(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))
        elif isinstance(value, list | tuple | set | frozenset):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(k)
                walk(v)
        elif value is not None:
            found.append(str(value))

    walk(list(outputs))
    return found


def leaked_runs(texts: list[str], secrets: list[str], run: int = 32) -> list[str]:
    """Every ``run``-character window of a secret found in one of ``texts``.

    Secrets shorter than ``run`` (passwords) count when they appear whole.
    """
    windows: set[str] = set()
    short: list[str] = []
    for secret in secrets:
        compact = "".join(secret.split())
        if len(compact) < run:
            if compact:
                short.append(compact)
            continue
        windows.update(compact[i : i + run] for i in range(len(compact) - run + 1))
    hits = []
    for text in texts:
        hits.extend(s for s in short if s in text)
        for i in range(len(text) - run + 1):
            if text[i : i + run] in windows:
                hits.append(text[i : i + run])
                break
    return hits
