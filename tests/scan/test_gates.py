"""Detector gates (``Detector.gate``) are supersets of ``wants``: the engine never asks a
detector about a file its gate rejects, so a gate that rejected a file ``wants`` accepts
would silently lose findings. Checked with hypothesis over names and heads built from
every gate's own vocabulary, and over every file under tests/ (corpus included) and of the sample estate."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.scan.detectors import builtin_detectors
from qrisk.scan.detectors.base import Gate
from qrisk.scan.engine import HEAD_BYTES
from qrisk.scan.prefilter import Prefilter

ROOT = Path(__file__).resolve().parents[2]
DETECTORS = builtin_detectors()
PREFILTER = Prefilter(DETECTORS)
GATED = [(i, d) for i, d in enumerate(DETECTORS) if isinstance(d.gate, Gate)]


def _vocabulary() -> tuple[list[str], list[str], list[bytes]]:
    names: set[str] = {"config", "readme.md", "a", "x.py", "conf", "Makefile"}
    folders: set[str] = {"etc", "src", "deep", ".ssh", "docs"}
    heads: set[bytes] = {b"", b"plain text\n", b"\x00\x01binary", b"global\n", b"\nfrontend x\n", b"conn x\n"}
    for _, d in GATED:
        g = d.gate
        assert g is not None
        names.update(g.filenames)
        names.update("x" + e for e in g.extensions)
        names.update(g.extensions)  # dot-files named exactly like an extension (``.yaml``)
        names.update(p + s for p in g.prefixes for s in ("", ".conf", "_x", ".bak", ".md"))
        names.update(w + ".cfg" for w in g.path_words)
        folders.update(g.parents)
        folders.update(g.path_words)
        heads.update(g.head_marks)
        heads.update(s + b"\x82\x01\x00\x30\x82" for s in g.head_starts)
    return sorted(names), sorted(folders), sorted(heads)


NAMES, FOLDERS, HEADS = _vocabulary()


def _case(draw: st.DrawFn, text: str) -> str:
    return text.upper() if draw(st.booleans()) else text


@st.composite
def paths(draw: st.DrawFn) -> str:
    parts = [_case(draw, draw(st.sampled_from(FOLDERS))) for _ in range(draw(st.integers(0, 3)))]
    name = draw(st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=12).filter(lambda s: "/" not in s)))
    sep = draw(st.sampled_from(["/", "/", "\\"]))
    return sep.join([*parts, _case(draw, name)])


@st.composite
def heads(draw: st.DrawFn) -> bytes:
    pieces = draw(st.lists(st.one_of(st.sampled_from(HEADS), st.binary(max_size=16)), max_size=4))
    return b" ".join(pieces)[:HEAD_BYTES]


def _check(path: str, head: bytes) -> None:
    passing = set(PREFILTER.to_ask(path, head))
    for i, d in GATED:
        if d.wants(path, head):
            assert i in passing, f"{d.id}: gate rejects {path!r} (head {head[:40]!r}) that wants() accepts"


@settings(max_examples=3000, deadline=None)
@given(paths(), heads())
def test_gate_is_a_superset_of_wants(path: str, head: bytes) -> None:
    _check(path, head)


def _tree_files() -> list[Path]:
    out: list[Path] = []
    for base in (ROOT / "tests", ROOT / "inventories"):
        out.extend(p for p in base.rglob("*") if p.is_file())
    return out


def test_gates_pass_every_test_and_sample_file_wants_accepts() -> None:
    files = _tree_files()
    assert len(files) > 200
    for p in files:
        rel = p.relative_to(ROOT).as_posix()
        with open(p, "rb") as fh:
            head = fh.read(HEAD_BYTES)
        _check(rel, head)


def test_every_builtin_detector_is_gated_or_name_only() -> None:
    # an ungated detector is asked about every file: allowed (plugins), but not for built-ins
    assert PREFILTER.ask == []


@pytest.mark.parametrize(
    ("path", "head", "detector"),
    [
        ("etc/nginx/sites-enabled/default", b"server {}", "nginx"),
        ("deploy/haproxy/edge.cfg", b"", "haproxy"),
        ("x/README.txt", b"-----BEGIN CERTIFICATE-----", "x509"),
        ("home/.ssh/authorized_keys", b"", "keys"),
        ("store/app.bin", b"\xfe\xed\xfe\xed\x00\x00\x00\x02", "keystore"),
        ("svc/requirements/base.txt", b"cryptography==42", "dependencies"),
    ],
)
def test_gate_examples(path: str, head: bytes, detector: str) -> None:
    index = next(i for i, d in enumerate(DETECTORS) if d.id == detector)
    assert index in PREFILTER.to_ask(path, head)


def test_a_plain_source_file_asks_no_config_detector() -> None:
    assert PREFILTER.to_ask("lib/module.py", b"import os\n") == []
