"""Recall and precision of the detectors on the labelled corpus (``tests/corpus/**/expected.csv``).

Matching rule (implemented in ``benchmarks/corpus_accuracy.py``, which this test loads):
a finding matches an expected row when

* the file is the same,
* the canonical algorithm is the same: the row's name (plus its key size) and the
  finding's name (plus key size and curve) are both resolved the way the engine resolves
  findings through ``qrisk.catalog.algorithms()`` (``AES`` + 256 → ``AES-256``,
  ``ECDSA`` + ``secp384r1`` → ``ECDSA-P384``; ``lib:<name>`` rows name library assets),
* the line is within ±1 (rows and findings without a line, in binary formats, match on the file),
* and the key size is equal when the row gives one (a name that fixes the size, such as
  ``AES-256``, already carries it).

Each expected row matches at most one finding and each finding at most one row (a maximum
one-to-one matching, each row trying its closest finding first). Unmatched rows are misses; unmatched findings in corpus files are false
positives. A corpus file with no row is a decoy (``decoys.txt`` lists them with the
reason): any finding in it is a false positive. The table per language/format is
printed (``pytest -s``) and kept in ``benchmarks/BENCHMARKS.md``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
CODE = CORPUS / "code"
LANGUAGES = ("python", "java", "kotlin", "go", "javascript", "c", "csharp", "rust", "php", "ruby")
MIN_RECALL = 0.95
MIN_PRECISION = 0.95


def _load_accuracy() -> ModuleType:
    path = ROOT / "benchmarks" / "corpus_accuracy.py"
    spec = importlib.util.spec_from_file_location("corpus_accuracy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("corpus_accuracy", module)
    spec.loader.exec_module(module)
    return module


acc = _load_accuracy()


@pytest.fixture(scope="module")
def code_scores() -> dict[str, object]:
    return acc.score_corpus(CODE / "expected.csv")


@pytest.fixture(scope="module")
def all_scores() -> dict[str, object]:
    return acc.score_all(CORPUS)


def test_code_corpus_is_big_enough() -> None:
    rows = acc.load_expected(CODE / "expected.csv")
    per_language = Counter(r.group.split("/", 1)[1] for r in rows)
    assert len(rows) >= 220
    for language in LANGUAGES:
        assert per_language[language] >= 15, f"{language}: {per_language[language]} labelled usages"
    labelled = {r.path for r in rows}
    decoys = [f for f in acc.corpus_files(CODE) if f not in labelled]
    assert len(decoys) >= 45
    listed = {line.split("#", 1)[0].strip() for line in (CODE / "decoys.txt").read_text().splitlines()}
    assert set(decoys) <= listed, "every decoy file is listed with its reason in decoys.txt"


def test_expected_rows_point_at_real_lines() -> None:
    for csv_path in CORPUS.rglob("expected.csv"):
        for row in acc.load_expected(csv_path):
            target = csv_path.parent / row.path
            assert target.is_file(), f"{csv_path}: {row.path} does not exist"
            if row.line is not None and row.path.startswith(LANGUAGES):
                lines = target.read_text(encoding="utf-8").splitlines()
                assert 1 <= row.line <= len(lines), f"{row.path}:{row.line}"
            assert not row.canonical.startswith("unknown:") or csv_path.parent != CODE, (
                f"{row.path}:{row.line}: {row.algorithm!r} is not a catalog name"
            )


def test_code_corpus_accuracy(code_scores: dict[str, object]) -> None:
    print("\n" + acc.markdown_table(code_scores))
    overall = acc.total(code_scores.values())
    assert overall.recall >= MIN_RECALL, [f"{e.path}:{e.line} {e.canonical}" for s in code_scores.values() for e in s.misses]
    assert overall.precision >= MIN_PRECISION, [f"{f.path}:{f.line} {f.canonical}" for s in code_scores.values() for f in s.extras]


def test_no_finding_in_code_decoys(code_scores: dict[str, object]) -> None:
    labelled = {r.path for r in acc.load_expected(CODE / "expected.csv")}
    in_decoys = [f"{f.path}:{f.line} {f.canonical} ({f.rule_id})" for s in code_scores.values() for f in s.extras
                 if f.path not in labelled]
    assert in_decoys == []


def test_all_corpora_accuracy(all_scores: dict[str, object]) -> None:
    """Every labelled corpus (source code, configs, dependencies, IaC, keystores) together."""
    print("\n" + acc.markdown_table(all_scores))
    overall = acc.total(all_scores.values())
    assert overall.expected > 0
    assert overall.recall >= MIN_RECALL
    assert overall.precision >= MIN_PRECISION


# --------------------------------------------------------------------------- the matching rule


def _row(path: str, line: int, alg: str, size: int | None = None) -> object:
    return acc.Expected("g", path, line, alg, acc.canonical_name(alg, size), size, "")


def _found(path: str, line: int, alg: str, size: int | None = None, curve: str | None = None) -> object:
    return acc.Found(path, line, acc.canonical_name(alg, size, curve), size, "", "QR-T-1")


def test_match_resolves_names_sizes_and_curves() -> None:
    rows = [_row("a", 3, "AES", 256), _row("a", 9, "ECDSA-P384"), _row("a", 12, "SHA256withRSA")]
    found = [_found("a", 4, "aes-256-gcm"), _found("a", 9, "EC", curve="secp384r1"), _found("a", 12, "RSA")]
    pairs, misses, extras = acc.match(rows, found)
    assert len(pairs) == 3 and misses == [] and extras == []


def test_match_requires_the_stated_key_size_and_same_file() -> None:
    pairs, misses, extras = acc.match([_row("a", 3, "RSA", 2048)], [_found("a", 3, "RSA", 1024), _found("b", 3, "RSA", 2048)])
    assert pairs == [] and len(misses) == 1 and len(extras) == 2


def test_each_row_matches_one_finding_and_the_closest() -> None:
    rows = [_row("a", 10, "MD5"), _row("a", 11, "MD5")]
    found = [_found("a", 11, "md5"), _found("a", 12, "md5"), _found("a", 13, "md5")]
    pairs, _misses, extras = acc.match(rows, found)
    assert sorted((e.line, f.line) for e, f in pairs) == [(10, 11), (11, 12)]
    assert [f.line for f in extras] == [13]


@given(
    st.lists(
        st.tuples(st.integers(1, 400), st.sampled_from(["MD5", "SHA-256", "RSA", "AES-128", "X25519"])),
        min_size=1,
        max_size=30,
        unique=True,
    ),
    st.integers(-3, 3),
)
def test_matching_tolerates_one_line_and_no_more(rows: list[tuple[int, str]], shift: int) -> None:
    expected = [_row("f", line, alg) for line, alg in rows]
    found = [_found("f", max(1, line + shift), alg) for line, alg in rows]
    pairs, misses, extras = acc.match(expected, found)
    assert len(pairs) + len(misses) == len(expected)
    assert len(pairs) + len(extras) == len(found)
    if shift == 0:
        assert misses == [] and extras == []
    if abs(shift) > 1:
        # only rows moved onto the first line by the clamp can still meet a finding
        assert all(abs(f.line - e.line) <= 1 for e, f in pairs)
