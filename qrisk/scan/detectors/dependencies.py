"""Cryptographic libraries in dependency manifests and lock files, with their version and whether
that version can do post-quantum cryptography.

Python (requirements*.txt, pyproject.toml, poetry.lock, Pipfile, Pipfile.lock), JavaScript
(package.json, package-lock.json, npm-shrinkwrap.json, yarn.lock v1 and Berry), Java (pom.xml,
build.gradle, build.gradle.kts, gradle/libs.versions.toml), Go (go.mod, including the ``go`` and
``toolchain`` directives), Rust (Cargo.toml, Cargo.lock), .NET (*.csproj, Directory.Packages.props,
packages.config, target frameworks), PHP (composer.json, composer.lock) and Ruby (Gemfile,
Gemfile.lock). Which packages are cryptographic libraries, and from which version each can do
PQC, is data: ``qrisk/catalog/libraries.yaml``. Every finding says "pqc-capable", "not
pqc-capable" or what it depends on, and cites the catalog's source.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, ClassVar, Literal
from xml.parsers import expat

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qrisk import catalog
from qrisk.model import AssetKind, Confidence, Usage
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Finding, Gate

LIBRARIES_SCHEMA = "qrisk.catalog.libraries/1"

Ecosystem = Literal["pypi", "npm", "maven", "go", "cargo", "nuget", "composer", "rubygems", "platform"]

RULES: dict[str, str] = {
    "QR-DEP-PYPI-001": "Cryptographic Python package declared in requirements*.txt, pyproject.toml or Pipfile",
    "QR-DEP-PYPI-002": "Cryptographic Python package resolved in poetry.lock or Pipfile.lock",
    "QR-DEP-NPM-001": "Cryptographic npm package declared in package.json",
    "QR-DEP-NPM-002": "Cryptographic npm package resolved in package-lock.json, npm-shrinkwrap.json or yarn.lock",
    "QR-DEP-MAVEN-001": "Cryptographic Java library declared in pom.xml, build.gradle(.kts) or libs.versions.toml",
    "QR-DEP-GO-001": "Cryptographic Go module required in go.mod",
    "QR-DEP-CARGO-001": "Cryptographic Rust crate declared in Cargo.toml",
    "QR-DEP-CARGO-002": "Cryptographic Rust crate resolved in Cargo.lock",
    "QR-DEP-NUGET-001": "Cryptographic .NET package referenced in a project file, Directory.Packages.props or packages.config",
    "QR-DEP-COMPOSER-001": "Cryptographic PHP package required in composer.json",
    "QR-DEP-COMPOSER-002": "Cryptographic PHP package resolved in composer.lock",
    "QR-DEP-GEM-001": "Cryptographic Ruby gem declared in a Gemfile",
    "QR-DEP-GEM-002": "Cryptographic Ruby gem resolved in Gemfile.lock",
    "QR-DEP-PLATFORM-001": "Language runtime version fixed by a manifest (go/toolchain directive, Java release, .NET target framework)",
}


# --------------------------------------------------------------------------- the library catalog


class _Package(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    ecosystem: Ecosystem
    name: str
    pqc_since: str | None = "inherit"
    version_after: str | None = None


class _Library(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    packages: list[_Package]
    pqc_since: str | None
    draft_since: str | None = None
    pqc: list[str] = []
    source: str
    notes: str = ""

    @field_validator("source")
    @classmethod
    def _source_present(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("every library entry must name its source")
        return v


class _LibrariesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_: str = Field(alias="schema")
    as_of: str
    libraries: list[_Library]


class LibraryCatalogError(RuntimeError):
    """The shipped library catalog is malformed (a bug in the data)."""


@dataclass(frozen=True)
class Library:
    """One cryptographic library as one ecosystem package."""

    id: str
    name: str
    ecosystem: str
    package: str
    pqc_since: str | None
    """First PQC-capable version, ``any``, or None (none yet)."""
    draft_since: str | None
    pqc: tuple[str, ...]
    source: str
    notes: str
    version_after: str | None
    as_of: str


def parse_libraries(data: Any) -> dict[tuple[str, str], Library]:
    """Validate and index a library document by (ecosystem, lower-case package name)."""
    try:
        doc = _LibrariesFile.model_validate(data)
    except ValidationError as exc:
        raise LibraryCatalogError(f"library catalog is malformed: {exc}") from None
    if doc.schema_.split("/")[0] != LIBRARIES_SCHEMA.split("/")[0]:
        raise LibraryCatalogError(f"unexpected library catalog schema {doc.schema_!r}")
    out: dict[tuple[str, str], Library] = {}
    ids: set[str] = set()
    for lib in doc.libraries:
        if lib.id in ids:
            raise LibraryCatalogError(f"library id {lib.id!r} is listed twice")
        ids.add(lib.id)
        for pkg in lib.packages:
            key = (pkg.ecosystem, pkg.name.lower())
            if key in out:
                raise LibraryCatalogError(f"package {pkg.ecosystem}:{pkg.name} is listed twice")
            since = lib.pqc_since if pkg.pqc_since == "inherit" else pkg.pqc_since
            out[key] = Library(
                lib.id, lib.name, pkg.ecosystem, pkg.name, since, lib.draft_since, tuple(lib.pqc),
                lib.source, lib.notes, pkg.version_after, doc.as_of,
            )
    return out


@functools.cache
def libraries() -> dict[tuple[str, str], Library]:
    """The shipped library catalog (cached)."""
    text = resources.files("qrisk.catalog").joinpath("libraries.yaml").read_text(encoding="utf-8")
    return parse_libraries(catalog.safe_load(text))


# --------------------------------------------------------------------------- versions

_NUM_RE = re.compile(r"\d+")
_CONSTRAINT_RE = re.compile(r"(===|==|~=|!=|>=|<=|\^|~>|~|>|<|=)?\s*v?(\d+(?:\.\d+)*)")


def version_key(version: str) -> tuple[int, ...]:
    """Numeric key of a version's release part (``v1.24.1`` → (1, 24, 1); ``1.2.0rc1`` → (1, 2, 0))."""
    v = version.strip().lstrip("vV=")
    release = re.split(r"[^\d.]", v, maxsplit=1)[0]
    parts = [int(p) for p in release.split(".") if p.isdigit()]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _ge(a: str, b: str) -> bool:
    return version_key(a) >= version_key(b)


