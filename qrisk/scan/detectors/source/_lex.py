"""Small per-language lexers: blank comments and locate string literals.

The confirm stage of the source detectors matches API-call shapes on the *masked* text
that these lexers produce: comments become spaces (newlines kept, so offsets and line
numbers do not move) and string literals stay in place but are recorded as spans, so a
rule can read a literal argument (``Cipher.getInstance("AES/GCM/NoPadding")``) while
refusing an anchor that itself sits inside a string (``"call Cipher.getInstance(..)"``).

One compiled alternation per language does the whole job in a single ``finditer`` pass.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

# Building blocks (each a regex fragment that matches one whole token). Bodies are runs of
# ordinary characters matched possessively (``[^"\\\n]++``): the same tokens as a lazy
# ``[\s\S]*?`` up to the first terminator, about twice as fast on string-heavy code.
_LINE_COMMENT = r"//[^\n]*"
_BLOCK_COMMENT = r"/\*(?:[^*]++|\*(?!/))*+(?:\*/|\Z)"
_HASH_COMMENT = r"\#[^\n]*"
_DQ = r'"(?:[^"\\\n]++|\\[\s\S])*+"'
_SQ = r"'(?:[^'\\\n]++|\\[\s\S])*+'"
# A character literal: one character or one escape ('a', '\n', '\x41', '\u{1F600}'); a
# Rust lifetime ('a) or a Kotlin label never closes like this.
_CHAR = r"'(?:\\(?:u\{[0-9a-fA-F]+\}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[\s\S])|[^'\\\n])'"
_TRIPLE_DQ = r'"""(?:[^"]++|"(?!""))*+(?:"""|\Z)'
_BACKTICK_RAW = r"`[^`]*`"
_TEMPLATE = r"`(?:[^`\\]++|\\[\s\S])*+`"
# A JavaScript regex literal, only where an expression can start (after an operator or
# an opening bracket), so that ``a / b / c`` stays code.
_JS_REGEX = r"[(,=:\[!&|?{};][ \t]*/(?![*/])(?:\\.|\[(?:\\.|[^\]\\\n])*\]|[^/\\\n\[])+/[a-z]*"


@dataclass(frozen=True)
class Lexer:
    """Comment and string syntax of one language family."""

    name: str
    comment: str
    """Regex alternatives for comments."""
    string: str
    """Regex alternatives for string literals."""
    flags: int = 0
    first: str = ""
    """Characters a comment or string can start with (a regex class body): lets the scan skip
    every other position quickly."""
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        guard = f"(?=[{self.first}])" if self.first else ""
        object.__setattr__(self, "_regex", re.compile(f"{guard}(?:(?P<c>{self.comment})|(?P<s>{self.string}))", self.flags))

    def mask(self, text: str) -> Masked:
        """Blank the comments of ``text``; record where its string literals are."""
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        last = 0
        for m in self._regex.finditer(text):
            if m.lastgroup == "c":
                a, b = m.span()
                pieces.append(text[last:a])
                segment = text[a:b]
                pieces.append(re.sub(r"[^\n]", " ", segment) if "\n" in segment else " " * (b - a))
                last = b
            else:
                a, b = m.span()
                starts.append(a)
                ends.append(b)
        pieces.append(text[last:])
        return Masked(text, "".join(pieces), starts, ends)


@dataclass
class Masked:
    """A source text, the same text with comments blanked, and its string spans."""

    text: str
    code: str
    string_starts: list[int]
    string_ends: list[int]
    _newlines: list[int] | None = None

    def in_string(self, pos: int) -> bool:
        """Whether offset ``pos`` lies inside a string literal (quotes included)."""
        i = bisect.bisect_right(self.string_starts, pos) - 1
        return i >= 0 and pos < self.string_ends[i]

    def string_at(self, pos: int) -> tuple[int, int] | None:
        """The span of the string literal containing ``pos``, if any."""
        i = bisect.bisect_right(self.string_starts, pos) - 1
        if i >= 0 and pos < self.string_ends[i]:
            return self.string_starts[i], self.string_ends[i]
        return None

    def line_of(self, pos: int) -> int:
        """1-based line number of offset ``pos``."""
        if self._newlines is None:
            self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        return bisect.bisect_left(self._newlines, pos) + 1

    def line_text(self, line: int) -> str:
        """The original text of a 1-based line (without its newline)."""
        if self._newlines is None:
            self.line_of(0)
        assert self._newlines is not None
        start = 0 if line <= 1 else self._newlines[line - 2] + 1
        end = self._newlines[line - 1] if line - 1 < len(self._newlines) else len(self.text)
        return self.text[start:end]

    def call_args(self, open_paren: int, limit: int = 4000) -> str | None:
        """Text between the bracket at ``open_paren`` and its partner (strings respected)."""
        code = self.code
        if open_paren >= len(code):
            return None
        opener = code[open_paren]
        closer = {"(": ")", "[": "]", "{": "}"}.get(opener)
        if closer is None:
            return None
        depth = 0
        i = open_paren
        end = min(len(code), open_paren + limit)
        while i < end:
            ch = code[i]
            if ch in "\"'`":
                span = self.string_at(i)
                if span is not None:
                    i = span[1]
                    continue
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth -= 1
                if depth == 0:
                    return code[open_paren + 1 : i]
            i += 1
        return None


def split_args(args: str) -> list[str]:
    """Split a call's argument text on top-level commas (strings and brackets respected)."""
    out: list[str] = []
    depth = 0
    quote = ""
    cur: list[str] = []
    escape = False
    for ch in args:
        if quote:
            cur.append(ch)
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == quote:
                quote = ""
            continue
        if ch in "\"'`":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    tail = "".join(cur).strip()
    if tail or out:
        out.append(tail)
    return out


C_FAMILY = Lexer("c", f"{_LINE_COMMENT}|{_BLOCK_COMMENT}", f"{_DQ}|{_CHAR}", first="/\"'")
JAVA = Lexer("java", f"{_LINE_COMMENT}|{_BLOCK_COMMENT}", f"{_TRIPLE_DQ}|{_DQ}|{_CHAR}", first="/\"'")
GO = Lexer("go", f"{_LINE_COMMENT}|{_BLOCK_COMMENT}", f"{_DQ}|{_BACKTICK_RAW}|{_CHAR}", first="/\"'`")
JAVASCRIPT = Lexer(
    "javascript",
    f"{_LINE_COMMENT}|{_BLOCK_COMMENT}",
    f"{_DQ}|{_SQ}|{_TEMPLATE}|{_JS_REGEX}",
    first="/\"'`(,=:\\[!&|?{};",
)
CSHARP = Lexer(
    "csharp",
    f"{_LINE_COMMENT}|{_BLOCK_COMMENT}",
    rf'{_TRIPLE_DQ}|\$?@\$?"(?:""|[^"])*"|\$?{_DQ}|{_CHAR}',
    first="/\"'@$",
)
RUST = Lexer(
    "rust",
    f"{_LINE_COMMENT}|{_BLOCK_COMMENT}",
    rf'b?r(?P<hashes>\#*)"[\s\S]*?"(?P=hashes)|b?{_DQ}|b?{_CHAR}',
    first="/\"'br",
)
PHP = Lexer(
    "php",
    rf"{_LINE_COMMENT}|{_BLOCK_COMMENT}|\#(?!\[)[^\n]*",
    rf"<<<[ \t]*(?P<q>['\"]?)(?P<doc>[A-Za-z_]\w*)(?P=q)\n[\s\S]*?\n[ \t]*(?P=doc)\b|{_DQ}|{_SQ}",
    first="/#<\"'",
)
RUBY = Lexer(
    "ruby",
    rf"^=begin\b[\s\S]*?(?:^=end\b[^\n]*|\Z)|{_HASH_COMMENT}",
    rf"<<[~-]?(?P<q>['\"]?)(?P<doc>[A-Z_][A-Z0-9_]*)(?P=q)[^\n]*\n[\s\S]*?^[ \t]*(?P=doc)$|{_DQ}|{_SQ}"
    r"|%[qQwWi]?(?:\((?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))*\)|\[(?:[^\[\]\\]|\\.|\[(?:[^\]\\]|\\.)*\])*\]"
    r"|\{(?:[^{}\\]|\\.|\{(?:[^{}\\]|\\.)*\})*\})",
    re.MULTILINE,
    first="=#\"'%<",
)
PYTHON = Lexer(
    "python",
    _HASH_COMMENT,
    r"(?i:[rbuf]{0,2})(?:'''(?:[^']++|'(?!''))*+(?:'''|\Z)|\"\"\"(?:[^\"]++|\"(?!\"\"))*+(?:\"\"\"|\Z)|"
    + _DQ + "|" + _SQ + ")",
    first="#\"'rbufRBUF",
)
