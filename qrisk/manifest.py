"""The manifest (``inventories/*.yaml``, ``schema: qrisk.manifest/1``): systems, their data and
migration facts, sites and QKD links.

Validation is strict (pydantic, unknown keys rejected) and every error names the field
*and the YAML line*: the loader records each node's position while composing the YAML.
The QKD topology has one schema, this one; a standalone network file is a manifest
holding only ``sites`` and ``qkd_links``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qrisk.catalog import retention_class
from qrisk.errors import InputError
from qrisk.model import Criticality, DataClass, DataFlow, MigrationEffort, QkdLink, Site, System

MANIFEST_SCHEMA = "qrisk.manifest/1"
MANIFEST_SCHEMA_RE = re.compile(r"^qrisk\.manifest/1(\.\d+)?$")
# A line of a YAML document that marks it as a manifest, without parsing the rest.
MANIFEST_MARK_RE = re.compile(rb"(?m)^schema:\s*[\"']?qrisk\.manifest/")
MAX_MANIFEST_BYTES = 8 * 1024 * 1024

_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
_ENDPOINT_RE = re.compile(r"^(?:(tls|ssh)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$")

Category = Literal["software-signing", "networking", "web-cloud", "operating-system", "niche", "legacy"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class _Organisation(_Strict):
    name: str = Field(min_length=1, max_length=200)
    sector: str = ""
    jurisdictions: list[str] = []


class _DataClass(_Strict):
    class_: str = Field(alias="class", min_length=1, max_length=100)
    retention_years: float | None = Field(default=None, ge=0, le=1000)
    description: str = ""


class _Migration(_Strict):
    years: float | None = Field(default=None, ge=0, le=100)
    effort: MigrationEffort | None = None


class _System(_Strict):
    id: str = Field(pattern=_ID_RE)
    name: str = Field(default="", max_length=200)
    owner: str = ""
    description: str = ""
    paths: list[str] = []
    endpoints: list[str] = []
    data: list[_DataClass] = []
    migration: _Migration | None = None
    criticality: Criticality = Criticality.MEDIUM
    sites: list[str] = []
    category: Category | None = None
    signature_trust_years: float | None = Field(default=None, ge=0, le=1000)
    jurisdictions: list[str] = []
    high_value: bool = False
    value: float | None = Field(default=None, gt=0, le=1e15)
    max_handshake_bytes: int | None = Field(default=None, gt=0, le=10**9)
    mtu_bytes: int | None = Field(default=None, ge=68, le=65535)

    @field_validator("endpoints")
    @classmethod
    def _endpoints(cls, value: list[str]) -> list[str]:
        out = []
        for ep in value:
            m = _ENDPOINT_RE.match(ep.strip())
            if not m or not 0 < int(m.group(3)) < 65536:
                raise ValueError(f"endpoint {ep!r} is not [tls://|ssh://]host:port")
            scheme = m.group(1) or ("ssh" if m.group(3) == "22" else "tls")
            out.append(f"{scheme}://{m.group(2)}:{int(m.group(3))}")
        return out

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str]) -> list[str]:
        for p in value:
            if not p.strip() or "\x00" in p:
                raise ValueError(f"path {p!r} is empty or contains a NUL byte")
        return value


class _Site(_Strict):
    id: str = Field(pattern=_ID_RE)
    name: str = ""
    owner: str = ""
    trusted: bool = True
    relay: bool = False
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class _QkdLink(_Strict):
    id: str | None = Field(default=None, pattern=_ID_RE)
    a: str
    b: str
    length_km: float = Field(ge=0, le=50000)
    loss_db_per_km: float | None = Field(default=None, ge=0, le=10)
    extra_loss_db: float = Field(default=0.0, ge=0, le=300)
    protocol: Literal["decoy-bb84", "efficient-bb84", "bb84-no-decoy", "tf-qkd", "cv-gg02"] = "decoy-bb84"
    detector_efficiency: float | None = Field(default=None, gt=0, le=1)
    dark_count_prob: float | None = Field(default=None, ge=0, lt=1)
    misalignment: float | None = Field(default=None, ge=0, le=0.5)
    ec_efficiency: float | None = Field(default=None, ge=1, le=10)
    rep_rate_hz: float | None = Field(default=None, gt=0, le=1e12)
    owner: str = ""
    source: str = ""


class _DataFlow(_Strict):
    id: str | None = Field(default=None, pattern=_ID_RE)
    a: str
    b: str
    systems: list[str] = []
    tunnels: int = Field(default=1, ge=1, le=10**7)
    rekey_seconds: float = Field(default=3600.0, gt=0, le=10**9)
    key_bits: int = Field(default=256, ge=64, le=8192)
    description: str = ""


class _Manifest(_Strict):
    schema_: str = Field(alias="schema")
    organisation: _Organisation | None = None
    systems: list[_System] = []
    sites: list[_Site] = []
    qkd_links: list[_QkdLink] = []
    data_flows: list[_DataFlow] = []

    @field_validator("schema_")
    @classmethod
    def _schema(cls, value: str) -> str:
        if not MANIFEST_SCHEMA_RE.match(value):
            raise ValueError(f"unsupported manifest schema {value!r} (this version reads {MANIFEST_SCHEMA}.x)")
        return value


@dataclass(frozen=True)
class Manifest:
    """A validated manifest."""

    path: Path
    schema: str
    organisation: str
    systems: tuple[System, ...]
    sites: tuple[Site, ...]
    qkd_links: tuple[QkdLink, ...]
    data_flows: tuple[DataFlow, ...] = ()

    @property
    def base_dir(self) -> Path:
        """Folder that the systems' relative paths are relative to."""
        return self.path.parent


