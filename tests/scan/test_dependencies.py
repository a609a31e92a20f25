"""Cryptographic libraries in manifests and lock files, and the library catalog behind them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk import catalog
from qrisk.model import AssetKind, Confidence
from qrisk.scan.detectors.base import FileNote, Finding
from qrisk.scan.detectors.dependencies import (
    DependencyDetector,
    LibraryCatalogError,
    libraries,
    manifest_kind,
    parse_libraries,
    verdict,
    version_key,
)
from qrisk.scan.engine import ScanOptions, run_scan

DETECTOR = DependencyDetector()
CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "config" / "deps"


def libs(path: str, text: str) -> list[Finding]:
    data = text.encode()
    assert DETECTOR.wants(path, data[:8192]), path
    out = list(DETECTOR.detect(path, data))
    assert not [o for o in out if isinstance(o, FileNote)], out
    return [o for o in out if isinstance(o, Finding)]


def table(found: list[Finding]) -> set[tuple[int | None, str, str | None, str]]:
    return {(f.line, f.name, f.version, f.notes[0]) for f in found}


# --------------------------------------------------------------------------- the catalog


def test_library_catalog_entries_have_sources_and_known_algorithms() -> None:
    raw = yaml.safe_load(Path(catalog.__file__).with_name("libraries.yaml").read_text(encoding="utf-8"))
    ids = [lib["id"] for lib in raw["libraries"]]
    assert len(ids) == len(set(ids))
    for lib in raw["libraries"]:
        assert lib["source"].strip(), lib["id"]
        for alg in lib.get("pqc", []):
            assert catalog.algorithms().lookup(alg).name != "unknown", (lib["id"], alg)
        if lib["pqc_since"] not in (None, "any"):
            assert version_key(lib["pqc_since"]), lib["id"]
    cat = libraries()
    # the libraries the issue names
    for eco, pkg in [("cargo", "openssl-src"), ("platform", "go"), ("platform", "java"), ("pypi", "cryptography"),
                     ("pypi", "liboqs-python"), ("maven", "org.bouncycastle:bcprov-jdk18on"), ("cargo", "aws-lc-rs")]:
        assert (eco, pkg) in cat


def test_library_catalog_rejects_duplicates_and_missing_sources() -> None:
    doc = {"schema": "qrisk.catalog.libraries/1", "as_of": "2026-11", "libraries": [
        {"id": "a", "name": "A", "packages": [{"ecosystem": "pypi", "name": "a"}], "pqc_since": None, "source": "x"},
        {"id": "b", "name": "B", "packages": [{"ecosystem": "pypi", "name": "A"}], "pqc_since": None, "source": "y"},
    ]}
    with pytest.raises(LibraryCatalogError, match="listed twice"):
        parse_libraries(doc)
    doc["libraries"] = [{"id": "a", "name": "A", "packages": [], "pqc_since": None, "source": " "}]
    with pytest.raises(LibraryCatalogError, match="source"):
        parse_libraries(doc)


@pytest.mark.parametrize(
    "package,version,exact,status",
    [
        ("cryptography", "48.0.1", True, "pqc-capable"),
        ("cryptography", "47.0.0", True, "not pqc-capable"),
        ("cryptography", ">=48", False, "pqc-capable"),
        ("cryptography", ">=41,<47", False, "not pqc-capable"),
        ("cryptography", ">=41", False, "pqc-capable from 48.0.0"),
        ("cryptography", "~=47.0", False, "not pqc-capable"),
        ("cryptography", "^46.0", False, "not pqc-capable"),
        ("cryptography", ">46,<=48.0.0", False, "pqc-capable from 48.0.0"),
        ("cryptography", None, False, "pqc-capable from 48.0.0"),
        ("pycryptodome", "3.20.0", True, "not pqc-capable"),
        ("liboqs-python", "0.10.0", True, "not pqc-capable"),
    ],
)
def test_verdicts(package: str, version: str | None, exact: bool, status: str) -> None:
    assert verdict(libraries()[("pypi", package)], version, exact).status == status


def test_draft_pqc_is_not_pqc_capable() -> None:
    go = libraries()[("platform", "go")]
    v = verdict(go, "1.23", True)
    assert v.status == "not pqc-capable" and "pre-standard" in v.detail
    assert verdict(go, "1.24.2", True).status == "pqc-capable"
    npm_noble = libraries()[("npm", "@noble/post-quantum")]
    assert verdict(npm_noble, "^0.1.0", False).status == "pqc-capable"


def test_version_keys() -> None:
    assert version_key("v1.24.1") == (1, 24, 1)
    assert version_key("1.2.0rc1") == (1, 2)
    assert version_key("48") == version_key("48.0.0")
    assert version_key("0.23.22") > version_key("0.23.9")


# --------------------------------------------------------------------------- formats


def test_manifest_kinds_by_name() -> None:
    assert manifest_kind("svc/requirements-prod.txt") == "requirements"
    assert manifest_kind("requirements/base.txt") == "requirements"
    assert manifest_kind("a/b/Cargo.lock") == "cargo-lock"
    assert manifest_kind("App.fsproj") == "msbuild"
    assert manifest_kind("gradle/libs.versions.toml") == "gradle-catalog"
    assert manifest_kind("notes.txt") is None
    assert manifest_kind("src/main.py") is None


def test_requirements_and_pep508() -> None:
    found = libs("requirements.txt", (
        "cryptography[ssh]==48.0.0 ; python_version >= '3.11'  # pinned\n"
        "PyCryptodomeX >= 3.9\n"
        "-r other.txt\n"
        "# pyopenssl==1.0\n"
        "git+https://example.org/cryptography.git\n"
        "liboqs_python===0.14.0\n"
    ))
    assert table(found) == {
        (1, "cryptography", "48.0.0", "pqc-capable"),
        (2, "pycryptodome", ">= 3.9", "not pqc-capable"),
        (6, "liboqs", "0.14.0", "pqc-capable"),
    }
    assert {f.confidence for f in found if f.line == 2} == {Confidence.MEDIUM}


def test_poetry_pyproject_and_pipfile() -> None:
    pyproject = (
        "[tool.poetry.dependencies]\n"
        "python = \"^3.11\"\n"
        "cryptography = { version = \"^46.0\", extras = [\"ssh\"] }\n"
        "[tool.poetry.group.dev.dependencies]\n"
        "pyopenssl = \"*\"\n"
    )
    assert table(libs("pyproject.toml", pyproject)) == {
        (3, "cryptography", "^46.0", "not pqc-capable"),
        (5, "pyopenssl", None, "not pqc-capable"),
    }
    pipfile = '[packages]\ncryptography = "==48.0.2"\n'
    assert table(libs("Pipfile", pipfile)) == {(2, "cryptography", "48.0.2", "pqc-capable")}


def test_npm_lock_v1_and_yarn_berry() -> None:
    v1 = json.dumps({"lockfileVersion": 1, "dependencies": {
        "node-forge": {"version": "0.10.0", "dependencies": {"elliptic": {"version": "6.5.4"}}}}}, indent=2)
    found = libs("npm-shrinkwrap.json", v1)
    assert {(f.name, f.version) for f in found} == {("node-forge", "0.10.0"), ("elliptic", "6.5.4")}
    berry = '__metadata:\n  version: 6\n\n"@noble/post-quantum@npm:^0.5.0":\n  version: 0.5.2\n  resolution: "x"\n'
    assert table(libs("yarn.lock", berry)) == {(4, "noble-post-quantum", "0.5.2", "pqc-capable")}


def test_maven_property_resolution_and_java_release() -> None:
    pom = (
        "<project><properties><bc>1.79</bc><java.version>1.8</java.version></properties>\n"
        "<dependencyManagement><dependencies><dependency>\n"
        "<groupId>org.bouncycastle</groupId>\n<artifactId>bcprov-jdk18on</artifactId><version>${bc}</version>\n"
        "</dependency></dependencies></dependencyManagement></project>\n"
    )
    found = libs("pom.xml", pom)
    assert {(f.name, f.version, f.notes[0]) for f in found} == {
        ("bouncycastle", "1.79", "pqc-capable"), ("java", "8", "not pqc-capable"),
    }


def test_maven_refuses_entity_expansion() -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><project>&b;</project>'
    out = list(DETECTOR.detect("pom.xml", bomb.encode()))
    assert [o.reason for o in out if isinstance(o, FileNote)] == ["malformed"]


def test_gradle_variables_and_catalog() -> None:
    gradle = (
        "def bcVersion = '1.78'\n"
        "dependencies {\n"
        '    implementation "org.bouncycastle:bcpkix-jdk18on:$bcVersion"\n'
        "    // implementation 'com.google.crypto.tink:tink:1.21.0'\n"
        "}\n"
        "java { sourceCompatibility = JavaVersion.VERSION_17 }\n"
    )
    assert table(libs("build.gradle", gradle)) == {
        (3, "bouncycastle", "1.78", "not pqc-capable"), (6, "java", "17", "not pqc-capable"),
    }
    cat = '[versions]\nbc = "1.80"\n[libraries]\nbcprov = { module = "org.bouncycastle:bcprov-jdk18on", version.ref = "bc" }\n'
    assert table(libs("gradle/libs.versions.toml", cat)) == {(4, "bouncycastle", "1.80", "pqc-capable")}


def test_go_mod_single_line_require_and_platform() -> None:
    gomod = "module x\n\ngo 1.24.0\n\nrequire golang.org/x/crypto v0.40.0\n"
    assert table(libs("go.mod", gomod)) == {
        (3, "go", "1.24.0", "pqc-capable"), (5, "golang-x-crypto", "0.40.0", "pqc-capable"),
    }


def test_cargo_caret_requirements_and_targets() -> None:
    cargo = (
        "[target.'cfg(unix)'.dependencies]\n"
        'rustls = "0.23.25"\n'
        "[dependencies]\n"
        'tls = { package = "rustls", version = "0.21" }\n'
    )
    found = table(libs("Cargo.toml", cargo))
    assert (2, "rustls", "^0.23.25", "pqc-capable") in found
    assert (4, "rustls", "^0.21", "not pqc-capable") in found


def test_dotnet_and_composer_and_gems() -> None:
    props = '<Project><ItemGroup><PackageVersion Include="BouncyCastle.Cryptography" Version="2.4.0" /></ItemGroup></Project>'
    assert table(libs("Directory.Packages.props", props)) == {(1, "bouncycastle", "2.4.0", "not pqc-capable")}
    csproj = "<Project><PropertyGroup>\n<TargetFrameworks>net8.0;net10.0-windows</TargetFrameworks>\n</PropertyGroup></Project>"
    assert {(f.version, f.notes[0]) for f in libs("a.csproj", csproj)} == {("8.0", "not pqc-capable"), ("10.0", "pqc-capable")}
    lock = json.dumps({"packages": [{"name": "phpseclib/phpseclib", "version": "3.0.42"}]}, indent=4)
    assert {(f.name, f.version) for f in libs("composer.lock", lock)} == {("phpseclib", "3.0.42")}
    gemfile = "source 'https://rubygems.org'\ngem 'rbnacl', '~> 7.1'\ngem 'rails'\n"
    assert table(libs("Gemfile", gemfile)) == {(2, "nacl", "~> 7.1", "not pqc-capable")}


def test_library_findings_carry_verdict_and_source() -> None:
    [f] = libs("requirements.txt", "cryptography==42.0.0\n")
    assert f.kind is AssetKind.LIBRARY
    assert f.name == "cryptography" and f.version == "42.0.0"
    assert f.notes[0] == "not pqc-capable"
    assert f.notes[-1].startswith("source: ") and "48.0.0" in f.notes[-1]


def test_malformed_manifests_are_notes_not_errors() -> None:
    for path, text in [("package.json", "{not json"), ("pyproject.toml", "[project\n"), ("pom.xml", "<project>"),
                       ("Cargo.lock", "[[package]]\nname = 3\n= x"), ("packages.config", "<packages><package")]:
        out = list(DETECTOR.detect(path, text.encode()))
        assert all(isinstance(o, FileNote) and o.reason == "malformed" for o in out), (path, out)


def test_deps_folder_is_scanned_through_the_engine() -> None:
    """postshor silently skips `deps/`; qrisk scans it like any folder."""
    inv = run_scan([str(CORPUS)], ScanOptions(detectors=lambda: [DependencyDetector()], jobs=1))
    names = {a.name for a in inv.assets if a.kind is AssetKind.LIBRARY}
    assert {"cryptography", "bouncycastle", "openssl", "go", "java", "dotnet", "rustls"} <= names
    openssl = next(a for a in inv.assets if a.name == "openssl")
    assert openssl.version == "3.5.0" and "pqc-capable" in openssl.notes


_MANIFEST_NAMES = ["requirements.txt", "pyproject.toml", "poetry.lock", "Pipfile", "Pipfile.lock", "package.json",
                   "package-lock.json", "yarn.lock", "pom.xml", "build.gradle", "build.gradle.kts",
                   "libs.versions.toml", "go.mod", "Cargo.toml", "Cargo.lock", "a.csproj", "packages.config",
                   "composer.json", "composer.lock", "Gemfile", "Gemfile.lock"]
_PIECES = ["cryptography", "==", ">=", "48.0.0", "node-forge", '"', "'", "{", "}", "[", "]", "<", ">", "/", "=",
           ":", ",", "\n", "  ", "version", "name", "[[package]]", "require (", ")", "<dependency>", "${x}",
           "org.bouncycastle:bcprov-jdk18on:", "go 1.", "toolchain go", "specs:", "    openssl (", "\x00", "é"]


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=8)), max_size=50))
def test_fuzz_manifests_never_raise(parts: list[str]) -> None:
    data = "".join(parts).encode("utf-8", "surrogatepass")
    for name in _MANIFEST_NAMES:
        out = list(DETECTOR.detect(name, data))
        assert all(isinstance(o, Finding | FileNote) for o in out)
