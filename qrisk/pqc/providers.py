"""One interface for KEMs and signatures over two providers: liboqs (``oqs``) and pyca ``cryptography``.

* ``oqs`` (liboqs-python) exposes every KEM and signature the native liboqs enables. It is
  used whenever liboqs is present; :mod:`qrisk.pqc.liboqs` finds the library *before*
  ``oqs`` is imported and says why the provider is unavailable otherwise.
* ``cryptography`` (OpenSSL inside the wheel) gives ML-KEM-768/1024 (FIPS 203), ML-DSA-44/65/87
  (FIPS 204) and the classical halves and baselines: X25519, ECDH P-256/P-384, RSA-OAEP,
  Ed25519, ECDSA P-256/P-384, RSA-PSS.

Keys cross the interface as bytes in the standard encodings (public keys, ciphertexts,
signatures), so a public key from one provider works with another. Secret keys stay inside a
:class:`KeyPair` handle whose ``repr`` never shows them. Diffie-Hellman groups are used as
KEMs the way TLS key shares use them: the ciphertext is the encapsulator's ephemeral public
key and the shared secret the raw DH output.

Sizes and NIST categories of the ``cryptography`` algorithms come from ``catalog/pqc.yaml``;
those of ``oqs`` algorithms from liboqs itself.
"""

from __future__ import annotations

import abc
import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, NamedTuple

from qrisk.errors import QriskError
from qrisk.pqc.facts import Kind, Sizes, facts
from qrisk.pqc.liboqs import LiboqsProbe, LiboqsUnavailable, find_liboqs, import_oqs


class PqcError(QriskError):
    """A PQC operation got bad input (wrong length, invalid point, unknown algorithm...)."""


@dataclass(frozen=True)
class AlgorithmInfo:
    """What one provider's implementation of an algorithm is."""

    name: str
    """Name used by qrisk: the pqc.yaml id (== catalog name where one exists), else the native name."""
    kind: Kind
    provider: str
    canonical: str | None
    """Canonical algorithms.yaml name, or None when qrisk has no entry for it."""
    nist_level: int | None
    """NIST PQC security category (0 = classical)."""
    sizes: Sizes
    """Sizes of *this provider's* encodings; ``secret_key_bytes`` is the exported secret key
    (e.g. the 64-byte FIPS 203 seed for pyca), None when variable (PKCS#8 DER)."""
    native_name: str
    """The provider's own name for it (liboqs mechanism name, pyca class)."""
    key_size: int | None = None


class KeyPair:
    """A key pair: public key bytes and a provider-native secret handle (never printed)."""

    __slots__ = ("algorithm", "public_key", "secret")

    def __init__(self, algorithm: str, public_key: bytes, secret: Any) -> None:
        self.algorithm = algorithm
        self.public_key = public_key
        self.secret = secret

    def __repr__(self) -> str:
        return f"KeyPair({self.algorithm}, public_key={len(self.public_key)} bytes, secret=<redacted>)"

    __str__ = __repr__


class Encapsulation(NamedTuple):
    """Result of encapsulation: what goes on the wire and what stays."""

    ciphertext: bytes
    shared_secret: bytes


class Kem(abc.ABC):
    """A key-encapsulation mechanism (FIPS 203 §7 interface: KeyGen, Encaps, Decaps)."""

    info: AlgorithmInfo

    @abc.abstractmethod
    def keygen(self) -> KeyPair: ...

    @abc.abstractmethod
    def encapsulate(self, public_key: bytes) -> Encapsulation: ...

    @abc.abstractmethod
    def decapsulate(self, keypair: KeyPair, ciphertext: bytes) -> bytes: ...

    @abc.abstractmethod
    def export_secret_key(self, keypair: KeyPair) -> bytes:
        """The provider's secret-key encoding (handle with care; never log it)."""

    @abc.abstractmethod
    def import_secret_key(self, secret_key: bytes, public_key: bytes) -> KeyPair: ...

    def __repr__(self) -> str:
        return f"<KEM {self.info.name} ({self.info.provider})>"


