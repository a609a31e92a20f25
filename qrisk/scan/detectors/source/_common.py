"""What every source-code detector shares: the base class, a finding collector that
merges duplicates, catalog helpers, literal resolution and snippet redaction."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar

from qrisk import catalog
from qrisk.model import AssetKind, Confidence, Primitive, Usage
from qrisk.scan.detectors.base import Detector, DetectorOutput, Finding
from qrisk.scan.detectors.source._lex import Lexer, Masked, split_args

__all__ = ["Collector", "Masked", "SourceDetector", "split_args"]

SNIPPET_CHARS = 120

# --------------------------------------------------------------------------- catalog


@functools.lru_cache(maxsize=4096)
def canonical(name: str) -> str | None:
    """Canonical catalog name for ``name`` (any alias), or None when the catalog does not know it."""
    if not name:
        return None
    entry = catalog.algorithms().lookup(name)
    return None if entry.name == "unknown" else entry.name


@functools.lru_cache(maxsize=1024)
def _resolution(name: str) -> tuple[str | None, int | None]:
    res = catalog.algorithms().resolve(name)
    return (None if res.algorithm.name == "unknown" else res.algorithm.name, res.key_size)


_PRIMITIVE_USAGE: dict[Primitive, Usage] = {
    Primitive.SIGNATURE: Usage.SIGNATURE,
    Primitive.PKE: Usage.UNKNOWN,
    Primitive.KEY_AGREE: Usage.KEY_EXCHANGE,
    Primitive.KEM: Usage.KEY_EXCHANGE,
    Primitive.HASH: Usage.HASHING,
    Primitive.XOF: Usage.HASHING,
    Primitive.MAC: Usage.AUTHENTICATION,
    Primitive.KDF: Usage.KEY_DERIVATION,
    Primitive.BLOCK_CIPHER: Usage.ENCRYPTION,
    Primitive.STREAM_CIPHER: Usage.ENCRYPTION,
    Primitive.AE: Usage.ENCRYPTION,
    Primitive.DRBG: Usage.RANDOM,
    Primitive.COMBINER: Usage.KEY_EXCHANGE,
    Primitive.OTHER: Usage.UNKNOWN,
    Primitive.UNKNOWN: Usage.UNKNOWN,
}


def default_usage(name: str) -> Usage:
    """The usage an algorithm implies when the call does not say (RSA: unknown)."""
    entry = catalog.algorithms().lookup(name)
    return _PRIMITIVE_USAGE.get(entry.primitive, Usage.UNKNOWN)


def family(name: str) -> str | None:
    """Catalog family of a name (``AES-256`` → ``AES``), or None when unknown."""
    entry = catalog.algorithms().lookup(name)
    return None if entry.name == "unknown" else entry.family


def hmac_name(hash_name: str | None) -> str:
    """``HMAC-SHA256`` for ``sha256`` (any spelling); plain ``HMAC`` when the hash is unknown."""
    base = canonical(hash_name) if hash_name else None
    if base:
        candidate = canonical("HMAC-" + base.replace("-", ""))
        if candidate:
            return candidate
    return "HMAC"


def hkdf_name(hash_name: str | None) -> str:
    """``HKDF-SHA256`` for ``sha256`` (any spelling); plain ``HKDF`` otherwise."""
    base = canonical(hash_name) if hash_name else None
    if base:
        candidate = canonical("HKDF-" + base.replace("-", ""))
        if candidate:
            return candidate
    return "HKDF"


@dataclass(frozen=True)
class Part:
    """One algorithm named inside a combined identifier."""

    algorithm: str
    usage: Usage
    curve: str | None = None


_JCA_SIG = re.compile(
    r"^(?P<hash>[A-Za-z0-9_-]+?)with(?P<key>RSA(?:andMGF1|/PSS|/X9\.31|/ISO9796-2)?|RSASSA-PSS|ECDSA|PLAIN-ECDSA|"
    r"CVC-ECDSA|ECDDSA|DDSA|DSA|ECNR|SM2|RSAEncryption)(?:/[\w-]+)?$",
    re.IGNORECASE,
)
_DASHED_SIG = re.compile(r"^(?P<key>RSA|DSA|ECDSA)-(?P<hash>SHA\d*(?:-\d+)?|SHA3-\d+|MD5|RIPEMD160|SM3)$", re.I)
_ECDSA_WITH = re.compile(r"^(?P<key>ecdsa|dsa)[-_]with[-_](?P<hash>[\w-]+)$", re.IGNORECASE)
_JOSE = re.compile(r"^(?P<kind>RS|PS|ES|HS)(?P<bits>256|384|512)(?P<k>K?)$")
_JOSE_CURVE = {"256": "P-256", "384": "P-384", "512": "P-521"}


def split_combined(name: str) -> list[Part] | None:
    """Split a name that combines a public-key algorithm and a hash (``SHA256withRSA``,
    ``RSA-SHA256``, ``ecdsa-with-SHA1``, JOSE ``RS256``/``ES384``) into both parts.

    A combined name yields two findings: the signature algorithm and the hash, because a
    SHA-1 or MD5 signature is a finding of its own. MAC names (``HS256``) are one part.
    Returns None when ``name`` is not a combined name.
    """
    n = name.strip()
    m = _JOSE.match(n)
    if m:
        bits = m.group("bits")
        hash_name = f"SHA-{bits}"
        kind = m.group("kind")
        if kind == "HS":
            return [Part(hmac_name(hash_name), Usage.AUTHENTICATION)]
        if kind == "ES":
            curve = "secp256k1" if m.group("k") else _JOSE_CURVE[bits]
            return [Part("ECDSA", Usage.SIGNATURE, curve), Part(hash_name, Usage.HASHING)]
        if m.group("k"):
            return None
        return [Part("RSA", Usage.SIGNATURE), Part(hash_name, Usage.HASHING)]
    for rx in (_JCA_SIG, _DASHED_SIG, _ECDSA_WITH):
        m = rx.match(n)
        if m:
            key = m.group("key").upper()
            key = "RSA" if key.startswith("RSA") else ("ECDSA" if "ECDSA" in key or key == "ECNR" else key)
            hash_part = m.group("hash")
            if canonical(hash_part) is None or canonical(key) is None:
                return None
            return [Part(key, Usage.SIGNATURE), Part(hash_part, Usage.HASHING)]
    return None


# --------------------------------------------------------------------------- literals

_INT_RE = re.compile(r"^\(?\s*(?:\([a-z_ ]+\)\s*)?(0[xX][0-9a-fA-F_]+|\d[\d_]*)[uUlLnN]*\s*\)?$")


def parse_int(token: str) -> int | None:
    """An integer literal (``2048``, ``0x800``, ``4_096``, ``(size_t)2048``, ``2048L``), else None."""
    m = _INT_RE.match(token.strip())
    if not m:
        return None
    raw = m.group(1).replace("_", "")
    try:
        return int(raw, 16) if raw[:2].lower() == "0x" else int(raw)
    except ValueError:
        return None


_STR_LIT = re.compile(r"""^[@$]?[bru]?(?P<q>["'`])(?P<body>(?:\\.|(?!(?P=q)).)*)(?P=q)$""", re.DOTALL)


def parse_str(token: str) -> str | None:
    """The content of a simple string literal (no interpolation), else None."""
    m = _STR_LIT.match(token.strip())
    if not m:
        return None
    body = m.group("body")
    if "${" in body or "#{" in body:
        return None
    return body.replace('\\"', '"').replace("\\'", "'")


_IDENT = re.compile(r"^(?:[A-Za-z_$][\w$]*\s*(?:\.|::|->)\s*)*(?P<name>[A-Za-z_$][\w$]*)$")


def resolve_int(masked: Masked, token: str | None) -> int | None:
    """An integer argument: a literal, or a constant of the same file assigned a literal."""
    if not token:
        return None
    value = parse_int(token)
    if value is not None:
        return value
    m = _IDENT.match(token.strip())
    if not m:
        return None
    name = re.escape(m.group("name"))
    found = re.search(rf"(?<![\w$.]){name}\s*(?::\s*[\w<>?]+\s*)?:?=\s*(0[xX][0-9a-fA-F_]+|\d[\d_]*)[uUlL]?\b", masked.code)
    if found:
        return parse_int(found.group(1))
    found = re.search(rf"(?<![\w$.]){name}\s*=>?\s*(0[xX][0-9a-fA-F]+|\d+)\b", masked.code)
    if found is None:
        found = re.search(rf"^[ \t]*\#[ \t]*define[ \t]+{name}[ \t]+\(?(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\)?[ \t]*$", masked.code, re.M)
    return parse_int(found.group(1)) if found else None


def resolve_str(masked: Masked, token: str | None) -> str | None:
    """A string argument: a literal, or a constant of the same file assigned a literal."""
    if not token:
        return None
    value = parse_str(token)
    if value is not None:
        return value
    m = _IDENT.match(token.strip())
    if not m:
        return None
    name = re.escape(m.group("name"))
    found = re.search(
        rf"(?<![\w$.]){name}\s*(?::\s*[\w<>?]+\s*)?:?=\s*(?P<lit>\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')",
        masked.code,
    )
    return parse_str(found.group("lit")) if found else None


def initializer(masked: Masked, name: str, before: int | None = None) -> str | None:
    """The expression last assigned to variable ``name`` before offset ``before``."""
    found = initializer_span(masked, name, before)
    return found[0] if found else None


def initializer_span(masked: Masked, name: str, before: int | None = None) -> tuple[str, int] | None:
    """The expression last assigned to ``name`` before offset ``before``, and its offset."""
    rx = re.compile(rf"(?<![\w$.]){re.escape(name)}\s*(?::\s*[\w<>?.\[\]]+\s*)?:?=(?![=>])\s*")
    last = None
    for m in rx.finditer(masked.code, 0, before if before is not None else len(masked.code)):
        if masked.in_string(m.start()):
            continue
        last = m
    if last is None:
        return None
    start = last.end()
    code = masked.code
    depth = 0
    i = start
    while i < len(code) and i - start < 4000:
        ch = code[i]
        if ch in "\"'`":
            span = masked.string_at(i)
            if span is not None:
                i = span[1]
                continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (ch == ";" or (ch == "\n" and not code[start:i].rstrip().endswith((",", "(", "=")))):
            break
        i += 1
    expr = code[start:i]
    return expr.strip(), start + (len(expr) - len(expr.lstrip()))


# --------------------------------------------------------------------------- redaction

_LITERAL = re.compile(r"""(?P<q>["'`])(?P<body>(?:\\.|(?!(?P=q))[^\\])*)(?P=q)""")
_TOKENISH = re.compile(r"^(?:\\x[0-9a-fA-F]{2}|[A-Za-z0-9+/=_\-])+$")
_SECRET_WORD = re.compile(
    r"(?i)(?:pass(?:word|wd|phrase)?|secret|token|api_?key|apikey|private_?key|privkey|pwd|credential|"
    r"\bkey\b|\bsalt\b|\biv\b|\bnonce\b|seed)"
)
_LONG_HEX_NUMBER = re.compile(r"\b0[xX][0-9a-fA-F]{16,}\b")


def _looks_like_name(body: str) -> bool:
    if canonical(body) is not None:
        return True
    head = body.split("/", 1)[0].split(":", 1)[0]
    return bool(head) and canonical(head) is not None and len(body) <= 48


def redact(line: str) -> str:
    """A one-line snippet with anything that may be secret replaced by ``<redacted>``.

    Literals that look like key material (hex, base64, escaped bytes of 12+ characters)
    always go; on a line that names a password, key, token, salt, IV or seed, every
    literal that is not an algorithm name goes too.
    """
    secretish = bool(_SECRET_WORD.search(line))

    def sub(m: re.Match[str]) -> str:
        body = m.group("body")
        if not body:
            return m.group(0)
        if _looks_like_name(body) and len(body) <= 48:
            return m.group(0)
        if (len(body) >= 12 and _TOKENISH.match(body)) or secretish:
            return f"{m.group('q')}<redacted>{m.group('q')}"
        return m.group(0)

    out = _LITERAL.sub(sub, line)
    out = _LONG_HEX_NUMBER.sub("0x<redacted>", out)
    out = " ".join(out.split())
    if len(out) > SNIPPET_CHARS:
        out = out[: SNIPPET_CHARS - 1] + "…"
    return out


# --------------------------------------------------------------------------- collector

_SIZED_FAMILIES = frozenset({"AES", "Camellia", "ARIA"})


@functools.lru_cache(maxsize=1024)
def _dedupe_key(canon: str) -> str:
    """``AES-256`` and ``AES`` (or ``ECDSA-P256`` and ``ECDSA``) on one line are one finding."""
    entry = catalog.algorithms().get(canon)
    if entry.family in _SIZED_FAMILIES:
        return entry.family
    if entry.curve and canon.startswith(("ECDSA-", "ECDH-")):
        return canon.split("-", 1)[0]
    return canon


@dataclass
class Item:
    """A finding being built (mutable until the collector freezes it)."""

    rule_id: str
    algorithm: str
    line: int
    usage: Usage
    key_size: int | None = None
    curve: str | None = None
    mode: str | None = None
    confidence: Confidence = Confidence.HIGH
    notes: list[str] = field(default_factory=list)


class Collector:
    """Gathers findings of one file; one per (line, canonical algorithm), parameters merged."""

    def __init__(self, line_text: Callable[[int], str]) -> None:
        self._line_text = line_text
        self._items: dict[tuple[int, str], Item] = {}

    def add(
        self,
        rule_id: str,
        algorithm: str,
        line: int,
        usage: Usage | None = None,
        *,
        key_size: int | None = None,
        curve: str | None = None,
        mode: str | None = None,
        confidence: Confidence = Confidence.HIGH,
        note: str | None = None,
    ) -> Item | None:
        """Record a finding; names the catalog does not know are dropped (returns None)."""
        canon, glued_size = _resolution(algorithm)
        if canon is None:
            return None
        if key_size is None:
            key_size = glued_size
        if key_size is not None and (key_size <= 0 or key_size > 65536):
            key_size = None
        if usage is None or usage == Usage.UNKNOWN:
            usage = default_usage(canon) if usage is None else usage
        key = (line, _dedupe_key(canon))
        item = self._items.get(key)
        if item is None:
            item = Item(rule_id, algorithm, line, usage, key_size, curve, mode, confidence)
            self._items[key] = item
        else:
            if canon != canonical(item.algorithm) and len(canon) > len(canonical(item.algorithm) or ""):
                item.algorithm = algorithm
            item.key_size = item.key_size or key_size
            item.curve = item.curve or curve
            item.mode = item.mode or mode
            if item.usage == Usage.UNKNOWN and usage:
                item.usage = usage
        if note and note not in item.notes:
            item.notes.append(note)
        return item

    def items(self) -> list[Item]:
        return list(self._items.values())

    def findings(self) -> list[Finding]:
        out = []
        for item in sorted(self._items.values(), key=lambda i: (i.line, i.algorithm)):
            out.append(
                Finding(
                    kind=AssetKind.ALGORITHM,
                    algorithm=item.algorithm,
                    rule_id=item.rule_id,
                    line=item.line,
                    usage=item.usage,
                    key_size=item.key_size,
                    curve=item.curve,
                    mode=item.mode,
                    confidence=item.confidence,
                    snippet=redact(self._line_text(item.line).strip()),
                    notes=tuple(item.notes),
                )
            )
        return out


_MODES = frozenset(
    {"ECB", "CBC", "CFB", "CFB1", "CFB8", "CFB128", "OFB", "CTR", "GCM", "CCM", "OCB", "OCB3", "XTS", "SIV",
     "GCMSIV", "GCM-SIV", "CTS", "EAX", "KW", "KWP", "WRAP", "PCBC", "OPENPGP"}
)


def mode_of(token: str | None) -> str | None:
    """A block-cipher mode name from a token such as ``MODE_GCM``, ``CipherMode.CBC``, ``:cbc``."""
    if not token:
        return None
    last = re.split(r"[.:_\s]+", token.strip().strip(":"))[-1].upper()
    if last.startswith("OCB"):
        return "OCB"
    return last if last in _MODES else None


# --------------------------------------------------------------------------- detector base


class SourceDetector(Detector):
    """A source detector: chosen by file extension, confirmed on the masked text."""

    extensions: ClassVar[frozenset[str]] = frozenset()
    filenames: ClassVar[frozenset[str]] = frozenset()
    lexer: ClassVar[Lexer]
    name_only: ClassVar[bool] = True
    """``wants`` is exactly "extension in ``extensions`` or name in ``filenames``": the engine
    dispatches by a map instead of calling it (see :class:`qrisk.scan.prefilter.Prefilter`)."""

    def wants(self, path: str, head: bytes) -> bool:
        name = path.rsplit("/", 1)[-1].lower()
        dot = name.rfind(".")
        return (dot > 0 and name[dot:] in self.extensions) or name in self.filenames

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        text = data.decode("utf-8", errors="replace")
        masked = self.lexer.mask(text)
        collector = Collector(masked.line_text)
        self.confirm(masked, collector)
        return collector.findings()

    def confirm(self, masked: Masked, out: Collector) -> None:
        """Match the language's API-call rules on ``masked`` and add findings to ``out``."""
        raise NotImplementedError


def add_parts(out: Collector, rule_id: str, name: str, line: int, usage: Usage | None = None, **kw: object) -> bool:
    """Add ``name``, split into signature + hash when it is a combined name; True if anything was added."""
    parts = split_combined(name)
    if parts:
        added = False
        for p in parts:
            added |= (
                out.add(rule_id, p.algorithm, line, p.usage, curve=p.curve, confidence=kw.get("confidence", Confidence.HIGH))  # type: ignore[arg-type]
                is not None
            )
        return added
    return out.add(rule_id, name, line, usage, **kw) is not None  # type: ignore[arg-type]


_KEY_LEN = re.compile(
    r"make\(\s*\[\]byte\s*,\s*(\d+)\s*\)|\[\s*(\d+)\s*\]\s*byte\b|new\s+byte\s*\[\s*(\d+)\s*\]|"
    r"\[\s*0(?:u8|x00)?\s*;\s*(\d+)\s*\]|ByteArray\s*\(\s*(\d+)\s*\)|"
    r"(?:randomBytes|random_bytes|urandom|token_bytes|get_random_bytes|openssl_random_pseudo_bytes|"
    r"randombytes_buf|RAND_bytes|GetBytes|random_key|GetRandomBytes|nextBytes)\s*\(\s*(?:[\w&]+\s*,\s*)?(\d+)\s*\)"
)
_BYTES_LITERAL = re.compile(r"""^(?:\[\]byte\s*\(\s*)?[bB]?(?P<q>["'])(?P<body>[^"'\\]*)(?P=q)\s*\)?(?:\.(?:getBytes|encode|toByteArray)\([^)]*\))?$""")


def _bits_from_expr(expr: str) -> int | None:
    m = _KEY_LEN.search(expr)
    if m:
        n = int(next(g for g in m.groups() if g))
        return n * 8 if n in (16, 24, 32) else None
    lit = _BYTES_LITERAL.match(expr.strip())
    if lit and len(lit.group("body")) in (16, 24, 32):
        return len(lit.group("body")) * 8
    return None


def sym_key_bits(masked: Masked, token: str | None, before: int | None = None) -> int | None:
    """Bit length of a symmetric key argument when the code states it: ``make([]byte, 32)``,
    ``new byte[16]``, ``[0u8; 32]``, ``randomBytes(32)``, a 16/24/32-character literal, or a
    variable of the same file initialised with one of these."""
    if not token:
        return None
    token = token.strip().lstrip("&*").strip()
    bits = _bits_from_expr(token)
    if bits:
        return bits
    ident = re.fullmatch(r"\$?[A-Za-z_][\w]*", token.split("[", 1)[0].strip())
    if not ident:
        return None
    expr = initializer(masked, ident.group(0), before)
    if expr is None and not token.startswith("$"):
        decl = re.search(rf"\b{re.escape(ident.group(0))}\s*\[\s*(\d+)\s*\]", masked.code)
        if decl and int(decl.group(1)) in (16, 24, 32):
            return int(decl.group(1)) * 8
    return _bits_from_expr(expr) if expr else None


_OPENSSL_CBC_SHORTHANDS = frozenset({"aes128", "aes192", "aes256", "des3", "des", "bf", "blowfish", "cast", "cast5",
                                     "idea", "seed", "camellia128", "camellia192", "camellia256", "aria128",
                                     "aria192", "aria256", "sm4", "rc2"})


def cipher_mode(name: str | None) -> str | None:
    """The mode named inside a cipher name (``aes-256-gcm`` → GCM, ``AES/CBC/…`` → CBC);
    OpenSSL's short names (``aes256``, ``des3``, ``bf``) mean CBC."""
    if not name:
        return None
    for token in re.split(r"[-_/\s:]+", name.strip()):
        mode = mode_of(token)
        if mode:
            return mode
    return "CBC" if name.strip().lower() in _OPENSSL_CBC_SHORTHANDS else None
