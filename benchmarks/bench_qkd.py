"""Benchmark of qrisk.qkd: pulse-level Monte Carlo, privacy amplification, Cascade, analytic rates,
network max-flow, and, in the same run, the pulses per second of peer simulators from PyPI.

    python benchmarks/bench_qkd.py              # everything, peers installed in a throwaway venv
    python benchmarks/bench_qkd.py --no-peers   # qrisk only (no network access)
    python benchmarks/bench_qkd.py --peer-venv DIR --json out.json

The peers (SeQUeNCe, qkdsec) are installed with pip into a virtual environment under a temporary
folder, never into the project's environment; the folder is deleted afterwards unless
``--peer-venv`` names one to reuse. Times are wall-clock, best of ``--repeat`` runs, one core.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qrisk.qkd import montecarlo as mc  # noqa: E402
from qrisk.qkd.channel import Channel  # noqa: E402
from qrisk.qkd.network import QkdNetwork  # noqa: E402
from qrisk.qkd.rates import FiniteKey, h2, key_rate  # noqa: E402

PEERS = {"sequence": "sequence", "qkdsec": "qkdsec"}

SEQUENCE_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from sequence.kernel.timeline import Timeline
    from sequence.topology.node import QKDNode
    from sequence.components.optical_channel import QuantumChannel, ClassicalChannel
    from sequence.qkd.BB84 import pair_bb84_protocols

    class Parent:
        def __init__(self):
            self.upper_protocols, self.lower_protocols, self.keys = [], [], []
        def init(self):
            pass
        def pop(self, info):
            self.keys.append(info)

    def run(keysize, num_keys, distance_m):
        tl = Timeline()
        alice = QKDNode("alice", tl, stack_size=1, seed=0)
        bob = QKDNode("bob", tl, stack_size=1, seed=1)
        pair_bb84_protocols(alice.protocol_stack[0], bob.protocol_stack[0])
        for name, a, b in (("qc0", alice, bob), ("qc1", bob, alice)):
            QuantumChannel(name, tl, distance=distance_m, attenuation=0.0002).set_ends(a, b.name)
        for name, a, b in (("cc0", alice, bob), ("cc1", bob, alice)):
            ClassicalChannel(name, tl, distance=distance_m).set_ends(a, b.name)
        pa, pb = Parent(), Parent()
        for node, p in ((alice, pa), (bob, pb)):
            node.protocol_stack[0].upper_protocols.append(p)
            p.lower_protocols.append(node.protocol_stack[0])
        tl.init()
        pa.lower_protocols[0].push(keysize, num_keys)
        t0 = time.perf_counter()
        tl.run()
        seconds = time.perf_counter() - t0
        ls = alice.components[alice.protocol_stack[0].ls_name]
        pulses = tl.now() * 1e-12 * ls.frequency
        return {"seconds": seconds, "pulses": pulses, "keys": len(pa.keys)}

    best = min((run(256, int(sys.argv[1]), 10e3) for _ in range(int(sys.argv[2]))), key=lambda r: r["seconds"])
    import importlib.metadata as md
    best["version"] = md.version("sequence")
    best["what"] = "BB84 sifting + Cascade, discrete-event, 10 km, 80 MHz source (no PA, no decoys)"
    print(json.dumps(best))
    """
)