class SignatureScheme(abc.ABC):
    """A signature scheme (KeyGen, Sign, Verify)."""

    info: AlgorithmInfo

    @abc.abstractmethod
    def keygen(self) -> KeyPair: ...

    @abc.abstractmethod
    def sign(self, keypair: KeyPair, message: bytes) -> bytes: ...

    @abc.abstractmethod
    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        """True for a valid signature; False for an invalid one or a malformed public key."""

    def __repr__(self) -> str:
        return f"<signature {self.info.name} ({self.info.provider})>"


@dataclass(frozen=True)
class ProviderStatus:
    """Whether a provider can run here, and why not."""

    name: str
    available: bool
    reason: str
    """Why it is unavailable, or what backs it when available."""
    version: str | None = None
    kems: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()


class Provider(abc.ABC):
    """A source of KEM and signature implementations."""

    name: str = ""
    description: str = ""

    @abc.abstractmethod
    def status(self) -> ProviderStatus: ...

    @abc.abstractmethod
    def kems(self) -> Mapping[str, Kem]: ...

    @abc.abstractmethod
    def signatures(self) -> Mapping[str, SignatureScheme]: ...

    def algorithm(self, name: str) -> Kem | SignatureScheme:
        """One algorithm by qrisk name (or native name)."""
        for table in (self.kems(), self.signatures()):
            if name in table:
                return table[name]
        for table in (self.kems(), self.signatures()):
            for alg in table.values():
                if alg.info.native_name == name:
                    return alg
        raise PqcError(f"provider {self.name} has no algorithm {name!r}")


def _check_len(what: str, data: bytes, expected: int | None, algorithm: str) -> None:
    if expected is not None and len(data) != expected:
        raise PqcError(f"{algorithm}: {what} must be {expected} bytes, got {len(data)}")


# =========================================================================== pyca cryptography


def _pyca_info(alg_id: str, native: str, secret_key_bytes: int | None) -> AlgorithmInfo:
    f = facts(alg_id)
    return AlgorithmInfo(
        name=alg_id,
        kind=f.kind,
        provider="cryptography",
        canonical=f.name,
        nist_level=f.nist_level,
        sizes=replace(f.sizes, secret_key_bytes=secret_key_bytes),
        native_name=native,
        key_size=f.key_size,
    )


class _PycaMlKem(Kem):
    """FIPS 203 ML-KEM through OpenSSL; secret keys export as the 64-byte seed d||z (§7.1)."""

    def __init__(self, alg_id: str, private_cls: Any, public_cls: Any) -> None:
        self._priv = private_cls
        self._pub = public_cls
        self.info = _pyca_info(alg_id, private_cls.__name__, facts(alg_id).sizes.seed_bytes)
        self._pk_len = self.info.sizes.public_key_bytes
        self._ct_len = self.info.sizes.ciphertext_bytes

    def keygen(self) -> KeyPair:
        sk = self._priv.generate()
        return KeyPair(self.info.name, sk.public_key().public_bytes_raw(), sk)

    def encapsulate(self, public_key: bytes) -> Encapsulation:
        if len(public_key) != self._pk_len:
            _check_len("public key", public_key, self._pk_len, self.info.name)
        try:
            # FIPS 203 §7.2: the encapsulation-key check runs inside from_public_bytes.
            ss, ct = self._pub.from_public_bytes(public_key).encapsulate()
        except ValueError as exc:
            raise PqcError(f"{self.info.name}: invalid public key ({exc})") from None
        return Encapsulation(ct, ss)

    def decapsulate(self, keypair: KeyPair, ciphertext: bytes) -> bytes:
        if len(ciphertext) != self._ct_len:
            _check_len("ciphertext", ciphertext, self._ct_len, self.info.name)
        # FIPS 203 §6.3: a wrong ciphertext yields an implicit-rejection key, not an error.
        return keypair.secret.decapsulate(ciphertext)

    def export_secret_key(self, keypair: KeyPair) -> bytes:
        return keypair.secret.private_bytes_raw()

    def import_secret_key(self, secret_key: bytes, public_key: bytes = b"") -> KeyPair:
        _check_len("seed", secret_key, self.info.sizes.secret_key_bytes, self.info.name)
        sk = self._priv.from_seed_bytes(secret_key)
        return KeyPair(self.info.name, sk.public_key().public_bytes_raw(), sk)