# --------------------------------------------------------------------------- YAML with lines


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping key and sequence item."""


_MAX_NODES = 200_000  # guards against alias bombs ("billion laughs")


def _compose_with_lines(text: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    loader = _LineLoader(text)
    lines: dict[tuple[Any, ...], int] = {}
    count = 0

    def walk(n: yaml.Node | None, path: tuple[Any, ...]) -> Any:
        nonlocal count
        count += 1
        if count > _MAX_NODES:
            raise InputError(f"more than {_MAX_NODES} YAML nodes (alias expansion?)")
        if n is None:
            return None
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in n.value:
                line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise InputError(f"line {line}: mapping keys must be plain scalars")
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise InputError(f"line {line}: YAML merge keys ('<<') are not supported in manifests")
                key = loader.construct_object(key_node, deep=True)
                if key == "<<":
                    raise InputError(f"line {line}: YAML merge keys ('<<') are not supported in manifests")
                if not isinstance(key, str | int | float | bool):
                    raise InputError(f"line {line}: mapping keys must be plain scalars")
                lines[(*path, key)] = line
                if key in out:
                    raise InputError(f"line {line}: duplicate key {key!r}")
                out[key] = walk(value_node, (*path, key))
            return out
        if isinstance(n, yaml.SequenceNode):
            return [walk(item, (*path, i)) for i, item in enumerate(n.value)]
        return loader.construct_object(n, deep=True)

    try:
        node = loader.get_single_node()
        return walk(node, ()), lines
    finally:
        loader.dispose()


def _line_for(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    for end in range(len(loc), -1, -1):
        # pydantic uses the alias ("class") in loc, like the YAML key
        key = tuple(loc[:end])
        if key in lines:
            return lines[key]
    return None


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _error(path: Path | str, line: int | None, field: str, message: str) -> InputError:
    where = f"{path}:{line}" if line else str(path)
    return InputError(f"{where}: {field}: {message}")


def parse_manifest(text: str, path: Path | str = "<manifest>") -> Manifest:
    """Validate manifest text; raises :class:`InputError` naming the field and line."""
    try:
        data, lines = _compose_with_lines(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise _error(path, line, "yaml", f"{exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise _error(path, None, "yaml", str(exc)) from None
    except RecursionError:
        raise _error(path, None, "yaml", "nesting too deep") from None
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    if not isinstance(data, dict):
        raise _error(path, 1, "(top level)", "a manifest is a mapping with a 'schema' key")
    if "schema" not in data:
        raise _error(path, 1, "schema", f"missing; a manifest starts with 'schema: {MANIFEST_SCHEMA}'")
    try:
        doc = _Manifest.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        # pydantic reports union/literal members in loc; keep the YAML-shaped part
        loc = tuple(p for p in loc if isinstance(p, int) or p in _yaml_keys(data, loc))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling; see the manifest reference in the README)"
        more = f" (and {len(exc.errors()) - 1} more problem(s))" if len(exc.errors()) > 1 else ""
        raise _error(path, _line_for(lines, loc), _format_loc(loc), msg + more) from None
    return _build(doc, lines, Path(path))


def _yaml_keys(data: Any, loc: tuple[Any, ...]) -> set[Any]:
    keys: set[Any] = set()
    node = data
    for part in loc:
        if isinstance(node, dict):
            keys.update(node.keys())
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            keys.add(part)
            node = None
    return keys


def _build(doc: _Manifest, lines: dict[tuple[Any, ...], int], path: Path) -> Manifest:
    site_ids: set[str] = set()
    sites = []
    for i, s in enumerate(doc.sites):
        if s.id in site_ids:
            raise _error(path, lines.get(("sites", i, "id")), f"sites[{i}].id", f"duplicate site id {s.id!r}")
        site_ids.add(s.id)
        sites.append(Site(s.id, s.name or s.id, s.owner, s.trusted, s.relay, s.latitude, s.longitude))

    system_ids: set[str] = set()
    systems = []
    for i, sy in enumerate(doc.systems):
        if sy.id in system_ids:
            raise _error(path, lines.get(("systems", i, "id")), f"systems[{i}].id", f"duplicate system id {sy.id!r}")
        system_ids.add(sy.id)
        for j, site in enumerate(sy.sites):
            if site not in site_ids:
                raise _error(
                    path, lines.get(("systems", i, "sites", j)), f"systems[{i}].sites[{j}]",
                    f"unknown site {site!r} (not in 'sites')",
                )
        data_classes = []
        for j, d in enumerate(sy.data):
            line = lines.get(("systems", i, "data", j))
            if d.retention_years is not None:
                data_classes.append(DataClass(d.class_, d.retention_years, "manifest"))
                continue
            rc = retention_class(d.class_)
            if rc is None:
                raise _error(
                    path, line, f"systems[{i}].data[{j}].class",
                    f"unknown data class {d.class_!r}: give retention_years or use a class from "
                    "qrisk/catalog/retention.yaml",
                )
            data_classes.append(DataClass(rc.name, rc.retention_years, rc.anchor))
        systems.append(
            System(
                id=sy.id,
                name=sy.name or sy.id,
                owner=sy.owner,
                paths=tuple(sy.paths),
                endpoints=tuple(sy.endpoints),
                data_classes=tuple(data_classes),
                migration_years=sy.migration.years if sy.migration else None,
                migration_effort=sy.migration.effort if sy.migration else None,
                criticality=sy.criticality,
                sites=tuple(sy.sites),
                description=sy.description,
                category=sy.category,
                signature_trust_years=sy.signature_trust_years,
                jurisdictions=tuple(sy.jurisdictions),
                high_value=sy.high_value,
                value=sy.value,
                max_handshake_bytes=sy.max_handshake_bytes,
                mtu_bytes=sy.mtu_bytes,
            )
        )

    links = []
    link_ids: set[str] = set()
    for i, link in enumerate(doc.qkd_links):
        for end in ("a", "b"):
            site = getattr(link, end)
            if site not in site_ids:
                raise _error(
                    path, lines.get(("qkd_links", i, end)), f"qkd_links[{i}].{end}",
                    f"unknown site {site!r} (not in 'sites')",
                )
        if link.a == link.b:
            raise _error(path, lines.get(("qkd_links", i, "b")), f"qkd_links[{i}].b", "a link needs two different sites")
        link_id = link.id or f"{link.a}--{link.b}"
        if link_id in link_ids:
            raise _error(path, lines.get(("qkd_links", i)), f"qkd_links[{i}].id", f"duplicate link id {link_id!r}")
        link_ids.add(link_id)
        links.append(
            QkdLink(
                id=link_id, a=link.a, b=link.b, length_km=link.length_km,
                loss_db_per_km=link.loss_db_per_km, extra_loss_db=link.extra_loss_db,
                protocol=link.protocol, detector_efficiency=link.detector_efficiency,
                dark_count_prob=link.dark_count_prob, misalignment=link.misalignment,
                ec_efficiency=link.ec_efficiency, rep_rate_hz=link.rep_rate_hz,
                owner=link.owner, source=link.source,
            )
        )
    flows = []
    flow_ids: set[str] = set()
    for i, f in enumerate(doc.data_flows):
        for end in ("a", "b"):
            site = getattr(f, end)
            if site not in site_ids:
                raise _error(
                    path, lines.get(("data_flows", i, end)), f"data_flows[{i}].{end}",
                    f"unknown site {site!r} (not in 'sites')",
                )
        for j, sid in enumerate(f.systems):
            if sid not in system_ids:
                raise _error(
                    path, lines.get(("data_flows", i, "systems", j)), f"data_flows[{i}].systems[{j}]",
                    f"unknown system {sid!r} (not in 'systems')",
                )
        flow_id = f.id or f"{f.a}->{f.b}"
        if flow_id in flow_ids:
            raise _error(path, lines.get(("data_flows", i)), f"data_flows[{i}].id", f"duplicate data flow id {flow_id!r}")
        flow_ids.add(flow_id)
        flows.append(DataFlow(flow_id, f.a, f.b, tuple(f.systems), f.tunnels, f.rekey_seconds, f.key_bits, f.description))
    return Manifest(
        path=path,
        schema=doc.schema_,
        organisation=doc.organisation.name if doc.organisation else "",
        systems=tuple(systems),
        sites=tuple(sites),
        qkd_links=tuple(links),
        data_flows=tuple(flows),
    )


def load_manifest(path: Path | str) -> Manifest:
    """Read and validate a manifest file; raises :class:`InputError` with field and line."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_MANIFEST_BYTES:
            raise InputError(f"{p}: manifest is {size} bytes; the limit is {MAX_MANIFEST_BYTES}")
        raw = p.read_bytes()
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"{p}: cannot read manifest: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: manifest is not UTF-8 (byte {exc.start})") from None
    return parse_manifest(text, p)


def looks_like_manifest(path: Path) -> bool:
    """A YAML file is a manifest when it carries ``schema: qrisk.manifest/…`` (see DESIGN)."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return False
    return bool(MANIFEST_MARK_RE.search(head))


def manifest_json_schema() -> dict[str, Any]:
    """JSON Schema of the manifest format (exported to ``qrisk/schemas/manifest.schema.json``)."""
    schema = _Manifest.model_json_schema(by_alias=True)
    schema["$id"] = "https://qrisk.dev/schemas/manifest-1.json"
    schema["title"] = "qrisk manifest (qrisk.manifest/1)"
    return schema
