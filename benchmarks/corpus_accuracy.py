"""Recall and precision of the detectors on the labelled corpus, per language/format.

Usage: ``python benchmarks/corpus_accuracy.py [CORPUS_ROOT]`` prints a markdown table
(``tests/corpus`` by default). ``tests/test_corpus.py`` loads this module and fails when
overall recall or precision is below 0.95.

Corpus layout: every ``expected.csv`` under the corpus root labels the files of its own
folder. Columns ``path`` (relative to the CSV's folder), ``line`` (1-based), ``algorithm``
(any name the catalog resolves; ``lib:<name>`` for a library asset), optional ``key_size``
and ``usage``; ``line`` may be empty for binary formats. A file of that
folder with no row is a decoy (``decoys.txt`` may list them with a reason): every finding
in it is a false positive.

Matching rule: a finding matches an expected row when the file is the same, the canonical
algorithm is the same (both sides resolved the way the engine resolves findings, so
``AES`` + 256 bits is ``AES-256`` and ``ECDSA`` + ``secp384r1`` is ``ECDSA-P384``), the
line is within ±1 (rows and findings without a line, in binary formats, match on the file),
and the key size is equal when the row gives one (a name that fixes the size, such as
``AES-256``, already carries it). Each expected row
matches at most one finding and each finding at most one row: a maximum one-to-one
matching, each row trying its closest finding first.
Unmatched rows are misses; unmatched findings in corpus files are false positives.
"""

from __future__ import annotations

import csv
import importlib
import inspect
import pkgutil
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import qrisk.scan.detectors as detectors_pkg
from qrisk import catalog
from qrisk.model import AssetKind, Inventory
from qrisk.scan.detectors import Detector, Finding, builtin_detectors
from qrisk.scan.detectors.source import SOURCE_DETECTORS
from qrisk.scan.engine import ScanOptions, resolve_algorithm, run_scan

LINE_TOLERANCE = 1
_META_FILES = frozenset({"expected.csv", "decoys.txt", "README.md", "README"})


@dataclass(frozen=True)
class Expected:
    """One labelled usage."""

    group: str
    path: str
    line: int | None
    """None for formats without lines (keystores, DER files): any line of the file matches."""
    algorithm: str
    canonical: str
    key_size: int | None
    usage: str


@dataclass(frozen=True)
class Found:
    """One finding of the scan, resolved."""

    path: str
    line: int | None
    canonical: str
    key_size: int | None
    usage: str
    rule_id: str


@dataclass
class GroupScore:
    """Counts for one language or format."""

    group: str
    files: int = 0
    decoys: int = 0
    expected: int = 0
    true_positives: int = 0
    false_positives: int = 0
    usage_checked: int = 0
    usage_agree: int = 0
    misses: list[Expected] = field(default_factory=list)
    extras: list[Found] = field(default_factory=list)

    @property
    def false_negatives(self) -> int:
        return self.expected - self.true_positives

    @property
    def recall(self) -> float:
        return self.true_positives / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0


def canonical_name(algorithm: str, key_size: int | None = None, curve: str | None = None) -> str:
    """The catalog entry a name (plus size/curve) resolves to, exactly as the engine resolves findings.
    Library rows are written ``lib:<name>`` and compare with the library asset's name."""
    if algorithm.lower().startswith("lib:"):
        return algorithm.lower()
    entry, _, _ = resolve_algorithm(Finding(AssetKind.ALGORITHM, algorithm, "", key_size=key_size, curve=curve))
    return entry.name if entry.name != "unknown" else f"unknown:{algorithm}"


def _package_detectors() -> list[type[Detector]]:
    """Every concrete detector class defined under :mod:`qrisk.scan.detectors`, so that the
    corpus measures detectors whether or not they are registered yet."""
    classes: list[type[Detector]] = list(SOURCE_DETECTORS)
    for info in pkgutil.walk_packages(detectors_pkg.__path__, detectors_pkg.__name__ + "."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(obj, Detector)
                and obj.__module__ == module.__name__
                and not inspect.isabstract(obj)
                and isinstance(getattr(obj, "id", None), str)
                and obj not in classes
            ):
                classes.append(obj)
    return classes