class _PycaX25519Kem(Kem):
    """X25519 (RFC 7748) as a KEM: ciphertext = ephemeral public key, secret = X25519(e, pk)."""

    def __init__(self) -> None:
        from cryptography.hazmat.primitives.asymmetric import x25519

        self._x = x25519
        self.info = _pyca_info("X25519", "X25519PrivateKey", facts("X25519").sizes.secret_key_bytes)

    def keygen(self) -> KeyPair:
        sk = self._x.X25519PrivateKey.generate()
        return KeyPair("X25519", sk.public_key().public_bytes_raw(), sk)

    def encapsulate(self, public_key: bytes) -> Encapsulation:
        _check_len("public key", public_key, 32, "X25519")
        eph = self._x.X25519PrivateKey.generate()
        try:
            ss = eph.exchange(self._x.X25519PublicKey.from_public_bytes(public_key))
        except ValueError as exc:  # all-zero output (small-order point), RFC 7748 §6.1
            raise PqcError(f"X25519: invalid public key ({exc})") from None
        return Encapsulation(eph.public_key().public_bytes_raw(), ss)

    def decapsulate(self, keypair: KeyPair, ciphertext: bytes) -> bytes:
        _check_len("ciphertext", ciphertext, 32, "X25519")
        try:
            return keypair.secret.exchange(self._x.X25519PublicKey.from_public_bytes(ciphertext))
        except ValueError as exc:
            raise PqcError(f"X25519: invalid ciphertext ({exc})") from None

    def export_secret_key(self, keypair: KeyPair) -> bytes:
        return keypair.secret.private_bytes_raw()

    def import_secret_key(self, secret_key: bytes, public_key: bytes = b"") -> KeyPair:
        _check_len("secret key", secret_key, 32, "X25519")
        sk = self._x.X25519PrivateKey.from_private_bytes(secret_key)
        return KeyPair("X25519", sk.public_key().public_bytes_raw(), sk)


class _PycaEcdhKem(Kem):
    """ECDH on a NIST curve as a KEM (SP 800-56A §5.7.1.2); points are uncompressed SEC 1."""

    def __init__(self, alg_id: str, curve: Any) -> None:
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self._ec = ec
        self._curve = curve
        self._enc = (Encoding.X962, PublicFormat.UncompressedPoint)
        self.info = _pyca_info(alg_id, f"ECDH({curve.name})", facts(alg_id).sizes.secret_key_bytes)
        self._n = self.info.sizes.secret_key_bytes or 0

    def _point(self, data: bytes, what: str) -> Any:
        _check_len(what, data, self.info.sizes.public_key_bytes, self.info.name)
        try:
            return self._ec.EllipticCurvePublicKey.from_encoded_point(self._curve, data)
        except ValueError as exc:
            raise PqcError(f"{self.info.name}: invalid {what} ({exc})") from None

    def keygen(self) -> KeyPair:
        sk = self._ec.generate_private_key(self._curve)
        return KeyPair(self.info.name, sk.public_key().public_bytes(*self._enc), sk)

    def encapsulate(self, public_key: bytes) -> Encapsulation:
        peer = self._point(public_key, "public key")
        eph = self._ec.generate_private_key(self._curve)
        ss = eph.exchange(self._ec.ECDH(), peer)
        return Encapsulation(eph.public_key().public_bytes(*self._enc), ss)

    def decapsulate(self, keypair: KeyPair, ciphertext: bytes) -> bytes:
        return keypair.secret.exchange(self._ec.ECDH(), self._point(ciphertext, "ciphertext"))

    def export_secret_key(self, keypair: KeyPair) -> bytes:
        return keypair.secret.private_numbers().private_value.to_bytes(self._n, "big")

    def import_secret_key(self, secret_key: bytes, public_key: bytes = b"") -> KeyPair:
        _check_len("secret key", secret_key, self._n, self.info.name)
        sk = self._ec.derive_private_key(int.from_bytes(secret_key, "big"), self._curve)
        return KeyPair(self.info.name, sk.public_key().public_bytes(*self._enc), sk)


