"""Load: 50 concurrent SAE clients (25 master/slave pairs) for 10 s against a KME server process.

Asserts correctness only — no key delivered twice, none lost, every slave copy equal to the
master's, bounded server memory. Throughput and latency are printed and recorded by
benchmarks/bench_kme.py in BENCHMARKS.md, never asserted (tests do not assert wall-clock times).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from kmehelp import Sae

from qrisk.qkd.kme_load import LoadPair, make_load_setup, run_load, server_process
from qrisk.qkd.kme_pki import CertPaths

SECONDS = float(os.environ.get("QRISK_KME_LOAD_SECONDS", "10"))
PAIRS = 25  # 25 masters + 25 slaves = 50 SAE clients, each on its own mTLS keep-alive connection
MAX_KEY_COUNT = 2000
WARM_UP_SECONDS = 2.0
RSS_GROWTH_LIMIT = 16 * 1024 * 1024
"""After a warm-up (TLS sessions, allocator arenas), 10 s of load may not grow the server by more."""


@pytest.mark.slow
def test_fifty_sae_clients_no_key_twice_none_lost_memory_bounded(tmp_path: Path) -> None:
    setup = make_load_setup(tmp_path, pairs=PAIRS, max_key_count=MAX_KEY_COUNT)
    with server_process(setup.config) as server:
        pairs = [LoadPair(m, server.urls["KME_A"], s, server.urls["KME_B"]) for m, s in setup.pairs]
        warm = run_load(pairs, setup.ca, seconds=WARM_UP_SECONDS)
        assert warm.errors == {} and warm.lost_key_ids == 0
        rss_before = server.rss_bytes()
        result = run_load(pairs, setup.ca, seconds=SECONDS)
        rss_after = server.rss_bytes()
        first_master = setup.pairs[0][0]
        status = Sae(server.urls["KME_A"], CertPaths(first_master.cert, first_master.key), setup.ca).get(
            f"/api/v1/keys/{setup.pairs[0][1].sae_id}/status")
    summary = result.summary()
    print("\nKME load:", json.dumps({**summary, "rss_before": rss_before, "rss_after": rss_after}))
    assert result.errors == {}, result.errors
    assert result.keys_delivered_to_masters > PAIRS  # every pair did work
    assert result.duplicate_key_ids == 0
    assert result.lost_key_ids == 0
    assert result.mismatched_keys == 0
    assert result.keys_collected_by_slaves == result.keys_delivered_to_masters
    assert result.requests == result.enc_requests + result.dec_requests
    # pools stay within their configured size; the process does not grow with the number of requests
    assert status.status == 200 and status.body["stored_key_count"] <= MAX_KEY_COUNT
    if rss_before is not None and rss_after is not None:
        assert rss_after - rss_before < RSS_GROWTH_LIMIT, (rss_before, rss_after)