@dataclass(frozen=True)
class Verdict:
    status: str
    """``pqc-capable``, ``not pqc-capable`` or ``pqc-capable from X`` (a range allowing both)."""
    detail: str


def verdict(lib: Library, version: str | None, exact: bool) -> Verdict:
    """Whether ``version`` (exact, or a constraint) of ``lib`` can do PQC, according to the catalog."""
    algs = ", ".join(lib.pqc)
    if lib.pqc_since is None:
        return Verdict("not pqc-capable", f"no release implements ML-KEM/ML-DSA/SLH-DSA (as of {lib.as_of})")
    if lib.pqc_since == "any":
        return Verdict("pqc-capable", f"every release: {algs}" if algs else "every release")
    since = lib.pqc_since
    if not version:
        return Verdict(f"pqc-capable from {since}", f"version not pinned; PQC ({algs}) from {since}")
    if exact:
        if _ge(version, since):
            return Verdict("pqc-capable", f"{algs} from {since}")
        if lib.draft_since and _ge(version, lib.draft_since):
            return Verdict("not pqc-capable", f"pre-standard PQC only (before {since}); FIPS 203/204 from {since}")
        return Verdict("not pqc-capable", f"PQC ({algs}) from {since}")
    low, high, high_inclusive = _bounds(version)
    if low is not None and _ge(low, since):
        return Verdict("pqc-capable", f"every version allowed by {version!r} has {algs} (from {since})")
    if high is not None and (version_key(high) <= version_key(since) if not high_inclusive else not _ge(high, since)):
        return Verdict("not pqc-capable", f"{version!r} excludes {since}, the first version with PQC ({algs})")
    return Verdict(f"pqc-capable from {since}", f"{version!r} allows versions before and after {since}")


def _bounds(spec: str) -> tuple[str | None, str | None, bool]:
    """(lower bound, upper bound, upper inclusive) of a version constraint in any ecosystem's syntax:
    PEP 440 (``>=``, ``~=``), npm/Cargo (``^``, ``~``), RubyGems (``~>``), Maven/NuGet bare versions."""
    low: str | None = None
    high: str | None = None
    inclusive = False
    for m in _CONSTRAINT_RE.finditer(spec):
        op, ver = m.group(1) or "", m.group(2)
        if op in ("", "==", "===", "=") and not re.search(r"[*xX]", spec):
            low = high = ver
            inclusive = True
        elif op in (">=", ">", "~=", "~>", "~", "^"):
            if low is None or _ge(ver, low):
                low = ver
            cap = _compatible_cap(op, ver)
            if cap is not None:
                high, inclusive = cap, False
        elif op in ("<", "<="):
            high, inclusive = ver, op == "<="
    return low, high, inclusive