class _PycaRsaOaepKem(Kem):
    """RSA-OAEP-SHA256 key transport of a random 32-byte secret (RFC 8017 §7.1): the RSA baseline."""

    def __init__(self, alg_id: str, bits: int) -> None:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        self._rsa = rsa
        self._ser = serialization
        self._bits = bits
        self._pad = padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
        self.info = _pyca_info(alg_id, f"RSAES-OAEP-{bits}", None)

    def keygen(self) -> KeyPair:
        sk = self._rsa.generate_private_key(public_exponent=65537, key_size=self._bits)
        pk = sk.public_key().public_bytes(
            self._ser.Encoding.DER, self._ser.PublicFormat.SubjectPublicKeyInfo
        )
        return KeyPair(self.info.name, pk, sk)

    def encapsulate(self, public_key: bytes) -> Encapsulation:
        try:
            pub = self._ser.load_der_public_key(public_key)
        except ValueError as exc:
            raise PqcError(f"{self.info.name}: invalid public key ({exc})") from None
        if not isinstance(pub, self._rsa.RSAPublicKey) or pub.key_size != self._bits:
            raise PqcError(f"{self.info.name}: not an RSA-{self._bits} public key")
        ss = os.urandom(32)
        return Encapsulation(pub.encrypt(ss, self._pad), ss)

    def decapsulate(self, keypair: KeyPair, ciphertext: bytes) -> bytes:
        _check_len("ciphertext", ciphertext, self.info.sizes.ciphertext_bytes, self.info.name)
        try:
            return keypair.secret.decrypt(ciphertext, self._pad)
        except ValueError:
            raise PqcError(f"{self.info.name}: decryption failed") from None

    def export_secret_key(self, keypair: KeyPair) -> bytes:
        return keypair.secret.private_bytes(
            self._ser.Encoding.DER, self._ser.PrivateFormat.PKCS8, self._ser.NoEncryption()
        )

    def import_secret_key(self, secret_key: bytes, public_key: bytes = b"") -> KeyPair:
        sk = self._ser.load_der_private_key(secret_key, password=None)
        pk = sk.public_key().public_bytes(self._ser.Encoding.DER, self._ser.PublicFormat.SubjectPublicKeyInfo)
        return KeyPair(self.info.name, pk, sk)


class _PycaMlDsa(SignatureScheme):
    """FIPS 204 ML-DSA (pure, empty context, hedged signing); secret keys export as the 32-byte seed."""

    def __init__(self, alg_id: str, private_cls: Any, public_cls: Any) -> None:
        from cryptography.exceptions import InvalidSignature

        self._invalid = InvalidSignature
        self._priv = private_cls
        self._pub = public_cls
        self.info = _pyca_info(alg_id, private_cls.__name__, facts(alg_id).sizes.seed_bytes)
        self._pk_len = self.info.sizes.public_key_bytes

    def keygen(self) -> KeyPair:
        sk = self._priv.generate()
        return KeyPair(self.info.name, sk.public_key().public_bytes_raw(), sk)

    def sign(self, keypair: KeyPair, message: bytes) -> bytes:
        return keypair.secret.sign(message)

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        if len(public_key) != self._pk_len:
            return False
        try:
            self._pub.from_public_bytes(public_key).verify(signature, message)
        except (self._invalid, ValueError):
            return False
        return True


class _PycaEd25519(SignatureScheme):
    """Ed25519 (RFC 8032 §5.1)."""

    def __init__(self) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric import ed25519

        self._invalid = InvalidSignature
        self._ed = ed25519
        self.info = _pyca_info("Ed25519", "Ed25519PrivateKey", facts("Ed25519").sizes.secret_key_bytes)

    def keygen(self) -> KeyPair:
        sk = self._ed.Ed25519PrivateKey.generate()
        return KeyPair("Ed25519", sk.public_key().public_bytes_raw(), sk)

    def sign(self, keypair: KeyPair, message: bytes) -> bytes:
        return keypair.secret.sign(message)

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        try:
            self._ed.Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
        except (self._invalid, ValueError):
            return False
        return True


