"""Load generator for the ETSI GS QKD 014 KMEs: many SAE clients over mTLS keep-alive connections.

Each pair has a master SAE calling enc_keys on its KME and a slave SAE fetching every key_ID it
is told about with dec_keys on the other KME; the run checks that no key is delivered twice and
none is lost (every key_ID handed to a master is collected once by its slave, with equal bytes).
Only SHA-256 digests of keys are kept for the comparison. Standard library only (asyncio + ssl),
so the client side costs little CPU next to the server; used by the load test and the benchmark.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import re
import ssl
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from qrisk.qkd.kme import API_PREFIX, CONFIG_SCHEMA


@dataclass(frozen=True)
class SaeCredentials:
    sae_id: str
    cert: Path
    key: Path


@dataclass(frozen=True)
class LoadPair:
    master: SaeCredentials
    master_kme_url: str
    slave: SaeCredentials
    slave_kme_url: str


@dataclass
class LoadResult:
    seconds: float
    requests: int
    enc_requests: int
    dec_requests: int
    keys_delivered_to_masters: int
    keys_collected_by_slaves: int
    duplicate_key_ids: int
    lost_key_ids: int
    mismatched_keys: int
    errors: dict[str, int] = field(default_factory=dict)
    """'HTTP 503' and similar → count."""
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        idx = min(len(data) - 1, max(0, round(q / 100 * (len(data) - 1))))
        return data[idx]

    def summary(self) -> dict[str, float | int | dict[str, int]]:
        return {
            "seconds": round(self.seconds, 3),
            "requests": self.requests,
            "requests_per_s": round(self.requests_per_s, 1),
            "p50_ms": round(self.percentile_ms(50), 2),
            "p99_ms": round(self.percentile_ms(99), 2),
            "keys_delivered_to_masters": self.keys_delivered_to_masters,
            "keys_collected_by_slaves": self.keys_collected_by_slaves,
            "duplicate_key_ids": self.duplicate_key_ids,
            "lost_key_ids": self.lost_key_ids,
            "mismatched_keys": self.mismatched_keys,
            "errors": dict(self.errors),
        }


class _Conn:
    """One keep-alive HTTP/1.1 connection over mutual TLS."""

    def __init__(self, url: str, creds: SaeCredentials, ca: Path) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 443
        self.ctx = ssl.create_default_context(cafile=str(ca))
        self.ctx.load_cert_chain(str(creds.cert), str(creds.key))
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, ssl=self.ctx)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, ssl.SSLError):
                await self.writer.wait_closed()

    async def post(self, path: str, body: dict) -> tuple[int, dict]:
        assert self.reader is not None and self.writer is not None
        payload = json.dumps(body, separators=(",", ":")).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        ).encode()
        self.writer.write(head + payload)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        raw = await self.reader.readexactly(length) if length else b""
        return status, (json.loads(raw) if raw else {})


async def _run(pairs: list[LoadPair], ca: Path, seconds: float, size_bits: int) -> LoadResult:
    issued: dict[str, bytes] = {}  # key_ID → SHA-256 of the master's key
    collected: Counter[str] = Counter()
    mismatched = 0
    duplicates = 0
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    counts = Counter()
    stop_at = 0.0

    async def master(pair: LoadPair, queue: asyncio.Queue[tuple[str, bytes] | None]) -> None:
        nonlocal duplicates
        conn = _Conn(pair.master_kme_url, pair.master, ca)
        await conn.open()
        path = f"{API_PREFIX}/{pair.slave.sae_id}/enc_keys"
        try:
            while time.monotonic() < stop_at:
                t0 = time.perf_counter()
                status, body = await conn.post(path, {"number": 1, "size": size_bits})
                latencies.append((time.perf_counter() - t0) * 1e3)
                counts["enc"] += 1
                if status != 200:
                    errors[f"enc_keys HTTP {status}"] += 1
                    await asyncio.sleep(0.01)
                    continue
                for item in body.get("keys", []):
                    kid = item["key_ID"]
                    digest = hashlib.sha256(base64.b64decode(item["key"])).digest()
                    if kid in issued:
                        duplicates += 1
                    issued[kid] = digest
                    await queue.put((kid, digest))
        finally:
            await queue.put(None)
            await conn.close()

    async def slave(pair: LoadPair, queue: asyncio.Queue[tuple[str, bytes] | None]) -> None:
        nonlocal mismatched
        conn = _Conn(pair.slave_kme_url, pair.slave, ca)
        await conn.open()
        path = f"{API_PREFIX}/{pair.master.sae_id}/dec_keys"
        try:
            while True:
                item = await queue.get()
                if item is None:
                    break
                kid, digest = item
                t0 = time.perf_counter()
                status, body = await conn.post(path, {"key_IDs": [{"key_ID": kid}]})
                latencies.append((time.perf_counter() - t0) * 1e3)
                counts["dec"] += 1
                if status != 200:
                    errors[f"dec_keys HTTP {status}"] += 1
                    continue
                for got in body.get("keys", []):
                    collected[got["key_ID"]] += 1
                    if hashlib.sha256(base64.b64decode(got["key"])).digest() != digest or got["key_ID"] != kid:
                        mismatched += 1
        finally:
            await conn.close()

    queues: list[asyncio.Queue[tuple[str, bytes] | None]] = [asyncio.Queue() for _ in pairs]
    t_start = time.monotonic()
    stop_at = t_start + seconds
    tasks = [asyncio.create_task(master(p, q)) for p, q in zip(pairs, queues, strict=True)]
    tasks += [asyncio.create_task(slave(p, q)) for p, q in zip(pairs, queues, strict=True)]
    results = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.monotonic() - t_start
    for r in results:
        if isinstance(r, BaseException):
            errors[f"client {type(r).__name__}: {r}"] += 1
    lost = sum(1 for kid in issued if collected[kid] == 0)
    twice = sum(1 for kid, n in collected.items() if n > 1)
    return LoadResult(
        seconds=elapsed,
        requests=counts["enc"] + counts["dec"],
        enc_requests=counts["enc"],
        dec_requests=counts["dec"],
        keys_delivered_to_masters=len(issued),
        keys_collected_by_slaves=sum(collected.values()),
        duplicate_key_ids=duplicates + twice,
        lost_key_ids=lost,
        mismatched_keys=mismatched,
        errors=dict(errors),
        latencies_ms=latencies,
    )


def run_load(pairs: list[LoadPair], ca: Path, *, seconds: float = 10.0, size_bits: int = 256) -> LoadResult:
    """Drive every pair for ``seconds`` (masters stop issuing then; slaves drain what they were told)."""
    if not 0 < seconds <= 600:
        raise ValueError("seconds must be in (0, 600]")
    return asyncio.run(_run(pairs, ca, seconds, size_bits))


# --------------------------------------------------------------------------- setup for tests and benchmarks


@dataclass(frozen=True)
class LoadSetup:
    config: Path
    ca: Path
    pairs: list[tuple[SaeCredentials, SaeCredentials]]
    """(master at KME_A, slave at KME_B)."""


def make_load_setup(folder: Path, *, pairs: int = 25, distance_km: float = 20.0, max_key_count: int = 2000,
                    prefill_s: float = 1.0) -> LoadSetup:
    """A CA, two KMEs on free loopback ports, ``pairs`` master SAEs at KME_A and as many slaves at KME_B."""
    from qrisk.qkd.kme_pki import ensure_demo_pki

    masters = [f"SAE_M{i:02d}" for i in range(1, pairs + 1)]
    slaves = [f"SAE_S{i:02d}" for i in range(1, pairs + 1)]
    pki = ensure_demo_pki(folder, sae_ids=(*masters, *slaves))
    cfg = {
        "schema": CONFIG_SCHEMA,
        "ca": str(pki.ca.cert),
        "kmes": {
            "KME_A": {"port": 0, "cert": str(pki.kmes["KME_A"].cert), "key": str(pki.kmes["KME_A"].key),
                      "saes": masters},
            "KME_B": {"port": 0, "cert": str(pki.kmes["KME_B"].cert), "key": str(pki.kmes["KME_B"].key),
                      "saes": slaves},
        },
        "links": [{
            "between": ["KME_A", "KME_B"], "distance_km": distance_km, "pairs": [[m, s] for m, s in zip(
                masters, slaves, strict=True)],
            "max_key_count": max_key_count, "prefill_s": prefill_s, "mc_pulses": 200_000, "seed": 1,
        }],
    }
    path = folder / "kme-load.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")

    def creds(sae: str) -> SaeCredentials:
        return SaeCredentials(sae, pki.saes[sae].cert, pki.saes[sae].key)

    return LoadSetup(path, pki.ca.cert, [(creds(m), creds(s)) for m, s in zip(masters, slaves, strict=True)])


_URL_LINE = re.compile(r"^\s+(\S+)\s+(https://\S+?)/api/v1/keys/")


@dataclass
class ServerProcess:
    """``qrisk kme serve --config FILE`` in a child process (its own core on a multi-core machine)."""

    proc: subprocess.Popen[str]
    urls: dict[str, str]

    def rss_bytes(self) -> int | None:
        """Resident memory of the server (Linux /proc), or None where unavailable."""
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        m = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
        return int(m.group(1)) * 1024 if m else None


@contextlib.contextmanager
def server_process(config: Path, *, timeout_s: float = 60.0) -> Iterator[ServerProcess]:
    """Start the KMEs of ``config`` in a child process, yield their URLs, stop them with SIGTERM."""
    code = "import sys; from qrisk.kme_cli import kme; kme(['serve', '--config', sys.argv[1]])"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-c", code, str(config)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    urls: dict[str, str] = {}
    try:
        deadline = time.monotonic() + timeout_s
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                err = proc.stderr.read() if proc.stderr else ""
                raise RuntimeError(f"KME server exited early: {err.strip()[-500:]}")
            m = _URL_LINE.match(line)
            if m:
                urls[m.group(1)] = m.group(2)
            if line.startswith("  link "):
                break
        if len(urls) < 2:
            raise RuntimeError("KME server did not print its URLs")
        yield ServerProcess(proc, urls)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait(5)
