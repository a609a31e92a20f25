"""Discovery: list the files under the scan roots, safely.

Respects ``.gitignore`` files (root and nested) and ``--exclude`` globs, never follows a
symlink out of the roots or round a loop, survives permission errors and names that are
not UTF-8, and records every file it passes over with the reason.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import pathspec

from qrisk.model import SkippedFile

ALWAYS_SKIP_DIRS = frozenset({".git", ".hg", ".svn"})
_ALWAYS_SKIP_DIRS_B = frozenset(os.fsencode(n) for n in ALWAYS_SKIP_DIRS)


def display(path_bytes: bytes) -> str:
    """A printable, JSON-safe form of a path (undecodable bytes become ``\\xNN``)."""
    return path_bytes.decode("utf-8", errors="backslashreplace")


class WalkedFile(NamedTuple):
    """A regular file to examine (a named tuple: built and pickled once per file, so
    cheaper than a dataclass)."""

    path: bytes
    """Absolute path as bytes (exact, whatever the encoding)."""
    location: str
    """Path relative to the target's root, printable (see :func:`display`)."""
    size: int
    root_index: int
    """Which root the file came from."""


@dataclass
class WalkOptions:
    """What to leave out."""

    excludes: Sequence[str] = ()
    """gitignore-style globs matched against the path relative to the root."""
    use_gitignore: bool = True
    max_file_size: int = 16 * 1024 * 1024


@dataclass
class Root:
    """A scan root: a folder or a single file, and the prefix its locations get."""

    path: Path
    prefix: str = ""
    """First path segment for locations when several targets are scanned (may be empty)."""


@dataclass
class WalkResult:
    """Skips recorded during the walk (files are yielded as they are found)."""

    skipped: list[SkippedFile] = field(default_factory=list)
    files_seen: int = 0


def _join(prefix: str, rel: str) -> str:
    if not prefix:
        return rel
    return f"{prefix}/{rel}" if rel else prefix


def _within(real: bytes, roots_real: Sequence[bytes]) -> bool:
    return any(real == r or real.startswith(r.rstrip(b"/") + b"/") for r in roots_real)


def walk(roots: Sequence[Root], options: WalkOptions, result: WalkResult) -> Iterator[WalkedFile]:
    """Yield every regular file under ``roots``; append skips to ``result``."""
    exclude_spec = pathspec.GitIgnoreSpec.from_lines(options.excludes) if options.excludes else None
    roots_real = [os.path.realpath(os.fsencode(r.path)) for r in roots]

    for index, root in enumerate(roots):
        root_b = os.fsencode(root.path)
        try:
            st = os.stat(root_b)
        except OSError as exc:
            result.skipped.append(SkippedFile(_join(root.prefix, "") or display(root_b), _reason(exc), str(exc.strerror)))
            continue
        if stat.S_ISREG(st.st_mode):
            result.files_seen += 1
            name = display(os.path.basename(root_b))
            loc = _join(root.prefix, name) if root.prefix else name
            if st.st_size > options.max_file_size:
                result.skipped.append(SkippedFile(loc, "too-large", f"{st.st_size} bytes"))
                continue
            yield WalkedFile(root_b, loc, st.st_size, index)
            continue
        if not stat.S_ISDIR(st.st_mode):
            result.skipped.append(SkippedFile(display(root_b), "not-a-file", "special file"))
            continue
        yield from _walk_dir(root, index, root_b, roots_real, exclude_spec, options, result)


def _reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission-denied"
    if isinstance(exc, FileNotFoundError):
        return "vanished"
    return "unreadable"