class _PycaEcdsa(SignatureScheme):
    """ECDSA (FIPS 186-5 §6) with DER signatures and uncompressed public points."""

    def __init__(self, alg_id: str, curve: Any, hash_cls: Any) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self._invalid = InvalidSignature
        self._ec = ec
        self._curve = curve
        self._alg = ec.ECDSA(hash_cls())
        self._enc = (Encoding.X962, PublicFormat.UncompressedPoint)
        self.info = _pyca_info(alg_id, f"ECDSA({curve.name})", facts(alg_id).sizes.secret_key_bytes)

    def keygen(self) -> KeyPair:
        sk = self._ec.generate_private_key(self._curve)
        return KeyPair(self.info.name, sk.public_key().public_bytes(*self._enc), sk)

    def sign(self, keypair: KeyPair, message: bytes) -> bytes:
        return keypair.secret.sign(message, self._alg)

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        try:
            pub = self._ec.EllipticCurvePublicKey.from_encoded_point(self._curve, public_key)
            pub.verify(signature, message, self._alg)
        except (self._invalid, ValueError):
            return False
        return True


class _PycaRsaPss(SignatureScheme):
    """RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 8017 §8.1, FIPS 186-5 §5.4)."""

    def __init__(self, alg_id: str, bits: int) -> None:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        self._invalid = InvalidSignature
        self._rsa = rsa
        self._ser = serialization
        self._bits = bits
        self._hash = hashes.SHA256()
        self._pad = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        self.info = _pyca_info(alg_id, f"RSASSA-PSS-{bits}", None)

    def keygen(self) -> KeyPair:
        sk = self._rsa.generate_private_key(public_exponent=65537, key_size=self._bits)
        pk = sk.public_key().public_bytes(
            self._ser.Encoding.DER, self._ser.PublicFormat.SubjectPublicKeyInfo
        )
        return KeyPair(self.info.name, pk, sk)

    def sign(self, keypair: KeyPair, message: bytes) -> bytes:
        return keypair.secret.sign(message, self._pad, self._hash)

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        try:
            pub = self._ser.load_der_public_key(public_key)
            if not isinstance(pub, self._rsa.RSAPublicKey):
                return False
            pub.verify(signature, message, self._pad, self._hash)
        except (self._invalid, ValueError):
            return False
        return True