def corpus_detectors() -> list[Detector]:
    """The registered built-in detectors plus every other detector class of the package."""
    detectors = builtin_detectors()
    have = {type(d) for d in detectors}
    for cls in _package_detectors():
        if cls not in have:
            try:
                detectors.append(cls())
            except TypeError:  # needs constructor arguments: only the registry knows them
                continue
    return detectors


def _group(csv_dir: Path, rel: str) -> str:
    head, sep, _ = rel.partition("/")
    return f"{csv_dir.name}/{head}" if sep else csv_dir.name


def _relative(csv_dir: Path, path: str) -> str:
    """A row's path relative to the CSV's folder (rows written relative to the corpus root,
    ``config/nginx/x.conf`` next to ``config/expected.csv``, are accepted too)."""
    head, sep, rest = path.partition("/")
    if sep and head == csv_dir.name and not (csv_dir / path).exists() and (csv_dir / rest).exists():
        return rest
    return path


def load_expected(csv_path: Path) -> list[Expected]:
    """Rows of one ``expected.csv``."""
    rows: list[Expected] = []
    with open(csv_path, newline="", encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            norm = {k.strip().lower().replace(" ", "_"): (v or "").strip() for k, v in rec.items() if k}
            size = int(norm["key_size"]) if norm.get("key_size") else None
            alg = norm["algorithm"]
            path = _relative(csv_path.parent, norm["path"])
            rows.append(
                Expected(
                    group=_group(csv_path.parent, path),
                    path=path,
                    line=int(norm["line"]) if norm.get("line") else None,
                    algorithm=alg,
                    canonical=canonical_name(alg, size),
                    key_size=size,
                    usage=norm.get("usage", ""),
                )
            )
    return rows


def corpus_files(csv_dir: Path) -> list[str]:
    """Files of a corpus folder (relative paths), without the label files."""
    return sorted(
        p.relative_to(csv_dir).as_posix()
        for p in csv_dir.rglob("*")
        if p.is_file() and p.name not in _META_FILES and "__pycache__" not in p.parts
    )


def findings_of(inventory: Inventory) -> list[Found]:
    """Every occurrence of every algorithm asset (one per file and line)."""
    out = []
    for asset in inventory.assets:
        name = asset.algorithm
        if asset.kind == AssetKind.LIBRARY and asset.name:
            name = f"lib:{asset.name.lower()}"
        elif name == "unknown":
            # the engine keeps the name it could not resolve in a note
            raw = next((n.split(": ", 1)[1] for n in asset.notes if n.startswith("not in the qrisk catalog: ")), "")
            name = f"unknown:{raw or 'unknown'}"
        for occ in asset.occurrences:
            out.append(Found(occ.location, occ.line, name, asset.key_size, asset.usage.value, occ.rule_id))
    return out


def _size_ok(e: Expected, f: Found) -> bool:
    """The row's key size, when given, is the finding's; a name that fixes the size (AES-256) carries it."""
    if e.key_size is None or e.key_size == f.key_size:
        return True
    entry = catalog.algorithms().get(e.canonical)
    return entry.name != "unknown" and not entry.security_by_key_size


def match(expected: Sequence[Expected], found: Sequence[Found]) -> tuple[list[tuple[Expected, Found]], list[Expected], list[Found]]:
    """Pairs, unmatched expected rows, unmatched findings (see the module docstring)."""
    pool: dict[tuple[str, str], list[Found]] = {}
    for f in found:
        pool.setdefault((f.path, f.canonical), []).append(f)
    exp_list = list(expected)
    # candidates of each row, closest first
    options: list[list[Found]] = []
    for e in exp_list:
        cands = []
        for f in pool.get((e.path, e.canonical), []):
            distance = 0 if e.line is None or f.line is None else abs(f.line - e.line)
            if distance <= LINE_TOLERANCE and _size_ok(e, f):
                cands.append((distance, f.line or 0, id(f), f))
        options.append([c[3] for c in sorted(cands, key=lambda c: c[:3])])
    # maximum one-to-one matching (augmenting paths), each row trying its closest finding first
    owner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for f in options[i]:
            fid = id(f)
            if fid in seen:
                continue
            seen.add(fid)
            if fid not in owner or augment(owner[fid], seen):
                owner[fid] = i
                return True
        return False

    order = sorted(range(len(exp_list)), key=lambda i: (exp_list[i].path, exp_list[i].line or 0))
    for i in order:
        augment(i, set())
    by_id = {id(f): f for f in found}
    row_to_f = {i: by_id[fid] for fid, i in owner.items()}
    pairs = [(exp_list[i], row_to_f[i]) for i in sorted(row_to_f)]
    misses = [e for i, e in enumerate(exp_list) if i not in row_to_f]
    extras = [f for f in found if id(f) not in owner]
    return pairs, misses, extras


def score_corpus(csv_path: Path, detectors: Callable[[], list[Detector]] = corpus_detectors) -> dict[str, GroupScore]:
    """Scan one corpus folder and score it per group."""
    csv_dir = csv_path.parent
    expected = load_expected(csv_path)
    files = corpus_files(csv_dir)
    inventory = run_scan([str(csv_dir)], ScanOptions(detectors=detectors, jobs=1, use_gitignore=False))
    file_set = set(files)
    found = [f for f in findings_of(inventory) if f.path in file_set]
    pairs, misses, extras = match(expected, found)
    labelled = {e.path for e in expected}
    groups: dict[str, GroupScore] = {}

    def g(name: str) -> GroupScore:
        return groups.setdefault(name, GroupScore(name))

    for rel in files:
        score = g(_group(csv_dir, rel))
        score.files += 1
        if rel not in labelled:
            score.decoys += 1
    for e in expected:
        g(e.group).expected += 1
    for e, f in pairs:
        s = g(e.group)
        s.true_positives += 1
        if e.usage:
            s.usage_checked += 1
            s.usage_agree += int(e.usage == f.usage)
    for e in misses:
        g(e.group).misses.append(e)
    for f in extras:
        s = g(_group(csv_dir, f.path))
        s.false_positives += 1
        s.extras.append(f)
    return groups


def score_all(root: Path, detectors: Callable[[], list[Detector]] = corpus_detectors) -> dict[str, GroupScore]:
    """Scores of every ``expected.csv`` under ``root``, merged by group."""
    merged: dict[str, GroupScore] = {}
    for csv_path in sorted(root.rglob("expected.csv")):
        for name, s in score_corpus(csv_path, detectors).items():
            if name in merged:
                raise ValueError(f"group {name!r} appears in two corpora")
            merged[name] = s
    return merged


def total(groups: Iterable[GroupScore]) -> GroupScore:
    out = GroupScore("overall")
    for s in groups:
        out.files += s.files
        out.decoys += s.decoys
        out.expected += s.expected
        out.true_positives += s.true_positives
        out.false_positives += s.false_positives
        out.usage_checked += s.usage_checked
        out.usage_agree += s.usage_agree
    return out


def markdown_table(groups: dict[str, GroupScore]) -> str:
    """The per-group table, overall last."""
    lines = [
        "| Language / format | Files | Decoy files | Expected | Found | Missed | False pos. | Recall | Precision | Usage agrees |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [groups[k] for k in sorted(groups)]
    for s in [*rows, total(rows)]:
        usage = f"{s.usage_agree / s.usage_checked:.2f}" if s.usage_checked else "—"
        name = f"**{s.group}**" if s.group == "overall" else s.group
        lines.append(
            f"| {name} | {s.files} | {s.decoys} | {s.expected} | {s.true_positives} | {s.false_negatives} | "
            f"{s.false_positives} | {s.recall:.3f} | {s.precision:.3f} | {usage} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]) if args else Path(__file__).resolve().parents[1] / "tests" / "corpus"
    groups = score_all(root)
    print(markdown_table(groups))
    misses = [e for s in groups.values() for e in s.misses]
    extras = [f for s in groups.values() for f in s.extras]
    if misses or extras:
        print()
    for e in misses:
        print(f"missed: {e.path}:{e.line} {e.canonical} {e.key_size or ''}")
    for f in extras:
        print(f"false positive: {f.path}:{f.line} {f.canonical} {f.key_size or ''} ({f.rule_id})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
