"""Benchmarks of the PQC providers: ops/s per operation, sizes, and qrisk's wrapper overhead.

For every algorithm of every available provider this times keygen/encaps/decaps or
keygen/sign/verify through qrisk's interface, and — in the same run, interleaved batch by
batch — the same work done by calling the provider library directly. The overhead is
``best wrapper batch / best direct batch − 1`` (best-of-N batches, as ``timeit`` recommends,
with the garbage collector off). Timings are never asserted in tests; the figures go to
``benchmarks/BENCHMARKS.md``.
"""

from __future__ import annotations

import gc
import os
import platform
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from qrisk.pqc.facts import ops_for
from qrisk.pqc.providers import (
    Kem,
    KeyPair,
    PqcError,
    SignatureScheme,
    available_providers,
    get_provider,
)

MESSAGE = b"qrisk benchmark message: 64 bytes of payload to sign and verify.."
#: Ops faster than this many calls per batch are too few to compare wrapper and direct.
MIN_CALLS_FOR_OVERHEAD = 20


@dataclass(frozen=True)
class OpResult:
    """Timing of one operation."""

    op: str
    ops_per_s: float
    """Through qrisk's interface (best batch)."""
    us_per_op: float
    calls_per_batch: int
    batches: int
    direct_ops_per_s: float | None = None
    """Calling the provider library directly, same run."""
    overhead_pct: float | None = None
    """(wrapper time / direct time − 1) · 100; None when there is no direct baseline."""


@dataclass(frozen=True)
class AlgorithmResult:
    """All operations of one algorithm from one provider, plus its measured sizes."""

    algorithm: str
    provider: str
    kind: str
    nist_level: int | None
    sizes: dict[str, int | None]
    ops: tuple[OpResult, ...]


@dataclass(frozen=True)
class BenchReport:
    """One benchmark run."""

    machine: dict[str, str]
    time_per_op_s: float
    results: tuple[AlgorithmResult, ...]
    overhead_median_pct: float | None
    overhead_max_pct: float | None
    overhead_ops: int
    """How many operations entered the overhead summary (≥ MIN_CALLS_FOR_OVERHEAD per batch)."""
    skipped: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def machine_info() -> dict[str, str]:
    """What the figures were measured on."""
    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count() or 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cryptography": cryptography.__version__,
        "openssl": backend.openssl_version_text(),
    }


# --------------------------------------------------------------------------- direct baselines


def _pyca_direct(alg: Kem | SignatureScheme, kp: KeyPair, pk: bytes, ct: bytes, sig: bytes) -> dict[str, Callable[[], Any]]:
    """The same work as qrisk's wrapper, written straight against pyca ``cryptography``."""
    from cryptography.hazmat.primitives import serialization as ser
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, mlkem, x25519

    name = alg.info.name
    sk = kp.secret
    enc = (ser.Encoding.X962, ser.PublicFormat.UncompressedPoint)
    if name.startswith("ML-KEM-"):
        priv = getattr(mlkem, f"MLKEM{name[7:]}PrivateKey")
        pub = getattr(mlkem, f"MLKEM{name[7:]}PublicKey")
        return {
            "keygen": lambda: priv.generate().public_key().public_bytes_raw(),
            "encaps": lambda: pub.from_public_bytes(pk).encapsulate(),
            "decaps": lambda: sk.decapsulate(ct),
        }
    if name == "X25519":
        gen, load = x25519.X25519PrivateKey.generate, x25519.X25519PublicKey.from_public_bytes

        def x_encaps() -> Any:
            eph = gen()
            return eph.exchange(load(pk)), eph.public_key().public_bytes_raw()

        return {
            "keygen": lambda: gen().public_key().public_bytes_raw(),
            "encaps": x_encaps,
            "decaps": lambda: sk.exchange(load(ct)),
        }
    if name.startswith("ECDH-"):
        curve = sk.curve

        def ec_encaps() -> Any:
            eph = ec.generate_private_key(curve)
            peer = ec.EllipticCurvePublicKey.from_encoded_point(curve, pk)
            return eph.exchange(ec.ECDH(), peer), eph.public_key().public_bytes(*enc)

        return {
            "keygen": lambda: ec.generate_private_key(curve).public_key().public_bytes(*enc),
            "encaps": ec_encaps,
            "decaps": lambda: sk.exchange(ec.ECDH(), ec.EllipticCurvePublicKey.from_encoded_point(curve, ct)),
        }
    if name.startswith("ML-DSA-"):
        pub = getattr(mldsa, f"MLDSA{name[7:]}PublicKey")
        priv = getattr(mldsa, f"MLDSA{name[7:]}PrivateKey")
        return {
            "keygen": lambda: priv.generate().public_key().public_bytes_raw(),
            "sign": lambda: sk.sign(MESSAGE),
            "verify": lambda: pub.from_public_bytes(pk).verify(sig, MESSAGE),
        }
    if name == "Ed25519":
        return {
            "keygen": lambda: ed25519.Ed25519PrivateKey.generate().public_key().public_bytes_raw(),
            "sign": lambda: sk.sign(MESSAGE),
            "verify": lambda: ed25519.Ed25519PublicKey.from_public_bytes(pk).verify(sig, MESSAGE),
        }
    if name.startswith("ECDSA-"):
        curve = sk.curve
        algo = alg._alg  # type: ignore[union-attr]  # the same ECDSA(hash) object
        return {
            "keygen": lambda: ec.generate_private_key(curve).public_key().public_bytes(*enc),
            "sign": lambda: sk.sign(MESSAGE, algo),
            "verify": lambda: ec.EllipticCurvePublicKey.from_encoded_point(curve, pk).verify(sig, MESSAGE, algo),
        }
    return {}  # RSA: keygen dominates and is randomised; no meaningful direct comparison