class PycaProvider(Provider):
    """pyca ``cryptography`` (OpenSSL ≥ 3.5 inside the wheel)."""

    name = "cryptography"
    description = "pyca/cryptography with the OpenSSL bundled in its wheel"

    def __init__(self) -> None:
        self._kems: dict[str, Kem] | None = None
        self._sigs: dict[str, SignatureScheme] | None = None
        self._missing: list[str] = []

    def _load(self) -> None:
        if self._kems is not None:
            return
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        kems: dict[str, Kem] = {}
        sigs: dict[str, SignatureScheme] = {}
        try:
            from cryptography.hazmat.primitives.asymmetric import mlkem

            kems["ML-KEM-768"] = _PycaMlKem("ML-KEM-768", mlkem.MLKEM768PrivateKey, mlkem.MLKEM768PublicKey)
            kems["ML-KEM-1024"] = _PycaMlKem(
                "ML-KEM-1024", mlkem.MLKEM1024PrivateKey, mlkem.MLKEM1024PublicKey
            )
        except ImportError:  # cryptography < 48 has no ML-KEM
            self._missing.append("ML-KEM (needs cryptography >= 48)")
        kems["X25519"] = _PycaX25519Kem()
        kems["ECDH-P256"] = _PycaEcdhKem("ECDH-P256", ec.SECP256R1())
        kems["ECDH-P384"] = _PycaEcdhKem("ECDH-P384", ec.SECP384R1())
        kems["RSA-OAEP-2048"] = _PycaRsaOaepKem("RSA-OAEP-2048", 2048)
        try:
            from cryptography.hazmat.primitives.asymmetric import mldsa

            for level in (44, 65, 87):
                sigs[f"ML-DSA-{level}"] = _PycaMlDsa(
                    f"ML-DSA-{level}",
                    getattr(mldsa, f"MLDSA{level}PrivateKey"),
                    getattr(mldsa, f"MLDSA{level}PublicKey"),
                )
        except ImportError:
            self._missing.append("ML-DSA (needs cryptography >= 47)")
        sigs["Ed25519"] = _PycaEd25519()
        sigs["ECDSA-P256"] = _PycaEcdsa("ECDSA-P256", ec.SECP256R1(), hashes.SHA256)
        sigs["ECDSA-P384"] = _PycaEcdsa("ECDSA-P384", ec.SECP384R1(), hashes.SHA384)
        sigs["RSA-PSS-2048"] = _PycaRsaPss("RSA-PSS-2048", 2048)
        sigs["RSA-PSS-3072"] = _PycaRsaPss("RSA-PSS-3072", 3072)
        self._kems, self._sigs = kems, sigs

    def status(self) -> ProviderStatus:
        try:
            import cryptography
            from cryptography.hazmat.backends.openssl.backend import backend

            self._load()
        except Exception as exc:  # a broken install must not take the CLI down
            return ProviderStatus(self.name, False, f"cryptography unusable: {exc}")
        reason = backend.openssl_version_text()
        if self._missing:
            reason += "; missing: " + ", ".join(self._missing)
        return ProviderStatus(
            self.name,
            True,
            reason,
            cryptography.__version__,
            tuple(self.kems()),
            tuple(self.signatures()),
        )

    def kems(self) -> Mapping[str, Kem]:
        self._load()
        assert self._kems is not None
        return MappingProxyType(self._kems)

    def signatures(self) -> Mapping[str, SignatureScheme]:
        self._load()
        assert self._sigs is not None
        return MappingProxyType(self._sigs)


# =========================================================================== liboqs via oqs

_SLH_RE = re.compile(r"^SLH_DSA_PURE_(SHA2|SHAKE)_(\d+)([SF])$")
#: liboqs mechanism name -> canonical catalog name, only where the mapping is one-to-one.
_OQS_CANONICAL = {
    **{f"ML-KEM-{n}": f"ML-KEM-{n}" for n in (512, 768, 1024)},
    **{f"ML-DSA-{n}": f"ML-DSA-{n}" for n in (44, 65, 87)},
    **{f"HQC-{n}": f"HQC-{n}" for n in (128, 192, 256)},
    **{
        f"Classic-McEliece-{p}": f"Classic-McEliece-{p}"
        for p in ("348864", "460896", "6688128", "6960119", "8192128")
    },
    # Falcon round 3 is what FIPS 206 (draft) standardises as FN-DSA.
    "Falcon-512": "FN-DSA-512",
    "Falcon-1024": "FN-DSA-1024",
}
#: Several liboqs variants of one catalog algorithm keep their liboqs name but point at it.
_OQS_FAMILY = {
    "FrodoKEM-640-AES": "FrodoKEM-640",
    "FrodoKEM-640-SHAKE": "FrodoKEM-640",
    "FrodoKEM-976-AES": "FrodoKEM-976",
    "FrodoKEM-976-SHAKE": "FrodoKEM-976",
    "FrodoKEM-1344-AES": "FrodoKEM-1344",
    "FrodoKEM-1344-SHAKE": "FrodoKEM-1344",
}


def oqs_canonical_name(mechanism: str) -> tuple[str, str | None]:
    """(qrisk name, canonical catalog name) for a liboqs mechanism name."""
    if mechanism in _OQS_CANONICAL:
        return _OQS_CANONICAL[mechanism], _OQS_CANONICAL[mechanism]
    m = _SLH_RE.match(mechanism)
    if m:
        name = f"SLH-DSA-{m.group(1)}-{m.group(2)}{m.group(3).lower()}"
        return name, name
    return mechanism, _OQS_FAMILY.get(mechanism)


def _oqs_result(value: Any, what: str, name: str) -> Any:
    # Older liboqs-python returns 0 instead of raising when the C call fails.
    if isinstance(value, int) and value == 0:
        raise PqcError(f"{name}: liboqs {what} failed")
    return value


