"""Fixtures for the PQC engine tests: provider parameters, vectors, a real PQ TLS peer (deno).

Skip policy: the only skip allowed in CI is liboqs missing (its reason says where qrisk
looked). Anything else a test needs and CI lacks fails the test when CI=true.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(ok: bool, what: str) -> None:
    """Skip locally, fail in CI, when a component other than liboqs is missing."""
    if ok:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but missing (.ci/run must install it)")
    pytest.skip(f"{what} is missing")


def load_json(name: str) -> dict:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def xwing_vectors() -> list[dict[str, str]]:
    return load_json("xwing_draft10_vectors.json")["vectors"]


@pytest.fixture(scope="session")
def etsi_vector() -> dict[str, str]:
    return load_json("etsi_ts103744_vectors.json")["vector"]


# ------------------------------------------------------------------ deno TLS server (rustls)

_SERVER_TS = """
const cert = await Deno.readTextFile(Deno.args[0]);
const key = await Deno.readTextFile(Deno.args[1]);
Deno.serve({ port: 0, hostname: "127.0.0.1", cert, key,
  onListen({ port }) { console.log(`PORT ${port}`); } },
  () => new Response("qrisk pqc interop\\n"));
"""


def _self_signed(tmp: Path) -> tuple[Path, Path]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp / "cert.pem", tmp / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def deno_tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A real TLS 1.3 server (Deno.serve, rustls) on a free 127.0.0.1 port; negotiates X25519MLKEM768."""
    deno = shutil.which("deno")
    need(deno is not None, "deno (npm install -g deno)")
    assert deno is not None
    tmp = tmp_path_factory.mktemp("deno")
    cert, key = _self_signed(tmp)
    script = tmp / "server.ts"
    script.write_text(_SERVER_TS, encoding="utf-8")
    env = {
        **os.environ,
        "DENO_DIR": str(tmp / "deno-dir"),
        "DENO_NO_UPDATE_CHECK": "1",
        "NO_COLOR": "1",
    }
    proc = subprocess.Popen(
        [deno, "run", "--allow-net=127.0.0.1", f"--allow-read={tmp}", str(script), str(cert), str(key)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        port = None
        deadline = time.monotonic() + 60
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("PORT "):
                port = int(line.split()[1])
                break
        if port is None:
            pytest.fail(f"deno TLS server did not start (exit {proc.poll()})")
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
