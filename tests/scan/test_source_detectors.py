"""Source-code detectors: the language-aware confirm rules, redaction, robustness and the engine."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.model import Usage
from qrisk.scan.detectors.base import Finding
from qrisk.scan.detectors.source import SOURCE_DETECTORS, source_detectors
from qrisk.scan.detectors.source._common import redact, split_combined
from qrisk.scan.engine import ScanOptions, run_scan
from qrisk.scan.prefilter import Prefilter

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "code"
BY_EXT = {".py": 0, ".java": 1, ".kt": 1, ".go": 2, ".js": 3, ".ts": 3, ".c": 4, ".cpp": 4, ".cs": 5, ".rs": 6, ".php": 7, ".rb": 8}


def scan(name: str, source: str) -> list[Finding]:
    detector = SOURCE_DETECTORS[BY_EXT[Path(name).suffix]]()
    assert detector.wants(name, source.encode()[:100])
    return list(detector.detect(name, source.encode()))  # type: ignore[arg-type]


def summary(findings: list[Finding]) -> list[tuple[int | None, str, int | None, str | None]]:
    return [(f.line, f.algorithm, f.key_size, f.curve or f.mode) for f in findings]


# --------------------------------------------------------------------------- registry and metadata


def test_rule_ids_are_unique_and_well_formed() -> None:
    seen: dict[str, str] = {}
    for cls in SOURCE_DETECTORS:
        assert cls.keywords and all(k == k.lower() and isinstance(k, bytes) for k in cls.keywords)
        for rule in cls.rules:
            assert re.fullmatch(r"QR-(PY|JAVA|GO|JS|C|CS|RS|PHP|RB)-\d{3}", rule), rule
            assert rule not in seen, f"{rule} in {cls.id} and {seen.get(rule)}"
            seen[rule] = cls.id
    assert len({cls.id for cls in SOURCE_DETECTORS}) == len(SOURCE_DETECTORS)


def test_every_corpus_finding_names_a_declared_rule() -> None:
    for detector in source_detectors():
        for path in CORPUS.rglob("*"):
            rel = path.relative_to(CORPUS).as_posix()
            if path.is_file() and detector.wants(rel, b""):
                for f in detector.detect(rel, path.read_bytes()):
                    assert isinstance(f, Finding) and f.rule_id in detector.rules
                    assert f.line is not None and len(f.snippet) <= 120


def test_files_without_keywords_never_reach_detect() -> None:
    detectors = source_detectors()
    pf = Prefilter(detectors)
    plain = b"def add(a, b):\n    return a + b  # description, address\n"
    assert pf.detectors_hit(plain, list(range(len(detectors)))) == set()
    assert pf.detectors_hit(b"import hashlib\n", [0]) == {0}


# --------------------------------------------------------------------------- Python


def test_python_resolves_imports_and_ignores_shadows() -> None:
    src = (
        "import hashlib as h\nfrom hashlib import md5 as m\nfrom Cryptodome.Cipher import AES\n"
        "h.sha1(b'x')\nm(b'y')\nAES.new(k, AES.MODE_CBC)\n"
        "def f(hashlib):\n    return hashlib.md5()\n"
    )
    assert summary(scan("a.py", src)) == [(4, "sha1", None, None), (5, "md5", None, None), (6, "AES", None, "CBC")]


def test_python_mac_consumes_its_hash_but_signatures_keep_it() -> None:
    src = (
        "from cryptography.hazmat.primitives import hashes, hmac\n"
        "from cryptography.hazmat.primitives.asymmetric import ec\n"
        "hmac.HMAC(k, hashes.SHA256())\nec.ECDSA(hashes.SHA1())\n"
    )
    assert [(f.line, f.algorithm) for f in scan("a.py", src)] == [(3, "HMAC-SHA256"), (4, "ECDSA"), (4, "SHA1")]


def test_python2_file_falls_back_to_lexical_rules() -> None:
    src = "import hashlib\nprint 'hashlib.md5(x)'  # hashlib.sha1()\nd = hashlib.sha256(x)\n"
    assert [(f.line, f.algorithm) for f in scan("old.py", src)] == [(3, "sha256")]


# --------------------------------------------------------------------------- JVM


def test_java_joins_initialize_to_getinstance_through_the_variable() -> None:
    src = (
        "class A { static final int BITS = 3072; void f() {\n"
        "  KeyPairGenerator a = KeyPairGenerator.getInstance(\"RSA\");\n"
        "  KeyPairGenerator b = KeyPairGenerator.getInstance(\"EC\");\n"
        "  b.initialize(256);\n"
        "  a.initialize(BITS);\n"
        "}}\n"
    )
    assert summary(scan("A.java", src)) == [(2, "RSA", 3072, None), (3, "ECDSA", None, "P-256")]


def test_jca_bare_aes_defaults_to_ecb() -> None:
    found = scan("A.java", 'Cipher c = Cipher.getInstance("AES");\nCipher d = Cipher.getInstance("AES/GCM/NoPadding");')
    assert [(f.line, f.mode) for f in found] == [(1, "ECB"), (2, "GCM")]


def test_kotlin_apply_block_and_const_val() -> None:
    src = 'private const val T = "DESede/CBC/PKCS5Padding"\nval c = Cipher.getInstance(T)\n' \
          'val k = KeyPairGenerator.getInstance("RSA").apply { initialize(4096) }\n'
    assert summary(scan("A.kt", src)) == [(2, "DESede", None, "CBC"), (3, "RSA", 4096, None)]


# --------------------------------------------------------------------------- Go


def test_go_counts_only_imported_crypto_packages() -> None:
    src = (
        'package p\nimport (\n\tx "crypto/sha256"\n\tmd5 "example.com/notcrypto"\n)\n'
        "func f() { x.Sum256(b); md5.Sum(b) }\n"
    )
    assert [(f.line, f.algorithm) for f in scan("a.go", src)] == [(6, "SHA-256")]


# --------------------------------------------------------------------------- JavaScript


def test_javascript_definitions_and_foreign_receivers_do_not_count() -> None:
    src = (
        "const crypto = require('crypto');\n"
        "class H { createHash(a) { return a } }\n"
        "obj.sign('sha256', d);\n"
        "crypto.sign('sha256', d, k);\n"
        "crypto.createHash('sha512');\n"
    )
    assert [(f.line, f.algorithm) for f in scan("a.js", src)] == [(4, "sha256"), (5, "sha512")]


def test_webcrypto_reads_the_algorithm_object_through_a_variable() -> None:
    src = 'const p = { name: "RSA-PSS", modulusLength: 2048, hash: "SHA-384" };\n' \
          "await crypto.subtle.generateKey(p, true, ['sign']);\n"
    found = scan("a.ts", src)
    assert [(f.line, f.algorithm, f.key_size, f.usage) for f in found] == [
        (1, "RSA-PSS", 2048, Usage.SIGNATURE),
        (1, "SHA-384", None, Usage.HASHING),
    ]


# --------------------------------------------------------------------------- C / C++


def test_c_define_constants_and_keygen_context() -> None:
    src = (
        "#include <openssl/evp.h>\n#define BITS 4096\n"
        "EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);\n"
        "EVP_PKEY_CTX_set_rsa_keygen_bits(c, BITS);\n"
    )
    assert summary(scan("a.c", src)) == [(3, "RSA", 4096, None)]


def test_c_one_shots_need_an_openssl_include() -> None:
    src = "#define MD5(x) (x)\nint y = MD5(3);\nunsigned int SHA1(const char *s);\n"
    assert scan("a.c", src) == []
    assert [f.algorithm for f in scan("b.c", "#include <openssl/md5.h>\nMD5(d, n, out);\n")] == ["MD5"]


# --------------------------------------------------------------------------- C#


def test_csharp_keysize_and_mode_join_the_creating_call() -> None:
    src = (
        "using System.Security.Cryptography;\n"
        "var aes = Aes.Create();\naes.KeySize = 128;\naes.Mode = CipherMode.ECB;\n"
        "var r = new RijndaelManaged { KeySize = 256 };\n"
    )
    assert summary(scan("a.cs", src)) == [(2, "AES", 128, "ECB"), (5, "AES", 256, None)]


# --------------------------------------------------------------------------- Rust


def test_rust_use_renames_and_local_modules() -> None:
    src = (
        "use sha2::Sha256 as H;\nuse p384::ecdsa::SigningKey;\nmod md5 { pub fn compute(_: &[u8]) {} }\n"
        "fn f() { H::new(); SigningKey::random(&mut OsRng); md5::compute(b\"x\"); }\n"
    )
    assert summary(scan("a.rs", src)) == [(4, "ECDSA", None, "P-384"), (4, "SHA-256", None, None)]


# --------------------------------------------------------------------------- PHP and Ruby


def test_php_methods_and_definitions_do_not_count() -> None:
    src = "<?php\nfunction md5($x) { return $x; }\n$o->hash('sha1', $d);\nFoo::sha1($d);\nhash('sha256', $d);\n"
    assert [(f.line, f.algorithm) for f in scan("a.php", src)] == [(5, "sha256")]


def test_ruby_needs_the_openssl_prefix_or_include() -> None:
    bare = "Cipher.new('des-ecb')\n"
    assert scan("a.rb", bare) == []
    assert [f.algorithm for f in scan("b.rb", "include OpenSSL\nCipher.new('des-ecb')\n")] == ["des-ecb"]


# --------------------------------------------------------------------------- shared helpers


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("SHA256withRSA", [("RSA", "SHA256")]),
        ("SHA1withECDSA", [("ECDSA", "SHA1")]),
        ("RSA-SHA512", [("RSA", "SHA512")]),
        ("ecdsa-with-SHA384", [("ECDSA", "SHA384")]),
        ("ES256", [("ECDSA", "SHA-256")]),
        ("PS384", [("RSA", "SHA-384")]),
        ("HS512", [("HMAC-SHA512",)]),
        ("AES/GCM/NoPadding", None),
    ],
)
def test_split_combined(name: str, parts: list[tuple[str, ...]] | None) -> None:
    got = split_combined(name)
    assert (None if got is None else [tuple(p.algorithm for p in got)]) == (
        None if parts is None else [tuple(a for pair in parts for a in pair)]
    )


def test_snippets_never_carry_key_material() -> None:
    secret = "3q2+7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    line = f'SecretKeySpec spec = new SecretKeySpec("{secret}".getBytes(), "AES");'
    assert secret not in redact(line)
    assert '"AES"' in redact(line)
    found = scan("K.java", f"class K {{ void f() {{\n{line}\n}} }}")
    assert found and all(secret not in f.snippet for f in found)
    assert "hunter2" not in redact('password = "hunter2"; h = hashlib.sha256(password)')


@pytest.mark.parametrize("detector", source_detectors(), ids=lambda d: d.id)
@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_detectors_never_raise_on_arbitrary_input(detector: object, data: bytes) -> None:
    ext = {"source-python": "x.py", "source-jvm": "X.java", "source-go": "x.go", "source-javascript": "x.js",
           "source-c": "x.c", "source-csharp": "x.cs", "source-rust": "x.rs", "source-php": "x.php",
           "source-ruby": "x.rb"}[detector.id]  # type: ignore[attr-defined]
    list(detector.detect(ext, b"hashlib openssl_ crypto/ EVP_ getInstance " + data))  # type: ignore[attr-defined]


def test_engine_resolves_source_findings_through_the_catalog(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("import hashlib\nhashlib.md5(b'x')\n")
    (tmp_path / "B.java").write_text('class B { Object c = javax.crypto.Cipher.getInstance("AES_256/GCM/NoPadding"); }\n')
    (tmp_path / "notes.txt").write_text("hashlib.md5 and Cipher.getInstance are mentioned here\n")
    inv = run_scan([str(tmp_path)], ScanOptions(detectors=source_detectors, jobs=1))
    got = sorted((a.occurrences[0].location, a.algorithm, a.quantum_status.value, a.mode) for a in inv.assets)
    assert got == [("B.java", "AES-256", "safe", "GCM"), ("a.py", "MD5", "classically-broken", None)]


# --------------------------------------------------------------------------- Python windows


def _whole_file(data: bytes) -> set[tuple[int | None, str, int | None]]:
    import ast

    from qrisk.scan.detectors.source import python as py
    from qrisk.scan.detectors.source._common import Collector

    lines = data.decode().split("\n")
    out = Collector(lambda n: lines[n - 1] if 0 < n <= len(lines) else "")
    py._Visitor(ast.parse(data), out).run()
    return {(f.line, f.algorithm, f.key_size) for f in out.findings()}


WINDOW_CASES = [
    # an example inside a docstring, with its own import, is not code
    'def signer():\n    """Example::\n\n        import rsa\n        def f(m):\n            return rsa.sign(m, k, "SHA-1")\n    """\n'
    "import hashlib\nx = hashlib.sha256()\n",
    # f-string expressions are code
    'import hashlib\ndef f(d):\n    return f"{hashlib.md5(d).hexdigest()} done"\n',
    # a module-level key variable feeds a call inside a function
    "import os\nfrom cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes\nKEY = os.urandom(16)\n"
    "class C:\n    def enc(self, iv):\n        return Cipher(algorithms.AES(KEY), modes.CTR(iv))\n",
    # a use at module level inside try/except after an unrelated function
    "import hashlib\ndef g():\n    return 1\n\ntry:\n    hashlib.md5(usedforsecurity=False)\nexcept ValueError:\n    pass\n",
]


@pytest.mark.parametrize("source", WINDOW_CASES)
def test_windowed_python_parse_equals_whole_file_parse(source: str) -> None:
    from qrisk.scan.detectors.source.python import PythonSourceDetector

    data = source.encode()
    windowed = {(f.line, f.algorithm, f.key_size) for f in PythonSourceDetector().detect("w.py", data)}
    assert windowed == _whole_file(data)


def test_windowed_parse_on_the_python_corpus() -> None:
    from qrisk.scan.detectors.source.python import PythonSourceDetector

    for path in (CORPUS / "python").glob("*.py"):
        data = path.read_bytes()
        try:
            expected = _whole_file(data)
        except SyntaxError:
            continue
        got = {(f.line, f.algorithm, f.key_size) for f in PythonSourceDetector().detect(path.name, data)}
        assert got == expected, path.name


def test_typescript_declaration_files_are_not_usage() -> None:
    from qrisk.scan.detectors.source.javascript import JavaScriptSourceDetector

    decl = b"import * as crypto from 'crypto';\nexport declare function digest(): ReturnType<typeof crypto.createHash>;\n" \
        b"declare const h: ReturnType<typeof crypto.createHash>; // createHash('md5')\n"
    code = b"const crypto = require('crypto');\nconst h = crypto.createHash('md5');\n"
    d = JavaScriptSourceDetector()
    assert list(d.detect("types/index.d.ts", decl)) == []
    assert [f.algorithm for f in d.detect("src/index.ts", code)] == ["md5"]