class _OqsKem(Kem):
    def __init__(self, oqs: Any, mechanism: str) -> None:
        self._oqs = oqs
        self._mech = mechanism
        probe = oqs.KeyEncapsulation(mechanism)
        d = probe.details
        name, canonical = oqs_canonical_name(mechanism)
        self.info = AlgorithmInfo(
            name=name,
            kind=Kind.KEM,
            provider="oqs",
            canonical=canonical,
            nist_level=int(d["claimed_nist_level"]),
            sizes=Sizes(
                public_key_bytes=int(d["length_public_key"]),
                secret_key_bytes=int(d["length_secret_key"]),
                ciphertext_bytes=int(d["length_ciphertext"]),
                shared_secret_bytes=int(d["length_shared_secret"]),
            ),
            native_name=mechanism,
        )
        self._encapsulator = probe  # encap_secret uses no key state; reuse one native object

    def keygen(self) -> KeyPair:
        kem = self._oqs.KeyEncapsulation(self._mech)
        pk = _oqs_result(kem.generate_keypair(), "keygen", self.info.name)
        return KeyPair(self.info.name, bytes(pk), kem)

    def encapsulate(self, public_key: bytes) -> Encapsulation:
        _check_len("public key", public_key, self.info.sizes.public_key_bytes, self.info.name)
        try:
            ct, ss = self._encapsulator.encap_secret(public_key)
        except RuntimeError as exc:
            raise PqcError(f"{self.info.name}: encapsulation failed ({exc})") from None
        return Encapsulation(bytes(ct), bytes(_oqs_result(ss, "encaps", self.info.name)))

    def decapsulate(self, keypair: KeyPair, ciphertext: bytes) -> bytes:
        _check_len("ciphertext", ciphertext, self.info.sizes.ciphertext_bytes, self.info.name)
        try:
            ss = keypair.secret.decap_secret(ciphertext)
        except RuntimeError as exc:
            raise PqcError(f"{self.info.name}: decapsulation failed ({exc})") from None
        return bytes(_oqs_result(ss, "decaps", self.info.name))

    def export_secret_key(self, keypair: KeyPair) -> bytes:
        return bytes(keypair.secret.export_secret_key())

    def import_secret_key(self, secret_key: bytes, public_key: bytes) -> KeyPair:
        _check_len("secret key", secret_key, self.info.sizes.secret_key_bytes, self.info.name)
        return KeyPair(self.info.name, public_key, self._oqs.KeyEncapsulation(self._mech, secret_key))


class _OqsSignature(SignatureScheme):
    def __init__(self, oqs: Any, mechanism: str) -> None:
        self._oqs = oqs
        self._mech = mechanism
        probe = oqs.Signature(mechanism)
        d = probe.details
        name, canonical = oqs_canonical_name(mechanism)
        self.info = AlgorithmInfo(
            name=name,
            kind=Kind.SIGNATURE,
            provider="oqs",
            canonical=canonical,
            nist_level=int(d["claimed_nist_level"]),
            sizes=Sizes(
                public_key_bytes=int(d["length_public_key"]),
                secret_key_bytes=int(d["length_secret_key"]),
                signature_bytes=int(d["length_signature"]),
                # liboqs reports the maximum; only some schemes (ML-DSA, SLH-DSA) are fixed.
                signature_fixed=canonical is not None and not canonical.startswith("FN-DSA"),
            ),
            native_name=mechanism,
        )
        self._verifier = probe

    def keygen(self) -> KeyPair:
        sig = self._oqs.Signature(self._mech)
        pk = _oqs_result(sig.generate_keypair(), "keygen", self.info.name)
        return KeyPair(self.info.name, bytes(pk), sig)

    def sign(self, keypair: KeyPair, message: bytes) -> bytes:
        try:
            return bytes(_oqs_result(keypair.secret.sign(message), "sign", self.info.name))
        except RuntimeError as exc:
            raise PqcError(f"{self.info.name}: signing failed ({exc})") from None

    def verify(self, public_key: bytes, message: bytes, signature: bytes) -> bool:
        if len(public_key) != self.info.sizes.public_key_bytes:
            return False
        try:
            return bool(self._verifier.verify(message, signature, public_key))
        except RuntimeError:
            return False


