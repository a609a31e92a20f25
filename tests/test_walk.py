"""Discovery on hostile trees: loops, links out of the root, unreadable, huge and binary
files, names that are not UTF-8, .gitignore and --exclude. The scan always finishes and
records every skip with its reason."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import os
import tempfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from qrisk.model import Inventory
from qrisk.scan.engine import ScanOptions, examine, run_scan
from qrisk.scan.walk import Root, WalkedFile, WalkOptions, WalkResult, walk


def cert_pem(cn: str = "walk-test") -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    c = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return c.public_bytes(serialization.Encoding.PEM)


def reasons(inv: Inventory) -> dict[str, str]:
    return {s.location: s.reason for s in inv.skipped}


def scan(*targets: Path, **kw: object) -> Inventory:
    return run_scan([str(t) for t in targets], ScanOptions(jobs=1, **kw))  # type: ignore[arg-type]


def test_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "a.pem").write_bytes(cert_pem())
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
    (root / "self").symlink_to(root / "sub", target_is_directory=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.pem").write_bytes(cert_pem("outside"))
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "escape-file.pem").symlink_to(outside / "secret.pem")
    (root / "dangling").symlink_to(tmp_path / "nowhere")
    inv = scan(root)
    r = reasons(inv)
    assert r["sub/loop"] == "symlink-loop"
    assert r["self"] == "symlink-duplicate"
    assert r["escape"] == "outside-root"
    assert r["escape-file.pem"] == "outside-root"
    assert r["dangling"] == "broken-symlink"
    # the certificate is found once (the second path to sub/ is a loop), nothing outside the root
    assert len(inv.assets) == 1
    assert all("outside" not in (a.name or "") for a in inv.assets)


def test_binary_large_and_special_files(tmp_path: Path) -> None:
    (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02" * 1000)
    with (tmp_path / "big.dat").open("wb") as fh:
        fh.write(os.urandom(1024))
        fh.truncate(50 * 1024 * 1024)
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "ok.pem").write_bytes(cert_pem())
    inv = scan(tmp_path)
    r = reasons(inv)
    assert r["blob.bin"] == "binary"
    assert r["big.dat"] == "too-large"
    assert r["pipe"] == "not-a-file"
    assert len(inv.assets) == 1
    # a larger cap lets the 50 MB binary through to binary sniffing
    inv = scan(tmp_path, max_file_size=64 * 1024 * 1024)
    assert reasons(inv)["big.dat"] == "binary"


def test_non_utf8_names(tmp_path: Path) -> None:
    name = os.fsencode(tmp_path) + b"/caf\xe9-\xff.pem"
    with open(name, "wb") as fh:
        fh.write(cert_pem())
    inv = scan(tmp_path)
    assert [o.location for a in inv.assets for o in a.occurrences] == ["caf\\xe9-\\xff.pem"]
    from qrisk.model import inventory_to_json

    inventory_to_json(inv).encode("utf-8")  # printable and encodable


def test_gitignore_and_excludes(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\nbuild/\n!keep.log\n")
    (tmp_path / "a.log").write_bytes(cert_pem())
    (tmp_path / "keep.log").write_bytes(cert_pem())
    (tmp_path / "build").mkdir()
    (tmp_path / "build" / "x.pem").write_bytes(cert_pem())
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / ".gitignore").write_text("generated.pem\n")
    (tmp_path / "pkg" / "generated.pem").write_bytes(cert_pem())
    (tmp_path / "pkg" / "real.pem").write_bytes(cert_pem())
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "v.pem").write_bytes(cert_pem())
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "c.pem").write_bytes(cert_pem())

    def locations(inv: Inventory) -> set[str]:
        return {o.location for a in inv.assets for o in a.occurrences}

    assert locations(scan(tmp_path)) == {"keep.log", "pkg/real.pem", "vendor/v.pem"}
    assert locations(scan(tmp_path, excludes=("vendor/",))) == {"keep.log", "pkg/real.pem"}
    assert locations(scan(tmp_path, use_gitignore=False)) == {
        "a.log", "keep.log", "build/x.pem", "pkg/generated.pem", "pkg/real.pem", "vendor/v.pem"
    }


def test_several_targets_prefix_locations(tmp_path: Path) -> None:
    for name in ("alpha", "beta"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "c.pem").write_bytes(cert_pem(name))
    single = tmp_path / "alpha" / "c.pem"
    inv = scan(tmp_path / "alpha", tmp_path / "beta")
    assert sorted(o.location for a in inv.assets for o in a.occurrences) == ["alpha/c.pem", "beta/c.pem"]
    inv = scan(single)
    assert [o.location for a in inv.assets for o in a.occurrences] == ["c.pem"]


def test_file_vanishing_mid_scan(tmp_path: Path) -> None:
    p = tmp_path / "gone.pem"
    p.write_bytes(cert_pem())
    result = WalkResult()
    files = list(walk([Root(tmp_path)], WalkOptions(), result))
    p.unlink()
    out = examine(files[0], [])
    assert [n.reason for n in out.notes] == ["vanished"]


def _scan_as_nobody(folder: str, queue: mp.Queue) -> None:  # runs in a forked child
    os.setgid(65534)
    os.setuid(65534)
    inv = run_scan([folder], ScanOptions(jobs=1))
    queue.put(([(s.location, s.reason) for s in inv.skipped], len(inv.assets)))


def test_unreadable_file_and_folder() -> None:
    # Real permission errors. As root, permissions do not bind, so the scan runs in a
    # forked child that drops to the 'nobody' user.
    folder = tempfile.mkdtemp(prefix="qrisk-perm-")
    try:
        os.chmod(folder, 0o755)
        Path(folder, "ok.pem").write_bytes(cert_pem())
        Path(folder, "locked.pem").write_bytes(cert_pem())
        os.chmod(Path(folder, "locked.pem"), 0o000)
        Path(folder, "closed").mkdir()
        Path(folder, "closed", "inner.pem").write_bytes(cert_pem())
        os.chmod(Path(folder, "closed"), 0o000)
        os.chmod(Path(folder, "ok.pem"), 0o644)
        if os.geteuid() == 0:
            ctx = mp.get_context("fork")
            q: mp.Queue = ctx.Queue()
            child = ctx.Process(target=_scan_as_nobody, args=(folder, q))
            child.start()
            skipped, n_assets = q.get(timeout=60)
            child.join(30)
        else:
            inv = run_scan([folder], ScanOptions(jobs=1))
            skipped, n_assets = [(s.location, s.reason) for s in inv.skipped], len(inv.assets)
        assert ("locked.pem", "permission-denied") in skipped
        assert ("closed", "permission-denied") in skipped
        assert n_assets == 1
    finally:
        os.chmod(Path(folder, "closed"), 0o755)
        import shutil

        shutil.rmtree(folder)


def test_walked_file_is_frozen() -> None:
    f = WalkedFile(b"/x", "x", 1, 0)
    with pytest.raises(AttributeError):
        f.size = 2  # type: ignore[misc]


def test_a_bad_gitignore_line_is_recorded_not_fatal(tmp_path: Path) -> None:
    from qrisk.scan.engine import ScanOptions, run_scan

    (tmp_path / ".gitignore").write_text("*.log\n[z-a]\n\\\nbuild/\n")
    (tmp_path / "a.log").write_text("x\n")
    (tmp_path / "keep.txt").write_text("x\n")
    inv = run_scan([str(tmp_path)], ScanOptions(jobs=1, probe_endpoints=False))
    bad = [s for s in inv.skipped if s.reason == "malformed"]
    assert [s.location for s in bad] and all(s.location == ".gitignore" for s in bad)
    assert inv.scan.files_seen == 2  # .gitignore and keep.txt; a.log still ignored
