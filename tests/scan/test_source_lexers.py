"""The per-language lexers behind the source detectors' confirm stage."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk.scan.detectors.source import _lex
from qrisk.scan.detectors.source._lex import split_args

LEXERS = [_lex.C_FAMILY, _lex.JAVA, _lex.GO, _lex.JAVASCRIPT, _lex.CSHARP, _lex.RUST, _lex.PHP, _lex.RUBY, _lex.PYTHON]


@pytest.mark.parametrize("lexer", LEXERS, ids=lambda lx: lx.name)
@settings(max_examples=60, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab /*#'\"`\n\\{}()=<rR$@%q;-:")), max_size=200))
def test_masking_keeps_offsets_and_lines(lexer: _lex.Lexer, text: str) -> None:
    masked = lexer.mask(text)
    assert len(masked.code) == len(text)
    assert [i for i, c in enumerate(masked.code) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]
    assert masked.string_starts == sorted(masked.string_starts)


def _blank(lexer: _lex.Lexer, text: str, needle: str) -> bool:
    masked = lexer.mask(text)
    i = text.index(needle)
    return masked.code[i : i + len(needle)].strip() == ""


def _in_string(lexer: _lex.Lexer, text: str, needle: str) -> bool:
    masked = lexer.mask(text)
    return masked.in_string(text.index(needle))


def test_c_family_comments_and_strings() -> None:
    src = 'int x = f("/* not a comment */"); // MD5(x)\n/* EVP_md5() */ g();'
    assert _blank(_lex.C_FAMILY, src, "MD5(x)")
    assert _blank(_lex.C_FAMILY, src, "EVP_md5()")
    assert not _blank(_lex.C_FAMILY, src, "not a comment")
    assert _in_string(_lex.C_FAMILY, src, "not a comment")
    assert not _in_string(_lex.C_FAMILY, src, "g();")


def test_java_text_block_is_a_string() -> None:
    src = 'String s = """\n  Cipher.getInstance("DES")\n  """;\nCipher.getInstance("AES");'
    assert _in_string(_lex.JAVA, src, 'Cipher.getInstance("DES")')
    assert not _in_string(_lex.JAVA, src, 'Cipher.getInstance("AES")')


def test_go_raw_strings_and_runes() -> None:
    src = "s := `md5.Sum(x) // not a comment`\nr := '\"'\nh := md5.Sum(y) // real comment"
    assert _in_string(_lex.GO, src, "md5.Sum(x)")
    assert not _in_string(_lex.GO, src, "md5.Sum(y)")
    assert _blank(_lex.GO, src, "real comment")


def test_javascript_templates_and_regex_literals() -> None:
    src = "const t = `createHash('md5')`;\nconst r = /createHmac\\('sha1'/g;\nconst q = a / b / c; createHash('sha256');"
    assert _in_string(_lex.JAVASCRIPT, src, "createHash('md5')")
    assert _in_string(_lex.JAVASCRIPT, src, "createHmac")
    assert not _in_string(_lex.JAVASCRIPT, src, "createHash('sha256')")


def test_rust_lifetimes_are_not_char_literals() -> None:
    src = "fn f<'a>(x: &'a str) -> char { let c = 'x'; Sha256::new(); r#\"Md5::new()\"#; 'y' }"
    assert not _in_string(_lex.RUST, src, "Sha256::new()")
    assert _in_string(_lex.RUST, src, "Md5::new()")


def test_csharp_verbatim_and_interpolated_strings() -> None:
    src = 'var a = @"C:\\path\\"" MD5.Create()"; var b = $"{x} SHA1.Create()"; var c = Aes.Create();'
    assert _in_string(_lex.CSHARP, src, "MD5.Create()")
    assert _in_string(_lex.CSHARP, src, "SHA1.Create()")
    assert not _in_string(_lex.CSHARP, src, "Aes.Create()")


def test_php_hash_comments_heredoc_and_attributes() -> None:
    src = "<?php\n# md5($x)\n#[Attr]\n$d = <<<EOT\nsha1(\\$y)\nEOT;\nhash('sha256', $z);"
    assert _blank(_lex.PHP, src, "md5($x)")
    assert not _blank(_lex.PHP, src, "[Attr]")
    assert _in_string(_lex.PHP, src, "sha1(")
    assert not _in_string(_lex.PHP, src, "hash('sha256'")


def test_ruby_begin_end_heredoc_and_percent_literals() -> None:
    src = (
        "=begin\nDigest::MD5.hexdigest(x)\n=end\n"
        "T = <<~TXT\n  OpenSSL::PKey::RSA.new(1024)\nTXT\n"
        "N = %q(OpenSSL::HMAC.digest('MD5', k, d))\n"
        "Digest::SHA256.hexdigest(y) # Digest::SHA1\n"
    )
    assert _blank(_lex.RUBY, src, "Digest::MD5")
    assert _in_string(_lex.RUBY, src, "OpenSSL::PKey::RSA.new(1024)")
    assert _in_string(_lex.RUBY, src, "OpenSSL::HMAC")
    assert not _in_string(_lex.RUBY, src, "Digest::SHA256")
    assert _blank(_lex.RUBY, src, "Digest::SHA1")


def test_python_triple_quoted_strings() -> None:
    src = 'x = 1  # hashlib.md5()\ns = """\nhashlib.sha1()\n"""\nhashlib.sha256()'
    assert _blank(_lex.PYTHON, src, "hashlib.md5()")
    assert _in_string(_lex.PYTHON, src, "hashlib.sha1()")
    assert not _in_string(_lex.PYTHON, src, "hashlib.sha256()")


def test_call_args_respects_nesting_and_strings() -> None:
    src = 'f(a, g("x)", (1, 2)), "y")'
    masked = _lex.C_FAMILY.mask(src)
    args = masked.call_args(1)
    assert args == 'a, g("x)", (1, 2)), "y"'
    assert split_args(args) == ["a", 'g("x)", (1, 2))', '"y"']


def test_line_numbers() -> None:
    masked = _lex.C_FAMILY.mask("a\nb\n\nc")
    assert [masked.line_of(i) for i in (0, 2, 4, 5)] == [1, 2, 3, 4]
    assert masked.line_text(4) == "c"


# The lexers match string and comment bodies possessively (speed); these are the same
# tokens written the plain way (lazy bodies, backtracking), as the reference.
_REF_DQ = r'"(?:\\[\s\S]|[^"\\\n])*"'
_REF_SQ = r"'(?:\\[\s\S]|[^'\\\n])*'"
_REF_BLOCK = r"/\*[\s\S]*?(?:\*/|\Z)"
_REF_TRIPLE_DQ = r'"""[\s\S]*?(?:"""|\Z)'
_REF_TEMPLATE = r"`(?:\\[\s\S]|[^`\\])*`"


def _reference_lexers() -> list[tuple[str, _lex.Lexer, _lex.Lexer]]:
    def ref(lx: _lex.Lexer, comment: str, string: str) -> _lex.Lexer:
        return _lex.Lexer(lx.name, comment, string, lx.flags, lx.first)

    char, js_re, raw = _lex._CHAR, _lex._JS_REGEX, _lex._BACKTICK_RAW
    line, hash_ = _lex._LINE_COMMENT, _lex._HASH_COMMENT
    return [
        ("c", _lex.C_FAMILY, ref(_lex.C_FAMILY, f"{line}|{_REF_BLOCK}", f"{_REF_DQ}|{char}")),
        ("java", _lex.JAVA, ref(_lex.JAVA, f"{line}|{_REF_BLOCK}", f"{_REF_TRIPLE_DQ}|{_REF_DQ}|{char}")),
        ("go", _lex.GO, ref(_lex.GO, f"{line}|{_REF_BLOCK}", f"{_REF_DQ}|{raw}|{char}")),
        ("js", _lex.JAVASCRIPT, ref(_lex.JAVASCRIPT, f"{line}|{_REF_BLOCK}", f"{_REF_DQ}|{_REF_SQ}|{_REF_TEMPLATE}|{js_re}")),
        ("python", _lex.PYTHON, ref(
            _lex.PYTHON, hash_,
            r"(?i:[rbuf]{0,2})(?:'''[\s\S]*?(?:'''|\Z)|\"\"\"[\s\S]*?(?:\"\"\"|\Z)|" + _REF_DQ + "|" + _REF_SQ + ")",
        )),
    ]


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="ab'\"`/*#\\\n rbuf{}()=$", max_size=80))
def test_possessive_lexers_tokenise_like_the_plain_patterns(text: str) -> None:
    for name, fast, reference in _reference_lexers():
        a, b = fast.mask(text), reference.mask(text)
        assert (a.code, a.string_starts, a.string_ends) == (b.code, b.string_starts, b.string_ends), name
