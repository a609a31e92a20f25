"""Helpers for the store, cache and Dask tests: small generated estates and detectors that
misbehave on purpose (slow, counting, killing their own worker). Importable by worker
processes (Dask workers and kill-test subprocesses get this folder on ``sys.path``)."""

from __future__ import annotations

import datetime as dt
import functools
import os
import signal
import time
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, rsa
from cryptography.x509.oid import NameOID

from qrisk.model import AssetKind
from qrisk.scan.detectors import Detector, builtin_detectors
from qrisk.scan.detectors.base import DetectorOutput, Finding

NOW = dt.datetime(2025, 1, 15, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- certificates


@functools.cache
def _keys() -> dict[str, object]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ec": ec.generate_private_key(ec.SECP256R1()),
        "mldsa": mldsa.MLDSA65PrivateKey.generate(),
    }


def mldsa_cert_pem(cn: str) -> bytes:
    """A self-signed ML-DSA-65 certificate in PEM (built by keyfactory's own encoder:
    ``cryptography`` cannot issue ML-DSA certificates)."""
    import base64

    from keyfactory import pq_certificate, spki_der

    key = _keys()["mldsa"]
    der = pq_certificate(spki_der(key.public_key()), cn, issuer_key=key, mldsa_set="65")  # type: ignore[attr-defined]
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n").encode()


def cert_pem(kind: str, cn: str, serial: int = 1) -> bytes:
    """A self-signed certificate (``rsa`` or ``ec``) in PEM."""
    key = _keys()[kind]
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(serial)  # type: ignore[attr-defined]
        .not_valid_before(NOW).not_valid_after(NOW + dt.timedelta(days=365))
    )
    cert = builder.sign(key, hashes.SHA256())  # type: ignore[arg-type]
    return cert.public_bytes(serialization.Encoding.PEM)


def write_estate(root: Path, n_files: int, *, cert_every: int = 5) -> list[Path]:
    """``n_files`` files in folders of 50: every ``cert_every``-th a certificate (RSA or EC,
    unique serial, so each is its own asset), the rest plain text."""
    root.mkdir(parents=True, exist_ok=True)
    pems = {k: [cert_pem(k, f"{k}-{i}", serial=100 + i) for i in range(8)] for k in ("rsa", "ec")}
    paths = []
    for i in range(n_files):
        d = root / f"d{i // 50:03d}"
        d.mkdir(exist_ok=True)
        if i % cert_every == 0:
            kind = "rsa" if (i // cert_every) % 2 == 0 else "ec"
            p = d / f"c{i:05d}.pem"
            p.write_bytes(pems[kind][(i // cert_every) % 8])
        else:
            p = d / f"n{i:05d}.txt"
            p.write_text(f"plain file {i}\n" * (1 + i % 7))
        paths.append(p)
    return paths


# --------------------------------------------------------------------------- detectors


class MarkerDetector(Detector):
    """Reports one algorithm finding for every ``.marker`` file; optional misbehaviour."""

    id: ClassVar[str] = "test-marker"
    description: ClassVar[str] = "test detector"
    rules: ClassVar[dict[str, str]] = {"QR-TEST-1": "a marker file"}

    def __init__(self, *, sleep_s: float = 0.0, kill_flag: str | None = None, count_dir: str | None = None) -> None:
        self.sleep_s = sleep_s
        self.kill_flag = kill_flag
        self.count_dir = count_dir

    def wants(self, path: str, head: bytes) -> bool:
        return path.endswith(".marker")

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        if self.count_dir:
            # one empty file per call: counts across processes without shared memory
            Path(self.count_dir, f"{os.getpid()}-{time.monotonic_ns()}").touch()
        if self.sleep_s:
            time.sleep(self.sleep_s)
        if self.kill_flag and b"KILL" in data and not os.path.exists(self.kill_flag):
            Path(self.kill_flag).touch()
            os.kill(os.getpid(), signal.SIGKILL)  # the worker dies mid-batch, once
        yield Finding(AssetKind.ALGORITHM, data.split(b"\n", 1)[0].decode() or "RSA", "QR-TEST-1", line=1)


def marker_detectors(*, sleep_s: float = 0.0, kill_flag: str | None = None, count_dir: str | None = None) -> list[Detector]:
    return [*builtin_detectors(), MarkerDetector(sleep_s=sleep_s, kill_flag=kill_flag, count_dir=count_dir)]


def write_markers(root: Path, n: int, *, kill_at: int | None = None) -> None:
    """``n`` marker files naming an algorithm; the one at ``kill_at`` asks to kill its worker."""
    root.mkdir(parents=True, exist_ok=True)
    algorithms = ("RSA", "ECDSA", "ML-KEM-768", "AES-128", "SHA-1")
    for i in range(n):
        d = root / f"m{i // 40:03d}"
        d.mkdir(exist_ok=True)
        body = algorithms[i % len(algorithms)] + "\n" + ("KILL\n" if i == kill_at else "")
        (d / f"f{i:05d}.marker").write_text(body)


def count_calls(count_dir: Path) -> int:
    return sum(1 for _ in count_dir.iterdir())


def require_module(name: str):  # type: ignore[no-untyped-def]
    """Import a module a test needs; in CI (``CI=true``) a missing one fails instead of skipping."""
    import importlib

    import pytest

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{name} is required in CI but cannot be imported ({exc}); .ci/run should install it")
        pytest.skip(f"{name} is not installed")