def _oqs_direct(alg: Kem | SignatureScheme, kp: KeyPair, pk: bytes, ct: bytes, sig: bytes) -> dict[str, Callable[[], Any]]:
    """The same work as qrisk's wrapper, written straight against liboqs-python."""
    oqs = alg._oqs  # type: ignore[union-attr]
    mech = alg.info.native_name
    handle = kp.secret
    if isinstance(alg, Kem):
        encapsulator = oqs.KeyEncapsulation(mech)
        return {
            "keygen": lambda: oqs.KeyEncapsulation(mech).generate_keypair(),
            "encaps": lambda: encapsulator.encap_secret(pk),
            "decaps": lambda: handle.decap_secret(ct),
        }
    verifier = oqs.Signature(mech)
    return {
        "keygen": lambda: oqs.Signature(mech).generate_keypair(),
        "sign": lambda: handle.sign(MESSAGE),
        "verify": lambda: verifier.verify(MESSAGE, sig, pk),
    }


_DIRECT: dict[str, Callable[..., dict[str, Callable[[], Any]]]] = {
    "cryptography": _pyca_direct,
    "oqs": _oqs_direct,
}


# --------------------------------------------------------------------------- timing


def _batch(fn: Callable[[], Any], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return time.perf_counter() - t0


def _calibrate(fn: Callable[[], Any], target_s: float) -> int:
    """Calls per batch so that one batch takes about ``target_s``."""
    n = 1
    while True:
        elapsed = _batch(fn, n)
        if elapsed >= target_s / 4 or n >= 1 << 20:
            per_call = elapsed / n
            return max(1, int(target_s / max(per_call, 1e-9)))
        n *= 4


def time_op(
    op: str,
    wrapper: Callable[[], Any],
    direct: Callable[[], Any] | None,
    time_per_op_s: float,
    batches: int = 21,
) -> OpResult:
    """Time ``batches`` back-to-back pairs of wrapper and direct batches.

    ops/s come from the best batch of each side; the overhead is the median over pairs of
    wrapper/direct time, so drift and bursts of other load (which hit both halves of a pair
    alike) and outliers (which the median ignores) do not masquerade as wrapper cost.
    """
    per_batch = time_per_op_s / (batches * (2 if direct is not None else 1))
    n = _calibrate(wrapper, per_batch)
    if direct is not None:
        _batch(direct, min(n, 50))  # warm the direct path as calibration warmed the wrapper
    w_times: list[float] = []
    d_times: list[float] = []
    gc_was = gc.isenabled()
    gc.disable()
    try:
        for i in range(batches):
            # Alternate which half goes first so warm-up effects do not favour one side.
            if direct is not None and i % 2:
                d_times.append(_batch(direct, n))
                w_times.append(_batch(wrapper, n))
            else:
                w_times.append(_batch(wrapper, n))
                if direct is not None:
                    d_times.append(_batch(direct, n))
    finally:
        if gc_was:
            gc.enable()
    best_w = min(w_times)
    result = OpResult(op=op, ops_per_s=n / best_w, us_per_op=best_w / n * 1e6, calls_per_batch=n, batches=batches)
    if direct is None:
        return result
    ratio = statistics.median(w / d for w, d in zip(w_times, d_times, strict=True))
    return replace(result, direct_ops_per_s=n / min(d_times), overhead_pct=(ratio - 1.0) * 100.0)


def _fixture(alg: Kem | SignatureScheme) -> tuple[KeyPair, bytes, bytes, bytes, dict[str, int | None]]:
    kp = alg.keygen()
    if isinstance(alg, Kem):
        e = alg.encapsulate(kp.public_key)
        if alg.decapsulate(kp, e.ciphertext) != e.shared_secret:
            raise PqcError(f"{alg.info.name} ({alg.info.provider}): decapsulation disagrees")
        sizes = {
            "public_key_bytes": len(kp.public_key),
            "ciphertext_bytes": len(e.ciphertext),
            "shared_secret_bytes": len(e.shared_secret),
            "secret_key_bytes": alg.info.sizes.secret_key_bytes,
        }
        return kp, kp.public_key, e.ciphertext, b"", sizes
    sig = alg.sign(kp, MESSAGE)
    if not alg.verify(kp.public_key, MESSAGE, sig):
        raise PqcError(f"{alg.info.name} ({alg.info.provider}): own signature does not verify")
    sizes = {
        "public_key_bytes": len(kp.public_key),
        "signature_bytes": len(sig),
        "secret_key_bytes": alg.info.sizes.secret_key_bytes,
    }
    return kp, kp.public_key, b"", sig, sizes


def bench_algorithm(alg: Kem | SignatureScheme, time_per_op_s: float, with_direct: bool = True) -> AlgorithmResult:
    """Time the three operations of one algorithm."""
    kp, pk, ct, sig, sizes = _fixture(alg)
    direct_builder = _DIRECT.get(alg.info.provider) if with_direct else None
    direct = direct_builder(alg, kp, pk, ct, sig) if direct_builder else {}
    if isinstance(alg, Kem):
        kem = alg
        wrapped: dict[str, Callable[[], Any]] = {
            "keygen": kem.keygen,
            "encaps": lambda: kem.encapsulate(pk),
            "decaps": lambda: kem.decapsulate(kp, ct),
        }
    else:
        scheme = alg
        wrapped = {
            "keygen": scheme.keygen,
            "sign": lambda: scheme.sign(kp, MESSAGE),
            "verify": lambda: scheme.verify(pk, MESSAGE, sig),
        }
    ops = tuple(time_op(op, wrapped[op], direct.get(op), time_per_op_s) for op in ops_for(alg.info.kind))
    return AlgorithmResult(
        algorithm=alg.info.name,
        provider=alg.info.provider,
        kind=str(alg.info.kind),
        nist_level=alg.info.nist_level,
        sizes=sizes,
        ops=ops,
    )


def _hybrids(provider: str | None) -> list[Kem]:
    from qrisk.pqc.hybrid import XWing, tls_hybrid_group

    out: list[Kem] = []
    for make in (lambda: tls_hybrid_group("X25519MLKEM768", provider), XWing):
        try:
            out.append(make())
        except PqcError:
            continue
    return out


def select_algorithms(
    names: Sequence[str] | None = None, providers: Sequence[str] | None = None
) -> tuple[list[Kem | SignatureScheme], list[str]]:
    """Algorithms to benchmark: every one of every available provider unless narrowed down.

    Returns the algorithms and the names that no selected provider implements.
    """
    provs = [get_provider(p) for p in providers] if providers else available_providers()
    for prov in provs:
        status = prov.status()
        if not status.available:
            raise PqcError(f"provider {prov.name} is unavailable: {status.reason}")
    pool: list[Kem | SignatureScheme] = []
    for prov in provs:
        pool.extend(prov.kems().values())
        pool.extend(prov.signatures().values())
    if not providers or "cryptography" in providers:
        pool.extend(_hybrids("cryptography" if providers else None))
    if not names:
        return pool, []
    wanted = {n.strip() for n in names if n.strip()}
    chosen = [a for a in pool if a.info.name in wanted or a.info.native_name in wanted]
    found = {a.info.name for a in chosen} | {a.info.native_name for a in chosen}
    return chosen, sorted(wanted - found)


def run_bench(
    names: Sequence[str] | None = None,
    providers: Sequence[str] | None = None,
    time_per_op_s: float = 0.2,
    progress: Callable[[str], None] | None = None,
) -> BenchReport:
    """Benchmark the selected algorithms; unknown names are an error."""
    algs, missing = select_algorithms(names, providers)
    if missing:
        raise PqcError(f"no selected provider implements: {', '.join(missing)}")
    results: list[AlgorithmResult] = []
    for alg in algs:
        if progress:
            progress(f"{alg.info.name} ({alg.info.provider})")
        results.append(bench_algorithm(alg, time_per_op_s))
    overheads = _overheads(results)
    return BenchReport(
        machine=machine_info(),
        time_per_op_s=time_per_op_s,
        results=tuple(results),
        overhead_median_pct=statistics.median(overheads) if overheads else None,
        overhead_max_pct=max(overheads) if overheads else None,
        overhead_ops=len(overheads),
    )


def _overheads(results: Iterable[AlgorithmResult]) -> list[float]:
    return [
        op.overhead_pct
        for r in results
        for op in r.ops
        if op.overhead_pct is not None and op.calls_per_batch >= MIN_CALLS_FOR_OVERHEAD
    ]


# --------------------------------------------------------------------------- formatters


def _fmt_rate(v: float | None) -> str:
    if v is None:
        return "-"
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def _fmt_pct(v: float | None) -> str:
    return "-" if v is None else f"{v:+.1f}%"


def format_markdown(report: BenchReport) -> str:
    """A Markdown table (the format of benchmarks/BENCHMARKS.md)."""
    m = report.machine
    lines = [
        f"Machine: {m['cpu']}, {m['cores']} cores; Python {m['python']}; cryptography {m['cryptography']} "
        f"({m['openssl']}); {report.time_per_op_s:g} s per operation.",
        "",
        "| algorithm | provider | NIST | pk B | ct/sig B | op 1 ops/s | op 2 ops/s | op 3 ops/s | wrapper overhead (op 1/2/3) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report.results:
        wire = r.sizes.get("ciphertext_bytes") or r.sizes.get("signature_bytes")
        cells = [f"{op.op} {_fmt_rate(op.ops_per_s)}" for op in r.ops]
        over = " / ".join(_fmt_pct(op.overhead_pct) for op in r.ops)
        level = "-" if r.nist_level is None else str(r.nist_level)
        lines.append(
            f"| {r.algorithm} | {r.provider} | {level} | {r.sizes['public_key_bytes']} | {wire} | "
            + " | ".join(cells)
            + f" | {over} |"
        )
    lines += ["", _summary(report)]
    return "\n".join(lines) + "\n"


def _summary(report: BenchReport) -> str:
    if report.overhead_median_pct is None:
        return "Wrapper overhead: no direct baseline in this run."
    return (
        f"Wrapper overhead over {report.overhead_ops} operations: median "
        f"{report.overhead_median_pct:+.1f}%, max {report.overhead_max_pct:+.1f}% (target ≤ 5%)."
    )


def format_text(report: BenchReport) -> str:
    """An aligned plain-text table for the terminal."""
    header = f"{'algorithm':<22} {'provider':<22} {'op':<7} {'ops/s':>12} {'µs/op':>10} {'direct ops/s':>13} {'overhead':>9}"
    lines = [header, "-" * len(header)]
    for r in report.results:
        for i, op in enumerate(r.ops):
            name = r.algorithm if i == 0 else ""
            prov = r.provider if i == 0 else ""
            lines.append(
                f"{name:<22} {prov:<22} {op.op:<7} {_fmt_rate(op.ops_per_s):>12} {op.us_per_op:>10.1f} "
                f"{_fmt_rate(op.direct_ops_per_s):>13} {_fmt_pct(op.overhead_pct):>9}"
            )
        sz = ", ".join(f"{k.removesuffix('_bytes')} {v}" for k, v in r.sizes.items() if v is not None)
        lines.append(f"{'':<22} sizes (bytes): {sz}")
    lines += ["", _summary(report)]
    return "\n".join(lines) + "\n"