class OqsProvider(Provider):
    """liboqs through liboqs-python; every enabled KEM and signature."""

    name = "oqs"
    description = "liboqs (Open Quantum Safe) through liboqs-python"

    def __init__(self, probe: Callable[[], LiboqsProbe] = find_liboqs) -> None:
        self._probe_fn = probe
        self._probe: LiboqsProbe | None = None
        self._oqs: Any = None
        self._error: str | None = None
        self._kems: dict[str, Kem] | None = None
        self._sigs: dict[str, SignatureScheme] | None = None

    def _module(self) -> Any:
        if self._oqs is None and self._error is None:
            self._probe = self._probe_fn()
            try:
                self._oqs = import_oqs(self._probe)
            except LiboqsUnavailable as exc:
                self._error = str(exc)
        if self._oqs is None:
            raise PqcError(f"oqs provider unavailable: {self._error}")
        return self._oqs

    def status(self) -> ProviderStatus:
        try:
            oqs = self._module()
            kems, sigs = self.kems(), self.signatures()
        except PqcError:
            return ProviderStatus(self.name, False, self._error or "unavailable")
        version = getattr(oqs, "oqs_version", lambda: None)()
        probe = self._probe
        where = f"liboqs {version} at {probe.library}" if probe else f"liboqs {version}"
        return ProviderStatus(self.name, True, where, version, tuple(kems), tuple(sigs))

    def _load(self) -> None:
        if self._kems is not None:
            return
        oqs = self._module()
        kems: dict[str, Kem] = {}
        sigs: dict[str, SignatureScheme] = {}
        for mech in oqs.get_enabled_kem_mechanisms():
            k = _OqsKem(oqs, mech)
            kems.setdefault(k.info.name, k)
        for mech in oqs.get_enabled_sig_mechanisms():
            s = _OqsSignature(oqs, mech)
            sigs.setdefault(s.info.name, s)
        self._kems, self._sigs = kems, sigs

    def kems(self) -> Mapping[str, Kem]:
        self._load()
        assert self._kems is not None
        return MappingProxyType(self._kems)

    def signatures(self) -> Mapping[str, SignatureScheme]:
        self._load()
        assert self._sigs is not None
        return MappingProxyType(self._sigs)


# =========================================================================== registry

#: Built-in providers in order of preference: liboqs whenever it is present.
PROVIDER_CLASSES: dict[str, type[Provider]] = {"oqs": OqsProvider, "cryptography": PycaProvider}


@functools.cache
def get_provider(name: str) -> Provider:
    """The (shared) provider instance by name."""
    try:
        return PROVIDER_CLASSES[name]()
    except KeyError:
        known = ", ".join(PROVIDER_CLASSES)
        raise PqcError(f"unknown PQC provider {name!r} (known: {known})") from None


def provider_statuses() -> list[ProviderStatus]:
    """Every built-in provider with whether it runs here and why not."""
    return [get_provider(name).status() for name in PROVIDER_CLASSES]


def available_providers() -> list[Provider]:
    """Providers that can run here, in order of preference."""
    return [get_provider(s.name) for s in provider_statuses() if s.available]


def find_algorithm(name: str, provider: str | None = None) -> Kem | SignatureScheme:
    """An algorithm from the named provider, else from the first available one that has it."""
    if provider is not None:
        return get_provider(provider).algorithm(name)
    for prov in available_providers():
        try:
            return prov.algorithm(name)
        except PqcError:
            continue
    raise PqcError(f"no available PQC provider implements {name!r}")


def find_kem(name: str, provider: str | None = None) -> Kem:
    alg = find_algorithm(name, provider)
    if not isinstance(alg, Kem):
        raise PqcError(f"{name} is a signature scheme, not a KEM")
    return alg


def find_signature(name: str, provider: str | None = None) -> SignatureScheme:
    alg = find_algorithm(name, provider)
    if not isinstance(alg, SignatureScheme):
        raise PqcError(f"{name} is a KEM, not a signature scheme")
    return alg