def _compatible_cap(op: str, ver: str) -> str | None:
    """The exclusive upper bound of a compatible-release operator."""
    parts = [int(p) for p in ver.split(".") if p.isdigit()]
    if not parts:
        return None
    if op == "^":  # npm/Cargo: the first non-zero component may not change
        i = next((k for k, p in enumerate(parts) if p), len(parts) - 1)
        return ".".join(str(p) for p in [*parts[:i], parts[i] + 1])
    if op == "~":  # npm/Cargo: patch updates when a minor is given, else minor updates
        return f"{parts[0]}.{parts[1] + 1}" if len(parts) >= 2 else f"{parts[0] + 1}"
    if op in ("~=", "~>"):  # PEP 440 / RubyGems: the last given component may grow
        head = parts[:-1] if len(parts) > 1 else parts
        return ".".join(str(p) for p in [*head[:-1], head[-1] + 1])
    return None


def is_exact(spec: str) -> bool:
    """Whether a constraint pins one version (``==1.2.3``, ``1.2.3`` for npm/cargo lock style)."""
    s = spec.strip()
    return bool(re.fullmatch(r"(==|===|=)?\s*v?\d+(\.\d+)*([-+.][\w.-]+)?", s))


# --------------------------------------------------------------------------- the detector

_MANIFESTS: dict[str, str] = {
    "pyproject.toml": "pyproject",
    "poetry.lock": "poetry-lock",
    "pipfile": "pipfile",
    "pipfile.lock": "pipfile-lock",
    "package.json": "package-json",
    "package-lock.json": "npm-lock",
    "npm-shrinkwrap.json": "npm-lock",
    "yarn.lock": "yarn-lock",
    "pom.xml": "pom",
    "build.gradle": "gradle",
    "build.gradle.kts": "gradle",
    "libs.versions.toml": "gradle-catalog",
    "go.mod": "go-mod",
    "cargo.toml": "cargo-toml",
    "cargo.lock": "cargo-lock",
    "directory.packages.props": "msbuild",
    "directory.build.props": "msbuild",
    "packages.config": "packages-config",
    "composer.json": "composer-json",
    "composer.lock": "composer-lock",
    "gemfile": "gemfile",
    "gemfile.lock": "gemfile-lock",
}


def manifest_kind(path: str) -> str | None:
    """Which manifest format a file is, from its name alone."""
    name = path.replace("\\", "/").rpartition("/")[2].lower()
    kind = _MANIFESTS.get(name)
    if kind:
        return kind
    if name.endswith((".csproj", ".fsproj", ".vbproj")):
        return "msbuild"
    if name.endswith(".pom"):
        return "pom"
    if name.endswith(".txt") and (name.startswith(("requirements", "constraints")) or "requirements" in path.lower()):
        return "requirements"
    if name.endswith(".in") and name.startswith("requirements"):
        return "requirements"
    return None


class DependencyDetector(Detector):
    """Cryptographic libraries and their PQC capability, from manifests and lock files."""

    id = "dependencies"
    description = "Cryptographic libraries in dependency manifests and lock files, with PQC capability by version"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(RULES)

    @property  # type: ignore[misc]
    def keywords(self) -> tuple[bytes, ...]:  # type: ignore[override]
        return _keywords()

    gate = Gate(
        filenames=frozenset(_MANIFESTS),
        extensions=frozenset({".csproj", ".fsproj", ".vbproj", ".pom"}),
        prefixes=("requirements", "constraints"),
        path_words=("requirements",),
    )

    def wants(self, path: str, head: bytes) -> bool:
        return manifest_kind(path) is not None

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        kind = manifest_kind(path)
        if kind is None:
            return []
        scan = _Scan(data)
        try:
            getattr(scan, "_" + kind.replace("-", "_"))()
        except Exception as exc:  # a detector must never take the scan down
            scan.out.append(FileNote("malformed", f"{kind} manifest could not be read ({type(exc).__name__})"))
        return scan.out


@functools.cache
def _keywords() -> tuple[bytes, ...]:
    words = {pkg.lower().rsplit(":", 1)[-1].rsplit("/", 1)[-1].encode() for _, pkg in libraries()}
    words |= {b"go 1.", b"toolchain", b"targetframework", b"maven.compiler", b"java.version", b"<release>",
              b"javalanguageversion", b"sourcecompatibility", b"jvmtarget", b"release.set", b"options.release"}
    return tuple(sorted(words))


