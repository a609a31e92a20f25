"""Live-endpoint probing throughput on loopback.

Starts real servers on free 127.0.0.1 ports (the same launchers the tests use,
``tests/network/netservers.py``): one deno process serving many ports (rustls,
X25519MLKEM768), several ``openssl s_server`` processes (one connection at a time each;
RSA-2048 and ECDSA P-384 configurations) and one sshd listening on many ports. Then probes
the whole list with :func:`qrisk.scan.network.probe.probe_endpoints` and reports:

- endpoints/second for the whole list at the given concurrency (target ≥ 50 with 32);
- the full-profile time per endpoint, from an uncontended sequential pass over one endpoint
  of each kind (target < 1 s on loopback) and from the concurrent run;
- round trips and connections per endpoint profile: the stable figure across machines
  (target ≤ 40 for a full TLS profile: versions, all groups, suites, chain).

Wall-clock figures on a shared 2-core VM are noisy (servers and prober share the CPUs):
each is the median of ``--repeat`` runs. Nothing here is asserted.

Usage::

    python benchmarks/bench_endpoints.py [--endpoints 200] [--concurrency 32] [--repeat 3]
        [--mix deno=100,openssl=60,ssh=40] [--timeout 5] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "network"))

import netservers  # noqa: E402

from qrisk.scan.network.probe import EndpointResult, ProbeOptions, probe_endpoints  # noqa: E402

OPENSSL_CONFIGS = (
    # (certificate kind, groups, TLS 1.2 suites, TLS 1.3 suites)
    ("rsa2048", "X25519:P-256:P-384", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
     "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"),
    ("ecdsa384", "P-384:X25519", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305",
     "TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384"),
)
SSH_KEX = "sntrup761x25519-sha512@openssh.com,curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha256"
SSH_HOSTKEYS = "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256"


def parse_mix(text: str, total: int) -> dict[str, int]:
    parts = dict(p.split("=", 1) for p in text.split(","))
    mix = {k: int(v) for k, v in parts.items()}
    if sum(mix.values()) != total:
        scale = total / sum(mix.values())
        mix = {k: round(v * scale) for k, v in mix.items()}
        mix[next(iter(mix))] += total - sum(mix.values())
    return mix


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break

    def version(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return "missing"

    return {
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "openssl": version(["openssl", "version"]),
        "deno": version(["deno", "--version"]),
        "sshd": version([netservers.sshd_binary(), "-V"]) if _has_sshd() else "missing",
    }


def _has_sshd() -> bool:
    try:
        netservers.sshd_binary()
    except netservers.Missing:
        return False
    return True


def summarise(results: list[EndpointResult], kinds: dict[str, str]) -> dict[str, dict[str, float]]:
    by_kind: dict[str, list[EndpointResult]] = defaultdict(list)
    for r in results:
        by_kind[kinds.get(r.location, "?")].append(r)
    out = {}
    for kind, rs in sorted(by_kind.items()):
        ok = [r for r in rs if r.error is None]
        out[kind] = {
            "endpoints": len(rs),
            "errors": len(rs) - len(ok),
            "round_trips_median": statistics.median(r.round_trips for r in ok) if ok else 0,
            "round_trips_max": max((r.round_trips for r in ok), default=0),
            "connections_median": statistics.median(r.connections for r in ok) if ok else 0,
            "profile_s_median": statistics.median(r.duration_s for r in ok) if ok else 0.0,
            "profile_s_max": max((r.duration_s for r in ok), default=0.0),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--endpoints", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--mix", default="deno=100,openssl=60,ssh=40")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    mix = parse_mix(args.mix, args.endpoints)

    with tempfile.TemporaryDirectory(prefix="qrisk-bench-endpoints-") as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        rsa = netservers.make_certificates(folder / "rsa", "rsa2048")
        ecdsa = netservers.make_certificates(folder / "ecdsa", "ecdsa384")
        kinds: dict[str, str] = {}
        targets: list[str] = []
        t0 = time.monotonic()
        if mix.get("deno"):
            ports = stack.enter_context(netservers.deno_server(folder / "deno", rsa, count=mix["deno"]))
            for p in ports:
                targets.append(f"127.0.0.1:{p}")
                kinds[f"tls://127.0.0.1:{p}"] = "tls-deno"
        for i in range(mix.get("openssl", 0)):
            kind, groups, cipher, suites = OPENSSL_CONFIGS[i % len(OPENSSL_CONFIGS)]
            certs = rsa if kind == "rsa2048" else ecdsa
            port = stack.enter_context(netservers.openssl_server(folder / f"ossl-{i}", certs, groups=groups,
                                                                 cipher=cipher, ciphersuites=suites))
            targets.append(f"127.0.0.1:{port}")
            kinds[f"tls://127.0.0.1:{port}"] = f"tls-openssl-{kind}"
        remaining_ssh = mix.get("ssh", 0)
        while remaining_ssh > 0:
            # sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS): one process per 16 ports.
            n = min(16, remaining_ssh)
            remaining_ssh -= n
            inst = stack.enter_context(netservers.sshd_server(folder / "sshd", kex=SSH_KEX,
                                                              host_key_algorithms=SSH_HOSTKEYS, count=n))
            for p in inst.ports:
                targets.append(f"127.0.0.1:{p}/ssh")
                kinds[f"ssh://127.0.0.1:{p}"] = "ssh-openssh"
        startup_s = time.monotonic() - t0
        # Interleave kinds, as an estate list would be.
        targets.sort(key=lambda t: hash(t) % 1000)

        # Uncontended: one endpoint of each kind, one after another.
        firsts: dict[str, str] = {}
        for t in targets:
            loc = ("ssh://" if t.endswith("/ssh") else "tls://") + t.removesuffix("/ssh")
            firsts.setdefault(kinds[loc], t)
        sequential: dict[str, list[float]] = defaultdict(list)
        seq_rt: dict[str, int] = {}
        for _ in range(max(1, args.repeat)):
            for kind, t in firsts.items():
                [r] = probe_endpoints([t], options=ProbeOptions(timeout_s=args.timeout, concurrency=1))
                sequential[kind].append(r.duration_s)
                seq_rt[kind] = r.round_trips

        runs = []
        last: list[EndpointResult] = []
        for _ in range(max(1, args.repeat)):
            start = time.perf_counter()
            last = probe_endpoints(targets, options=ProbeOptions(timeout_s=args.timeout, concurrency=args.concurrency))
            runs.append(time.perf_counter() - start)
        wall = statistics.median(runs)
        errors = Counter(r.error.reason for r in last if r.error is not None)
        report = {
            "machine": machine(),
            "endpoints": len(targets),
            "mix": mix,
            "concurrency": args.concurrency,
            "server_startup_s": round(startup_s, 2),
            "wall_s_runs": [round(x, 3) for x in runs],
            "wall_s_median": round(wall, 3),
            "endpoints_per_s": round(len(targets) / wall, 1),
            "errors": dict(errors),
            "sequential_profile_s_median": {k: round(statistics.median(v), 4) for k, v in sequential.items()},
            "sequential_round_trips": seq_rt,
            "concurrent": summarise(last, kinds),
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    m = report["machine"]
    print(f"machine: {m['cpu']} ({m['nproc']} CPUs), Python {m['python']}, {m['openssl']}, {m['deno']}, {m['sshd']}")
    print(f"{report['endpoints']} endpoints {mix}, concurrency {args.concurrency}; servers started in {startup_s:.1f} s")
    print(f"wall: median {wall:.2f} s of {report['wall_s_runs']} -> {report['endpoints_per_s']} endpoints/s; "
          f"errors: {dict(errors) or 'none'}")
    print("uncontended full profile per endpoint (median of runs):")
    for kind, v in report["sequential_profile_s_median"].items():
        print(f"  {kind:22} {v * 1000:8.1f} ms  {seq_rt[kind]:3d} round trips")
    print("concurrent run, per kind:")
    for kind, s in report["concurrent"].items():
        print(f"  {kind:22} n={s['endpoints']:<4} errors={s['errors']:<3} round trips median {s['round_trips_median']}"
              f" max {s['round_trips_max']}, connections {s['connections_median']}, profile median "
              f"{s['profile_s_median'] * 1000:.0f} ms, max {s['profile_s_max'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
