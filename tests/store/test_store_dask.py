"""Distributed scans on a real Dask LocalCluster (2 worker processes): identical results to a
single-process scan, and a worker killed mid-scan loses and duplicates nothing."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from storekit import marker_detectors, require_module, write_estate, write_markers

from qrisk.cli import main
from qrisk.model import inventory_to_json
from qrisk.scan.distributed import DaskExaminer, target_batches
from qrisk.scan.engine import ScanOptions, examine, plan_targets, run_scan
from qrisk.scan.walk import WalkOptions, WalkResult, walk
from qrisk.store import Store


def comparable(inv: Any) -> dict:
    data = json.loads(inventory_to_json(inv) if not isinstance(inv, dict) else json.dumps(inv))
    data["scan"] = {k: v for k, v in data["scan"].items() if k not in ("started", "finished")}
    return data


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    distributed = require_module("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0"
    ) as local:
        yield local


@pytest.fixture
def client(cluster: Any) -> Iterator[Any]:
    distributed = require_module("distributed")
    with distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=60)
        yield c


def test_dask_scan_equals_single_process(cluster: Any, estate: Path, tmp_path: Path) -> None:
    tree = tmp_path / "certs"
    write_estate(tree, 300)
    targets = [str(estate), str(tree)]
    single = run_scan(targets, ScanOptions(jobs=1, probe_endpoints=False))
    distributed_ = run_scan(targets, ScanOptions(dask=cluster.scheduler_address, probe_endpoints=False))
    assert comparable(single) == comparable(distributed_)
    assert len(single.assets) > 20


def test_cli_dask_address_and_history(cluster: Any, estate: Path, tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    runner = CliRunner()
    args = ["scan", str(estate), "--no-probe", "-q", "-f", "json"]
    single = runner.invoke(main, [*args, "-j", "1"], catch_exceptions=False)
    on_dask = runner.invoke(main, [*args, "--dask", cluster.scheduler_address, "--db", str(db)], catch_exceptions=False)
    assert single.exit_code == 0 and on_dask.exit_code == 0, on_dask.stderr
    assert comparable(json.loads(single.stdout)) == comparable(json.loads(on_dask.stdout))
    # the second run reuses the cache: nothing is sent to the cluster
    again = runner.invoke(main, [*args, "--dask", cluster.scheduler_address, "--db", str(db)], catch_exceptions=False)
    assert comparable(json.loads(again.stdout)) == comparable(json.loads(single.stdout))
    with Store(db) as store:
        assert [r.status for r in store.scans()] == ["complete", "complete"]


def test_cli_dask_local_starts_a_cluster(estate: Path) -> None:
    require_module("distributed")
    runner = CliRunner()
    args = ["scan", str(estate), "--no-probe", "-q", "-f", "json"]
    single = runner.invoke(main, [*args, "-j", "1"], catch_exceptions=False)
    local = runner.invoke(main, [*args, "--dask", "local", "-j", "2"], catch_exceptions=False)
    assert local.exit_code == 0, local.stderr
    assert comparable(json.loads(single.stdout)) == comparable(json.loads(local.stdout))
    assert "distributed" not in local.stderr  # Dask's INFO logs stay quiet without -v


def _walked(tree: Path) -> list[Any]:
    plan = plan_targets([str(tree)])
    return list(walk(plan.roots, WalkOptions(), WalkResult()))


def test_worker_killed_mid_scan_loses_and_duplicates_nothing(client: Any, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    n = 400
    write_markers(tree, n, kill_at=137)
    flag = tmp_path / "killed-once"
    # every file takes a little while, so other batches are in flight (and held by the dying
    # worker) when the file that kills its worker is reached
    factory = functools.partial(marker_detectors, sleep_s=0.005, kill_flag=str(flag))
    files = _walked(tree)
    workers_before = set(client.scheduler_info()["workers"])

    examiner = DaskExaminer(client, factory, batch_files=16)
    results = list(examiner.examine(iter(files)))

    assert flag.exists(), "the worker was not killed: the test proved nothing"
    assert set(client.scheduler_info()["workers"]) != workers_before  # the nanny started a new worker
    # one result per walked file, in walk order: nothing lost, nothing twice
    assert [r.location for r in results] == [f.location for f in files]
    counts = Counter(r.location for r in results)
    assert max(counts.values()) == 1 and len(counts) == n
    # and the same findings as examining each file here
    reference_detectors = marker_detectors()  # no kill flag: nothing dies here
    expected = [examine(f, reference_detectors).findings for f in files]
    assert [r.findings for r in results] == expected
    assert sum(len(r.findings) for r in results) == n
    assert not any(note.reason == "worker-lost" for r in results for note in r.notes)


def test_worker_kill_during_recorded_scan(cluster: Any, tmp_path: Path) -> None:
    tree, db = tmp_path / "tree", tmp_path / "h.db"
    write_markers(tree, 200, kill_at=77)
    flag = tmp_path / "killed-once"
    factory = functools.partial(marker_detectors, sleep_s=0.002, kill_flag=str(flag))
    inv = run_scan([str(tree)], ScanOptions(dask=cluster.scheduler_address, db=str(db), detectors=factory))
    assert flag.exists()
    reference = run_scan([str(tree)], ScanOptions(jobs=1, detectors=marker_detectors))
    assert comparable(inv) == comparable(reference)
    with Store(db) as store:
        (rec,) = store.scans()
        findings = store.findings_of(rec.scan_id)
    assert rec.status == "complete" and rec.files_examined == 200
    assert len(findings) == len(set(findings)) == 200  # every finding committed exactly once


def test_batches_never_mix_targets(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write_markers(a, 70)
    write_markers(b, 5)
    plan = plan_targets([str(a), str(b)])
    files = list(walk(plan.roots, WalkOptions(), WalkResult()))
    batches = list(target_batches(files, 32))
    assert [len(x) for x in batches] == [32, 32, 6, 5]
    assert all(len({f.root_index for f in batch}) == 1 for batch in batches)
    assert [f for batch in batches for f in batch] == files