_PEP508_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(\(?[^;#]*?\)?)\s*(;.*)?$")


def _norm_py(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


class _Scan:
    """One manifest's worth of findings."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.text = data.decode("utf-8", "replace")
        self.lines = [ln.rstrip("\r") for ln in self.text.split("\n")]
        self.out: list[DetectorOutput] = []
        self.seen: set[tuple[str, int | None, str]] = set()

    # ------------------------------------------------------------------ emit

    def emit(
        self, ecosystem: str, package: str, version: str | None, line: int | None, rule: str, *, exact: bool | None = None
    ) -> None:
        lib = libraries().get((ecosystem, package.lower()))
        if lib is None and ecosystem == "pypi":
            lib = libraries().get((ecosystem, _norm_py(package)))
        if lib is None:
            return
        version = (version or "").strip().strip("\"'") or None
        if version and lib.version_after and lib.version_after in version:
            version = version.rsplit(lib.version_after, 1)[1]
        if exact is None:
            exact = bool(version) and is_exact(version)
        if version and exact:
            version = version.lstrip("=v ")
        key = (lib.id, line, version or "")
        if key in self.seen:
            return
        self.seen.add(key)
        v = verdict(lib, version, exact)
        text = self.lines[line - 1] if line and 0 < line <= len(self.lines) else package
        self.out.append(
            Finding(
                kind=AssetKind.LIBRARY,
                algorithm=f"library:{lib.id}@{version or '*'}",
                rule_id=rule,
                line=line,
                usage=Usage.UNKNOWN,
                name=lib.id,
                version=version,
                confidence=Confidence.HIGH if exact else Confidence.MEDIUM,
                snippet=" ".join(text.split())[:120],
                notes=(
                    v.status,
                    v.detail,
                    f"{lib.name} ({ecosystem} package {lib.package})" + (f"; {lib.notes}" if lib.notes else ""),
                    f"source: {lib.source}",
                ),
            )
        )

    @staticmethod
    def known(ecosystem: str, package: str) -> bool:
        """Whether the catalog lists the package (cheap test before looking for its line)."""
        cat = libraries()
        return (ecosystem, package.lower()) in cat or (ecosystem == "pypi" and (ecosystem, _norm_py(package)) in cat)

    def line_of(self, *patterns: str, start: int = 0) -> int | None:
        """1-based line of the first line (from ``start``) matching any regex pattern."""
        regexes = [re.compile(p, re.IGNORECASE) for p in patterns]
        for i in range(max(start, 0), len(self.lines)):
            if any(r.search(self.lines[i]) for r in regexes):
                return i + 1
        return None

    def quoted_key_line(self, name: str, start: int = 0) -> int | None:
        return self.line_of(rf"[\"']{re.escape(name)}[\"']\s*[:=]", rf"^\s*{re.escape(name)}\s*=", start=start)

    # ------------------------------------------------------------------ Python

    def _requirements(self) -> None:
        for n, raw in enumerate(self.lines, start=1):
            text = raw.split(" #", 1)[0].strip().rstrip("\\").strip()
            if not text or text.startswith(("#", "-", "http:", "https:", "git+")):
                continue
            m = _PEP508_RE.match(text)
            if m:
                self.emit("pypi", _norm_py(m.group(1)), m.group(3).strip("() ") or None, n, "QR-DEP-PYPI-001")

    def _pep508_list(self, items: Any, rule: str) -> None:
        if not isinstance(items, list):
            return
        for item in items:
            if isinstance(item, str):
                m = _PEP508_RE.match(item)
                if m and self.known("pypi", m.group(1)):
                    name = m.group(1)
                    line = self.line_of(rf"[\"']{re.escape(name)}\s*(\[|[<>=!~;\"' ]|$)")
                    self.emit("pypi", _norm_py(name), m.group(3).strip("() ") or None, line, rule)

    def _pyproject(self) -> None:
        doc = tomllib.loads(self.text)
        project = doc.get("project", {})
        self._pep508_list(project.get("dependencies"), "QR-DEP-PYPI-001")
        for items in (project.get("optional-dependencies") or {}).values():
            self._pep508_list(items, "QR-DEP-PYPI-001")
        for items in (doc.get("dependency-groups") or {}).values():
            self._pep508_list(items, "QR-DEP-PYPI-001")
        poetry = (doc.get("tool") or {}).get("poetry") or {}
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        tables += [(g or {}).get("dependencies") for g in (poetry.get("group") or {}).values()]
        for table in tables:
            self._name_table(table, "pypi", "QR-DEP-PYPI-001")

    def _name_table(self, table: Any, ecosystem: str, rule: str) -> None:
        """``name = "spec"`` or ``name = { version = "spec" }`` tables (Poetry, Pipfile, Cargo)."""
        if not isinstance(table, dict):
            return
        for name, spec in table.items():
            package = name
            if isinstance(spec, dict):
                package = spec.get("package", name) if ecosystem == "cargo" else name
                spec = spec.get("version")
            if not isinstance(spec, str):
                spec = None
            if spec == "*":
                spec = None
            if ecosystem == "cargo" and spec and spec[0].isdigit():
                spec = "^" + spec  # Cargo: a bare requirement is a caret requirement
            key = _norm_py(package) if ecosystem == "pypi" else package
            if self.known(ecosystem, key):
                self.emit(ecosystem, key, spec, self.quoted_key_line(name), rule)

    def _pipfile(self) -> None:
        doc = tomllib.loads(self.text)
        for section in ("packages", "dev-packages"):
            self._name_table(doc.get(section), "pypi", "QR-DEP-PYPI-001")

    def _toml_packages(self, ecosystem: str, rule: str) -> None:
        """``[[package]]`` arrays with name/version (poetry.lock, Cargo.lock)."""
        doc = tomllib.loads(self.text)
        cursor = 0
        for pkg in doc.get("package", []):
            name, version = pkg.get("name"), pkg.get("version")
            if not isinstance(name, str) or not self.known(ecosystem, name):
                continue
            line = self.line_of(rf'^\s*name\s*=\s*"{re.escape(name)}"\s*$', start=cursor)
            if line:
                cursor = line
            self.emit(ecosystem, _norm_py(name) if ecosystem == "pypi" else name, version, line, rule, exact=True)

    def _poetry_lock(self) -> None:
        self._toml_packages("pypi", "QR-DEP-PYPI-002")

    def _pipfile_lock(self) -> None:
        doc = json.loads(self.text)
        for section in ("default", "develop"):
            for name, spec in (doc.get(section) or {}).items():
                if not self.known("pypi", name):
                    continue
                version = spec.get("version") if isinstance(spec, dict) else None
                line = self.line_of(rf'^\s*"{re.escape(name)}"\s*:\s*\{{')
                self.emit("pypi", _norm_py(name), version, line, "QR-DEP-PYPI-002")

    # ------------------------------------------------------------------ JavaScript

    def _package_json(self) -> None:
        doc = json.loads(self.text)
        for section in ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies"):
            deps = doc.get(section)
            if not isinstance(deps, dict):
                continue
            start = (self.line_of(rf'"{section}"\s*:') or 1) - 1
            for name, spec in deps.items():
                if not self.known("npm", name):
                    continue
                line = self.line_of(rf'^\s*"{re.escape(name)}"\s*:', start=start)
                self.emit("npm", name, spec if isinstance(spec, str) else None, line, "QR-DEP-NPM-001")

    _LOCK_KEY_RE = re.compile(r'^\s*"((?:[^"]*/)?node_modules/)?(@?[^"]+)"\s*:\s*\{\s*$')
    _LOCK_VERSION_RE = re.compile(r'^\s*"version"\s*:\s*"([^"]+)"')

    def _npm_lock(self) -> None:
        modern = '"packages"' in self.text
        for i, raw in enumerate(self.lines):
            m = self._LOCK_KEY_RE.match(raw)
            if not m or (modern and not m.group(1)):
                continue
            name = m.group(2)
            for j in range(i + 1, min(i + 8, len(self.lines))):
                v = self._LOCK_VERSION_RE.match(self.lines[j])
                if v:
                    self.emit("npm", name, v.group(1), i + 1, "QR-DEP-NPM-002", exact=True)
                    break
                if self.lines[j].strip().startswith("}"):
                    break

    def _yarn_lock(self) -> None:
        for i, raw in enumerate(self.lines):
            if not raw or raw[0] in " #\t" or not raw.rstrip().endswith(":"):
                continue
            names = set()
            for spec in raw.rstrip()[:-1].split(","):
                spec = spec.strip().strip('"')
                at = spec.rfind("@")
                if at > 0:
                    names.add(spec[:at])
            for j in range(i + 1, min(i + 6, len(self.lines))):
                m = re.match(r'^\s+version:?\s+"?([^"\s]+)"?', self.lines[j])
                if m:
                    for name in sorted(names):
                        self.emit("npm", name, m.group(1), i + 1, "QR-DEP-NPM-002", exact=True)
                    break

    # ------------------------------------------------------------------ Java

    def _pom(self) -> None:
        deps, props, java = _read_pom(self.data)

        def resolve(v: str | None) -> str | None:
            for _ in range(5):
                if not v or "${" not in v:
                    break
                v = re.sub(r"\$\{([^}]+)\}", lambda m: props.get(m.group(1), m.group(0)), v)
            return v if v and "${" not in v else None

        for group, artifact, version, line in deps:
            self.emit("maven", f"{group}:{artifact}", resolve(version), line, "QR-DEP-MAVEN-001")
        for value, line in java:
            self._java_release(resolve(value), line)

    def _java_release(self, value: str | None, line: int | None) -> None:
        if not value:
            return
        v = value.strip().strip("'\"").removeprefix("JavaVersion.").removeprefix("VERSION_").replace("_", ".")
        v = v[2:] if v.startswith("1.") else v
        if re.fullmatch(r"\d{1,2}", v):
            self.emit("platform", "java", v, line, "QR-DEP-PLATFORM-001", exact=True)

    _GRADLE_COORD_RE = re.compile(r"""["']([\w.\-]+):([\w.\-]+):([^"':@\s]+)(?::[\w.-]+)?(?:@\w+)?["']""")
    _GRADLE_MAP_RE = re.compile(
        r"""group\s*[:=]\s*["']([\w.\-]+)["']\s*,\s*name\s*[:=]\s*["']([\w.\-]+)["']\s*,\s*version\s*[:=]\s*["']([^"']+)["']"""
    )
    _GRADLE_VAR_RE = re.compile(r"""(?:^|\s)(?:def|val|var|ext\.)?\s*(\w+)\s*=\s*["']([\w.\-]+)["']""")
    _GRADLE_JAVA_RE = re.compile(
        r"(?:JavaLanguageVersion\.of\(\s*[\"']?(\d+)|(?:source|target)Compatibility\s*=\s*(?:JavaVersion\.VERSION_)?[\"']?([\d._]+)"
        r"|jvmTarget(?:\.set\()?\s*=?\s*(?:JvmTarget\.JVM_)?[\"']?(\d+)|options\.release(?:\.set\()?\s*=?\s*(\d+)|release\.set\(\s*(\d+))"
    )

    def _gradle(self) -> None:
        variables: dict[str, str] = {}
        for raw in self.lines:
            for m in self._GRADLE_VAR_RE.finditer(raw):
                variables[m.group(1)] = m.group(2)
        java_done = False
        for n, raw in enumerate(self.lines, start=1):
            code = raw.split("//", 1)[0]
            for m in self._GRADLE_COORD_RE.finditer(code):
                version = m.group(3)
                vm = re.fullmatch(r"\$\{?([\w.]+)\}?", version)
                if vm:
                    version = variables.get(vm.group(1).rsplit(".", 1)[-1], "")
                self.emit("maven", f"{m.group(1)}:{m.group(2)}", version or None, n, "QR-DEP-MAVEN-001")
            for m in self._GRADLE_MAP_RE.finditer(code):
                self.emit("maven", f"{m.group(1)}:{m.group(2)}", m.group(3), n, "QR-DEP-MAVEN-001")
            if not java_done:
                jm = self._GRADLE_JAVA_RE.search(code)
                if jm:
                    self._java_release(next(g for g in jm.groups() if g), n)
                    java_done = True

    def _gradle_catalog(self) -> None:
        doc = tomllib.loads(self.text)
        versions = doc.get("versions") or {}
        for alias, spec in (doc.get("libraries") or {}).items():
            module = version = None
            if isinstance(spec, str):
                parts = spec.split(":")
                module, version = ":".join(parts[:2]), (parts[2] if len(parts) > 2 else None)
            elif isinstance(spec, dict):
                module = spec.get("module") or (f"{spec.get('group')}:{spec.get('name')}" if spec.get("group") else None)
                v = spec.get("version")
                if isinstance(v, dict):
                    v = versions.get(v.get("ref", "")) if "ref" in v else v.get("strictly") or v.get("require")
                version = v if isinstance(v, str) else None
            if module and self.known("maven", module):
                line = self.line_of(rf"^\s*{re.escape(alias)}\s*=")
                self.emit("maven", module, version, line, "QR-DEP-MAVEN-001")

    # ------------------------------------------------------------------ Go

    def _go_mod(self) -> None:
        in_block = False
        for n, raw in enumerate(self.lines, start=1):
            text = raw.split("//", 1)[0].strip()
            if not text:
                continue
            if in_block:
                if text.startswith(")"):
                    in_block = False
                    continue
                parts = text.split()
                if len(parts) >= 2:
                    self.emit("go", parts[0], parts[1], n, "QR-DEP-GO-001", exact=True)
                continue
            parts = text.split()
            if parts[0] == "require":
                if len(parts) >= 2 and parts[1] == "(":
                    in_block = True
                elif len(parts) >= 3:
                    self.emit("go", parts[1], parts[2], n, "QR-DEP-GO-001", exact=True)
            elif parts[0] == "go" and len(parts) == 2:
                self.emit("platform", "go", parts[1], n, "QR-DEP-PLATFORM-001", exact=True)
            elif parts[0] == "toolchain" and len(parts) == 2 and parts[1].startswith("go"):
                self.emit("platform", "go", parts[1][2:], n, "QR-DEP-PLATFORM-001", exact=True)

    # ------------------------------------------------------------------ Rust

    def _cargo_toml(self) -> None:
        doc = tomllib.loads(self.text)
        tables: list[Any] = []

        def collect(node: Any) -> None:
            if not isinstance(node, dict):
                return
            for key in ("dependencies", "dev-dependencies", "build-dependencies"):
                tables.append(node.get(key))

        collect(doc)
        collect(doc.get("workspace"))
        for target in (doc.get("target") or {}).values():
            collect(target)
        for table in tables:
            self._name_table(table, "cargo", "QR-DEP-CARGO-001")

    def _cargo_lock(self) -> None:
        self._toml_packages("cargo", "QR-DEP-CARGO-002")

    # ------------------------------------------------------------------ .NET

    def _msbuild(self) -> None:
        for tag, attrs, line, children in _xml_elements(self.data, {"PackageReference", "PackageVersion", "TargetFramework", "TargetFrameworks"}):
            if tag in ("PackageReference", "PackageVersion"):
                name = attrs.get("Include") or attrs.get("Update")
                version = attrs.get("Version") or attrs.get("VersionOverride") or children.get("Version")
                if name:
                    self.emit("nuget", name, version, line, "QR-DEP-NUGET-001")
            else:
                for tfm in (children.get("#text") or "").split(";"):
                    m = re.fullmatch(r"\s*net(?:coreapp)?(\d+)\.(\d+)(?:-[\w.]+)?\s*", tfm)
                    if m and int(m.group(1)) >= 3:
                        self.emit("platform", "dotnet", f"{m.group(1)}.{m.group(2)}", line, "QR-DEP-PLATFORM-001", exact=True)

    def _packages_config(self) -> None:
        for _tag, attrs, line, _children in _xml_elements(self.data, {"package"}):
            if attrs.get("id"):
                self.emit("nuget", attrs["id"], attrs.get("version"), line, "QR-DEP-NUGET-001")

    # ------------------------------------------------------------------ PHP, Ruby

    def _composer_json(self) -> None:
        doc = json.loads(self.text)
        for section in ("require", "require-dev"):
            deps = doc.get(section)
            if not isinstance(deps, dict):
                continue
            start = (self.line_of(rf'"{section}"\s*:') or 1) - 1
            for name, spec in deps.items():
                if not self.known("composer", name):
                    continue
                line = self.line_of(rf'^\s*"{re.escape(name)}"\s*:', start=start)
                self.emit("composer", name, spec if isinstance(spec, str) else None, line, "QR-DEP-COMPOSER-001")

    def _composer_lock(self) -> None:
        doc = json.loads(self.text)
        for section in ("packages", "packages-dev"):
            for pkg in doc.get(section) or []:
                name, version = pkg.get("name"), pkg.get("version")
                if isinstance(name, str) and self.known("composer", name):
                    line = self.line_of(rf'^\s*"name"\s*:\s*"{re.escape(name)}"')
                    self.emit("composer", name, version, line, "QR-DEP-COMPOSER-002", exact=True)

    def _gemfile(self) -> None:
        for n, raw in enumerate(self.lines, start=1):
            m = re.match(r"""^\s*gem\s+["']([\w.\-]+)["']\s*(?:,\s*["']([^"']+)["'])?""", raw)
            if m:
                self.emit("rubygems", m.group(1), m.group(2), n, "QR-DEP-GEM-001")

    def _gemfile_lock(self) -> None:
        in_specs = False
        for n, raw in enumerate(self.lines, start=1):
            if raw.strip() == "specs:":
                in_specs = True
                continue
            if raw and not raw.startswith(" "):
                in_specs = False
            if in_specs:
                m = re.match(r"^ {4}([\w.\-]+) \(([^)]+)\)\s*$", raw)
                if m:
                    self.emit("rubygems", m.group(1), m.group(2).split("-", 1)[0], n, "QR-DEP-GEM-002", exact=True)


# --------------------------------------------------------------------------- XML with line numbers


class _DtdRefused(Exception):
    """An entity declaration: refused, as defusedxml does (billion laughs, external entities)."""


def _parser() -> expat.XMLParserType:
    p = expat.ParserCreate()
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_args: object) -> None:
        raise _DtdRefused

    p.EntityDeclHandler = refuse
    p.ExternalEntityRefHandler = lambda *_a: False
    return p


def _local(tag: str) -> str:
    return tag.rpartition("}")[2].rpartition(":")[2]


def _xml_elements(data: bytes, wanted: set[str]) -> Iterator[tuple[str, dict[str, str], int, dict[str, str]]]:
    """(tag, attributes, line, {child tag: text, '#text': own text}) of every wanted element."""
    found: list[tuple[str, dict[str, str], int, dict[str, str]]] = []
    stack: list[tuple[str, dict[str, str], int, dict[str, str], list[str]]] = []
    p = _parser()

    def start(tag: str, attrs: dict[str, str]) -> None:
        stack.append((_local(tag), attrs, p.CurrentLineNumber, {}, []))

    def end(tag: str) -> None:
        name, attrs, line, children, text = stack.pop()
        own = "".join(text).strip()
        if stack:
            stack[-1][3][name] = own
        if name in wanted:
            children["#text"] = own
            found.append((name, attrs, line, children))

    def chars(s: str) -> None:
        if stack:
            stack[-1][4].append(s)

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    p.Parse(data, True)
    yield from found


def _read_pom(data: bytes) -> tuple[list[tuple[str, str, str | None, int]], dict[str, str], list[tuple[str, int]]]:
    """Dependencies (group, artifact, version, line), properties and Java release settings of a POM."""
    deps: list[tuple[str, str, str | None, int]] = []
    props: dict[str, str] = {}
    java: list[tuple[int, str, int]] = []
    path: list[str] = []
    current: dict[str, str] = {}
    dep_line = 0
    text: list[str] = []
    p = _parser()

    def start(tag: str, _attrs: dict[str, str]) -> None:
        nonlocal dep_line, current
        path.append(_local(tag))
        text.clear()
        if path[-1] in ("dependency", "parent"):
            current = {}
            dep_line = p.CurrentLineNumber
        elif len(path) >= 2 and path[-2] == "dependency" and path[-1] == "artifactId":
            dep_line = p.CurrentLineNumber

    def end(_tag: str) -> None:
        value = "".join(text).strip()
        name = path.pop()
        if path and path[-1] in ("dependency", "parent"):
            current[name] = value
        elif name == "dependency" and current.get("groupId") and current.get("artifactId"):
            deps.append((current["groupId"], current["artifactId"], current.get("version"), dep_line))
        elif name == "parent" and current.get("version"):
            props.setdefault("project.parent.version", current["version"])
        elif path and path[-1] == "properties":
            props[name] = value
            if name in _JAVA_PROPS:
                java.append((_JAVA_PROPS[name], value, p.CurrentLineNumber))
        elif name in ("release", "source") and "configuration" in path and "plugin" in path:
            java.append((1 if name == "release" else 4, value, p.CurrentLineNumber))
        elif name == "version" and path == ["project"]:
            props["project.version"] = value
        text.clear()

    def chars(s: str) -> None:
        text.append(s)

    p.StartElementHandler = start
    p.EndElementHandler = end
    p.CharacterDataHandler = chars
    p.Parse(data, True)
    # One Java release per POM: the most specific setting wins (release over source/target).
    java.sort()
    return deps, props, [(value, line) for _, value, line in java[:1]]


_JAVA_PROPS = {"maven.compiler.release": 0, "java.version": 2, "maven.compiler.source": 3, "maven.compiler.target": 3}


DETECTORS: list[type[Detector]] = [DependencyDetector]