QKDSEC_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from qkdsec.sim import BB84Protocol
    n = int(sys.argv[1])
    best = None
    for _ in range(int(sys.argv[2])):
        t0 = time.perf_counter()
        BB84Protocol(error_rate=0.01, backend="classical").run(n_bits=n)
        s = time.perf_counter() - t0
        best = s if best is None else min(best, s)
    import importlib.metadata as md
    print(json.dumps({"seconds": best, "pulses": n, "version": md.version("qkdsec"),
                      "what": "classical BB84 pipeline (sifting, QBER, EC, PA), lossless channel"}))
    """
)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return {
        "cpu": model, "nproc": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
        "platform": platform.platform(),
    }


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best = float("inf")
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_qrisk(repeat: int, pulses: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    ch10 = Channel.for_protocol("efficient-bb84", length_km=10)
    ch50 = Channel.for_protocol("efficient-bb84", length_km=50)
    mc.run_quantum(1_000_000, ch10, seed=0)  # warm-up

    for label, ch, eve in (
        ("quantum phase, 10 km", ch10, None),
        ("quantum phase, 50 km", ch50, None),
        ("quantum phase, 10 km, intercept-resend 20 %", ch10, mc.parse_eve("intercept-resend:0.2")),
        ("quantum phase, 10 km, PNS (dense)", ch10, mc.parse_eve("pns")),
    ):
        n = pulses if eve is None or eve.kind is not mc.EveKind.PNS else pulses // 10
        s, rec = best_of(lambda ch=ch, eve=eve, n=n: mc.run_quantum(n, ch, eve=eve, seed=1), repeat)
        rows.append({"what": f"Monte Carlo {label}: source, channel, detectors, sifting", "pulses": n,
                     "seconds": s, "pulses_per_s": n / s, "detections": rec.bob.detections})

    n_full = 20_000_000
    s, run = best_of(lambda: mc.simulate(n_full, ch10, seed=2), max(1, repeat - 1))
    r = run.result
    rows.append({"what": "Monte Carlo full run, 10 km (+ estimation, Cascade, hash check, Toeplitz PA)",
                 "pulses": n_full, "seconds": s, "pulses_per_s": n_full / s, "final_key_bits": r.final_key_bits,
                 "cascade_f": r.leaked_bits_ec / (r.sifted_z_bits * float(h2(r.qber_z)))})

    rng = np.random.default_rng(3)
    n_pa = 1_000_000
    x = rng.integers(0, 2, n_pa, dtype=np.uint8)
    seed = rng.integers(0, 2, n_pa + n_pa // 2 - 1, dtype=np.uint8)
    s, _ = best_of(lambda: mc.toeplitz_hash(seed, x, n_pa // 2), repeat)
    rows.append({"what": "privacy amplification: Toeplitz 1 Mbit -> 0.5 Mbit (FFT)", "seconds": s})

    errors = (rng.random(n_pa) < 0.02).astype(np.uint8)

    def do_cascade() -> tuple[np.ndarray, int]:
        public = mc.ClassicalChannel()
        return mc.cascade(mc._ParityOracle(x, public), x ^ errors, 0.02, passes=4, seed=1, channel=public)

    s, (corrected, leak) = best_of(do_cascade, repeat)
    rows.append({"what": "Cascade, 1 Mbit at 2 % QBER", "seconds": s,
                 "f": leak / (n_pa * float(h2(errors.mean()))), "residual_errors": int(np.count_nonzero(corrected != x))})

    for proto in ("decoy-bb84", "bb84-no-decoy", "tf-qkd", "cv-gg02"):
        ch = Channel.for_protocol(proto, length_km=80)
        s, _ = best_of(lambda proto=proto, ch=ch: key_rate(proto, ch), repeat * 3)
        rows.append({"what": f"analytic rate with optimised intensity: {proto}", "seconds": s})
    ch = Channel.for_protocol("efficient-bb84", length_km=50)
    s, _ = best_of(lambda: key_rate("efficient-bb84", ch, finite_key=FiniteKey.default(1e10)), repeat)
    rows.append({"what": "analytic finite-key rate (Lim 2014), mu and basis bias optimised", "seconds": s})

    from qrisk.manifest import load_manifest

    m = load_manifest(ROOT / "inventories" / "qkd-backbone.yaml")
    s, net = best_of(lambda: QkdNetwork.build(m.sites, m.qkd_links, m.organisation), repeat)
    rows.append({"what": f"network: rates of {len(m.qkd_links)} backbone links", "seconds": s})
    s, _ = best_of(lambda: net.capacity("beijing", "shanghai"), repeat)
    rows.append({"what": "network: min-cost max-flow Beijing-Shanghai (35 links)", "seconds": s})
    return rows


def bench_peers(repeat: int, venv: Path | None) -> list[dict[str, Any]]:
    tmp = None
    if venv is None:
        tmp = Path(tempfile.mkdtemp(prefix="qrisk-peers-"))
        venv = tmp / "venv"
    py = venv / "bin" / "python"
    rows: list[dict[str, Any]] = []
    try:
        if not py.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        for name, package in PEERS.items():
            probe = subprocess.run([str(py), "-c", f"import {name}"], capture_output=True)
            if probe.returncode != 0:
                inst = subprocess.run([str(py), "-m", "pip", "install", "-q", package], capture_output=True, text=True)
                if inst.returncode != 0:
                    rows.append({"peer": name, "error": f"pip install failed: {inst.stderr.strip()[-300:]}"})
                    continue
            script, args = (SEQUENCE_SCRIPT, ["50", str(repeat)]) if name == "sequence" else (
                QKDSEC_SCRIPT, ["100000", str(repeat)])
            out = subprocess.run([str(py), "-c", script, *args], capture_output=True, text=True, timeout=1800)
            if out.returncode != 0:
                rows.append({"peer": name, "error": out.stderr.strip()[-400:]})
                continue
            res = json.loads(out.stdout.strip().splitlines()[-1])
            res["peer"] = name
            res["pulses_per_s"] = res["pulses"] / res["seconds"]
            rows.append(res)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pulses", type=int, default=50_000_000, help="pulses for the quantum-phase runs")
    ap.add_argument("--no-peers", action="store_true", help="skip the PyPI peer simulators")
    ap.add_argument("--peer-venv", type=Path, default=None, help="reuse (or create) this venv for the peers")
    ap.add_argument("--json", type=Path, default=None, help="also write the results as JSON")
    args = ap.parse_args()

    info = machine()
    print(f"machine: {info['cpu']}, {info['nproc']} cores, Python {info['python']}, numpy {info['numpy']}")
    rows = bench_qrisk(args.repeat, args.pulses)
    print("\n| qrisk.qkd | pulses | time | pulses/s | notes |\n|---|---|---|---|---|")
    for r in rows:
        notes = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in r.items() if k not in ("what", "pulses", "seconds", "pulses_per_s"))
        pps = f"{r['pulses_per_s']:.3g}" if "pulses_per_s" in r else ""
        print(f"| {r['what']} | {r.get('pulses', '')} | {r['seconds'] * 1e3:.1f} ms | {pps} | {notes} |")
    peers: list[dict[str, Any]] = []
    if not args.no_peers:
        peers = bench_peers(args.repeat, args.peer_venv)
        print("\n| peer | version | what | pulses | time | pulses/s |\n|---|---|---|---|---|---|")
        for p in peers:
            if "error" in p:
                print(f"| {p['peer']} | - | could not run: {p['error']} | | | |")
            else:
                print(f"| {p['peer']} | {p['version']} | {p['what']} | {p['pulses']:.3g} | {p['seconds']:.2f} s | "
                      f"{p['pulses_per_s']:.3g} |")
        ok = [p for p in peers if "error" not in p]
        if ok:
            fastest = max(ok, key=lambda p: p["pulses_per_s"])
            ours = rows[0]["pulses_per_s"]
            print(f"\nqrisk quantum phase {ours:.3g} pulses/s vs fastest peer {fastest['peer']} "
                  f"{fastest['pulses_per_s']:.3g} pulses/s: {ours / fastest['pulses_per_s']:.0f}x")
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "qrisk": rows, "peers": peers}, indent=2))


if __name__ == "__main__":
    main()