def _walk_dir(
    root: Root,
    index: int,
    root_b: bytes,
    roots_real: Sequence[bytes],
    exclude_spec: pathspec.PathSpec | None,
    options: WalkOptions,
    result: WalkResult,
) -> Iterator[WalkedFile]:
    visited: set[tuple[int, int]] = set()
    root_stat = os.stat(root_b)
    visited.add((root_stat.st_dev, root_stat.st_ino))
    Specs = tuple[tuple[bytes, pathspec.PathSpec], ...]
    # Real folders are walked first; folders reached through a symlink wait in `deferred`,
    # so a link never hides the real path, and a link to a folder already seen is recorded
    # once (as a loop when it points at one of its own ancestors).
    stack: list[tuple[bytes, bytes, Specs]] = [(root_b, b"", ())]
    deferred: list[tuple[bytes, bytes, Specs]] = []
    while stack or deferred:
        if stack:
            dir_b, rel_dir, specs = stack.pop()
        else:
            dir_b, rel_dir, specs = deferred.pop(0)
            loc = _join(root.prefix, display(rel_dir))
            try:
                st = os.stat(dir_b)
            except OSError as exc:
                result.skipped.append(SkippedFile(loc, _reason(exc), ""))
                continue
            key = (st.st_dev, st.st_ino)
            if key in visited:
                real = os.path.realpath(dir_b)
                parent_real = os.path.realpath(os.path.dirname(dir_b))
                if parent_real == real or parent_real.startswith(real.rstrip(b"/") + b"/"):
                    result.skipped.append(SkippedFile(loc, "symlink-loop", "link to one of its own parent folders"))
                else:
                    result.skipped.append(SkippedFile(loc, "symlink-duplicate", "folder already scanned by another path"))
                continue
            visited.add(key)
        if options.use_gitignore:
            gi = os.path.join(dir_b, b".gitignore")
            try:
                with open(gi, "rb") as fh:
                    lines = fh.read(1024 * 1024).decode("utf-8", errors="replace").splitlines()
            except OSError:
                lines = None
            if lines is not None:
                gi_loc = _join(root.prefix, display(rel_dir + b"/.gitignore" if rel_dir else b".gitignore"))
                specs = (*specs, (rel_dir, _gitignore_spec(lines, gi_loc, result)))
        try:
            with os.scandir(dir_b) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            loc = _join(root.prefix, display(rel_dir)) or display(dir_b)
            result.skipped.append(SkippedFile(loc, _reason(exc), "cannot list folder"))
            continue
        subdirs = []
        # locations are "<prefix>/<rel>" (or "<rel>"): one string prefix per folder
        loc_base = _join(root.prefix, display(rel_dir)) + "/" if (root.prefix or rel_dir) else ""
        check_ignored = bool(specs) or exclude_spec is not None
        for entry in entries:
            name = entry.name  # bytes: the folder was listed by a bytes path
            rel = rel_dir + b"/" + name if rel_dir else name
            loc = loc_base + display(name)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError as exc:
                result.skipped.append(SkippedFile(loc, _reason(exc), ""))
                continue
            if is_dir and name in _ALWAYS_SKIP_DIRS_B:
                continue
            if check_ignored and _ignored(rel, is_dir, specs, exclude_spec):
                continue
            full = entry.path
            if is_link:
                real = os.path.realpath(full)
                if not os.path.exists(real):
                    result.skipped.append(SkippedFile(loc, "broken-symlink", ""))
                    continue
                if not _within(real, roots_real):
                    result.skipped.append(SkippedFile(loc, "outside-root", "symlink leads outside the scanned roots"))
                    continue
            if is_dir:
                if is_link:
                    deferred.append((full, rel, specs))
                    continue
                try:
                    st = os.stat(full)
                except OSError as exc:
                    result.skipped.append(SkippedFile(loc, _reason(exc), ""))
                    continue
                key = (st.st_dev, st.st_ino)
                if key in visited:
                    continue
                visited.add(key)
                subdirs.append((full, rel, specs))
                continue
            result.files_seen += 1
            try:
                st = os.stat(full) if is_link else entry.stat(follow_symlinks=False)
            except OSError as exc:
                result.skipped.append(SkippedFile(loc, _reason(exc), ""))
                continue
            if not stat.S_ISREG(st.st_mode):
                result.skipped.append(SkippedFile(loc, "not-a-file", "device, socket or pipe"))
                continue
            if st.st_size > options.max_file_size:
                result.skipped.append(SkippedFile(loc, "too-large", f"{st.st_size} bytes > {options.max_file_size}"))
                continue
            yield WalkedFile(full, loc, st.st_size, index)
        stack.extend(reversed(subdirs))


def _gitignore_spec(lines: list[str], location: str, result: WalkResult) -> pathspec.PathSpec:
    """A .gitignore's patterns; a line git would not accept (``[z-a]``, a lone ``\\``) is
    left out and recorded, instead of stopping the scan."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except Exception:  # pathspec raises its own errors and re.error for bad patterns
        good = []
        for number, line in enumerate(lines, 1):
            try:
                pathspec.GitIgnoreSpec.from_lines([line])
            except Exception:
                result.skipped.append(SkippedFile(location, "malformed", f"line {number}: pattern ignored"))
                continue
            good.append(line)
        return pathspec.GitIgnoreSpec.from_lines(good)


def _ignored(
    rel: bytes,
    is_dir: bool,
    specs: tuple[tuple[bytes, pathspec.PathSpec], ...],
    exclude_spec: pathspec.PathSpec | None,
) -> bool:
    rel_s = rel.decode("utf-8", errors="surrogateescape")
    candidate = rel_s + "/" if is_dir else rel_s
    if exclude_spec is not None and exclude_spec.match_file(candidate):
        return True
    for base, spec in specs:
        if base:
            base_s = base.decode("utf-8", errors="surrogateescape") + "/"
            if not candidate.startswith(base_s):
                continue
            sub = candidate[len(base_s):]
        else:
            sub = candidate
        if spec.match_file(sub):
            return True
    return False
