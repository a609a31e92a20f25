"""Endpoint parsing, message encoding and the prober's vocabulary (no servers needed)."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk import catalog
from qrisk.errors import InputError
from qrisk.model import QuantumStatus
from qrisk.scan.network import ErrorReason, ProbeError, probe
from qrisk.scan.network import ssh as ssh_mod
from qrisk.scan.network import tls as tls_mod
from qrisk.scan.network.probe import Endpoint, ProbeOptions, Protocol, parse_endpoint, read_endpoints_file

# --------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "host", "port", "protocol"),
    [
        ("example.org:443", "example.org", 443, Protocol.TLS),
        ("example.org:22", "example.org", 22, Protocol.SSH),
        ("example.org:2222/ssh", "example.org", 2222, Protocol.SSH),
        ("example.org:22/tls", "example.org", 22, Protocol.TLS),
        ("tls://10.1.2.3:8443", "10.1.2.3", 8443, Protocol.TLS),
        ("ssh://host-1.internal:22", "host-1.internal", 22, Protocol.SSH),
        ("[::1]:443", "::1", 443, Protocol.TLS),
        ("[2001:db8::7]:22", "2001:db8::7", 22, Protocol.SSH),
        ("  mail.example.org:465/TLS ", "mail.example.org", 465, Protocol.TLS),
    ],
)
def test_parse_endpoint(text: str, host: str, port: int, protocol: Protocol) -> None:
    ep = parse_endpoint(text)
    assert (ep.host, ep.port, ep.protocol) == (host, port, protocol)


def test_locations_bracket_ipv6() -> None:
    assert parse_endpoint("[::1]:8443").location == "tls://[::1]:8443"
    assert parse_endpoint("ssh://127.0.0.1:22").location == "ssh://127.0.0.1:22"


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.0/24",  # a network, not an endpoint
        "10.0.0.1-20:443",
        "*.example.org:443",
        "example.org:1-1024",
        "example.org",
        "example.org:0",
        "example.org:70000",
        "::1:443",
        "[not-v6]:443",
        "999.1.1.1:443",
        "tls://example.org:22/ssh",
        "https://example.org:443",
        "example.org:443/http",
        "exa mple.org:443",
        "-bad.example:443",
        "",
    ],
)
def test_parse_endpoint_refuses(text: str) -> None:
    with pytest.raises(InputError):
        parse_endpoint(text)


def test_endpoints_file_comments_and_line_numbers() -> None:
    text = "# estate\nweb.example:443\n\n  db.example:22   # ssh\n[::1]:8443/tls\n"
    eps = read_endpoints_file(text, "eps.txt")
    assert [e.location for e in eps] == ["tls://web.example:443", "ssh://db.example:22", "tls://[::1]:8443"]
    with pytest.raises(InputError, match=r"^eps\.txt:3: "):
        read_endpoints_file("a.example:1\nb.example:2\n10.0.0.0/8\n", "eps.txt")


_label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_top_label = st.from_regex(r"[a-z]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
_hostname = st.builds(lambda labels, top: ".".join([*labels, top]), st.lists(_label, max_size=3), _top_label)
_ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
_ipv6 = st.ip_addresses(v=6).map(str)


@given(host=st.one_of(_hostname, _ipv4, _ipv6), port=st.integers(1, 65535), proto=st.sampled_from(list(Protocol)))
def test_location_round_trips(host: str, port: int, proto: Protocol) -> None:
    ep = Endpoint(host, port, proto)
    assert parse_endpoint(ep.location) == ep
    assert parse_endpoint(f"{ep.hostport}/{proto.value}") == ep


def test_unparseable_endpoint_is_a_recorded_error_not_an_exception() -> None:
    [res] = probe.probe_endpoints(["192.168.0.0/16"], timeout_s=0.5)
    assert res.error is not None and res.error.reason == ErrorReason.INVALID.value
    assert res.findings == []


def test_unresolvable_host_is_a_recorded_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # No DNS traffic from tests: the resolver itself is replaced.
    def fail(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    [res] = probe.probe_endpoints(["no-such-host.invalid:443"], timeout_s=0.5)
    assert res.error is not None and res.error.reason == ErrorReason.UNRESOLVED.value
    assert "no-such-host.invalid" in res.error.detail


def test_hosts_resolve_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = socket.getaddrinfo

    def counting(host: str, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(host)
        return real("127.0.0.1", *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    # Port 9 on loopback: refused (or at worst a timeout); either way no other host is contacted.
    probe.probe_endpoints(["svc.example:9", "svc.example:9/ssh", "svc.example:7", "svc.example:9"], timeout_s=0.5)
    assert calls == ["svc.example"]


def test_options_defaults() -> None:
    limits = ProbeOptions().limits()
    assert limits.retries == 0  # retries are off by default
    limits = ProbeOptions(timeout_s=2, connect_timeout_s=1, retries=2).limits()
    assert (limits.connect_timeout_s, limits.read_timeout_s, limits.retries) == (1, 2, 2)


# --------------------------------------------------------------------------- vocabulary


def test_every_name_we_report_resolves_in_the_catalog() -> None:
    cat = catalog.algorithms()
    names = {g.name for g in tls_mod.GROUPS}
    for s in (*tls_mod.TLS13_SUITES, *tls_mod.TLS12_SUITES):
        if s.cipher != "NULL":
            names.add(s.cipher)
        if s.mac:
            names.add(s.mac)
        if s.auth not in ("anon", "cert"):
            names.add(s.auth)
    names |= {"RSA", "DH"}
    names |= set(ssh_mod.FETCHABLE_KEX) | set(ssh_mod._OFFER_HOSTKEYS) | set(ssh_mod._OFFER_CIPHERS)
    names |= set(ssh_mod._OFFER_MACS)
    names |= {"sntrup761x25519-sha512@openssh.com", "mlkem768x25519-sha256", "diffie-hellman-group14-sha256"}
    unknown = sorted(n for n in names if cat.lookup(n).name == "unknown")
    assert unknown == []


def test_pq_groups_are_safe_and_classical_ones_broken() -> None:
    cat = catalog.algorithms()
    for g in tls_mod.GROUPS:
        status = cat.lookup(g.name).quantum_status
        if g.kind in tls_mod.PQ_KINDS:
            assert status is QuantumStatus.SAFE, g.name
        else:
            assert status in (QuantumStatus.BROKEN, QuantumStatus.CLASSICALLY_BROKEN), g.name


def test_suite_names_split_into_their_parts() -> None:
    s = tls_mod.SUITES_BY_CODE
    assert (s[0xC02F].kx, s[0xC02F].auth, s[0xC02F].cipher, s[0xC02F].mode, s[0xC02F].mac) == (
        "ECDHE", "RSA", "AES-128", "GCM", None)
    assert (s[0x002F].kx, s[0x002F].auth, s[0x002F].mac) == ("RSA", "RSA", "HMAC-SHA1")
    assert (s[0x0032].kx, s[0x0032].auth) == ("DHE", "DSA")
    assert s[0x0034].auth == "anon"
    assert s[0x1303].tls13 and s[0x1303].cipher == "ChaCha20-Poly1305"
    assert s[0x000A].cipher == "3DES" and s[0x0004].mac == "HMAC-MD5"
    assert len(s) == len(tls_mod.TLS13_SUITES) + len(tls_mod.TLS12_SUITES)  # codes are unique


def test_rule_ids_are_unique_and_prefixed() -> None:
    seen: set[str] = set()
    for det in probe.network_detectors():
        for rule in det.rules:
            assert rule.startswith(f"QR-{det.id.upper()}-")
            assert rule not in seen
            seen.add(rule)
    assert {d.id for d in probe.network_detectors()} == {"tls", "ssh"}


# --------------------------------------------------------------------------- ClientHello encoding


def _parse_client_hello(record: bytes) -> dict[str, object]:
    """An independent reading of our ClientHello (RFC 8446 §4.1.2), checking every length."""
    hs = b""
    pos = 0
    while pos < len(record):
        assert record[pos] == 22 and record[pos + 1] == 3
        n = int.from_bytes(record[pos + 3 : pos + 5], "big")
        assert 0 < n <= 2**14
        hs += record[pos + 5 : pos + 5 + n]
        pos += 5 + n
    assert pos == len(record)
    assert hs[0] == 1 and int.from_bytes(hs[1:4], "big") == len(hs) - 4
    b = hs[4:]
    i = 2 + 32
    sid = b[i]
    assert sid <= 32
    i += 1 + sid
    n = int.from_bytes(b[i : i + 2], "big")
    suites = [int.from_bytes(b[i + 2 + k : i + 4 + k], "big") for k in range(0, n, 2)]
    i += 2 + n
    i += 1 + b[i]
    total = int.from_bytes(b[i : i + 2], "big")
    i += 2
    assert i + total == len(b)
    exts: dict[int, bytes] = {}
    end = i + total
    while i < end:
        t = int.from_bytes(b[i : i + 2], "big")
        n = int.from_bytes(b[i + 2 : i + 4], "big")
        assert t not in exts
        exts[t] = b[i + 4 : i + 4 + n]
        i += 4 + n
    assert i == end
    shares: dict[int, int] = {}
    if 51 in exts:
        ks = exts[51]
        assert int.from_bytes(ks[:2], "big") == len(ks) - 2
        j = 2
        while j < len(ks):
            g = int.from_bytes(ks[j : j + 2], "big")
            n = int.from_bytes(ks[j + 2 : j + 4], "big")
            shares[g] = n
            j += 4 + n
        assert j == len(ks)
    return {"suites": suites, "exts": exts, "shares": shares, "size": len(hs)}


_EXPECTED_SHARE = {0x11EC: 1184 + 32, 0x11EB: 65 + 1184, 0x11ED: 97 + 1568, 0x6399: 32 + 1184,
                   0x0201: 1184, 0x0202: 1568, 0x001D: 32, 0x0017: 65, 0x0018: 97, 0x0019: 133, 0x001E: 56}


@settings(max_examples=40, deadline=None)
@given(
    groups=st.lists(st.sampled_from([g.code for g in tls_mod.GROUPS]), unique=True, max_size=12),
    suites=st.lists(st.sampled_from(sorted(tls_mod.SUITES_BY_CODE)), unique=True, min_size=1, max_size=80),
    shares=st.lists(st.sampled_from(sorted(_EXPECTED_SHARE)), unique=True, max_size=3),
    sni=st.one_of(st.none(), _hostname),
)
def test_client_hello_is_well_formed(groups: list[int], suites: list[int], shares: list[int], sni: str | None) -> None:
    key_shares = [(g, tls_mod.client_share(g) or b"") for g in shares]
    record = tls_mod.client_hello(
        legacy_version=tls_mod.TLS12, suites=suites, groups=groups, supported_versions=[tls_mod.TLS13],
        key_shares=key_shares, sni=sni,
    )
    parsed = _parse_client_hello(record)
    assert parsed["suites"][:-1] == suites  # type: ignore[index]
    assert parsed["shares"] == {g: _EXPECTED_SHARE[g] for g in shares}
    assert not 256 <= int(parsed["size"]) < 512  # type: ignore[call-overload]  # RFC 7685 padding
    assert (0 in parsed["exts"]) == bool(sni)  # type: ignore[operator]


def test_server_hello_and_hrr_are_told_apart() -> None:
    def sh(random: bytes, exts: bytes) -> bytes:
        return b"\x03\x03" + random + b"\x00" + b"\x13\x01" + b"\x00" + len(exts).to_bytes(2, "big") + exts

    hrr = tls_mod.parse_server_hello(sh(tls_mod.HRR_RANDOM, b"\x00\x2b\x00\x02\x03\x04" + b"\x00\x33\x00\x02\x11\xec"))
    assert hrr.is_hrr and hrr.group == 0x11EC and hrr.version == tls_mod.TLS13
    share = b"\x00\x1d\x00\x20" + bytes(32)
    hello = tls_mod.parse_server_hello(sh(bytes(32), b"\x00\x2b\x00\x02\x03\x04\x00\x33" + len(share).to_bytes(2, "big") + share))
    assert not hello.is_hrr and hello.group == 0x001D and hello.server_share_len == 32


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_server_hello_parser_fails_only_with_protocol_errors(data: bytes) -> None:
    try:
        tls_mod.parse_server_hello(data)
    except ProbeError as exc:
        assert exc.reason is ErrorReason.PROTOCOL_ERROR


@given(st.binary(max_size=600))
def test_ssh_packets_are_padded_per_rfc4253(payload: bytes) -> None:
    pkt = ssh_mod.packet(payload)
    length = int.from_bytes(pkt[:4], "big")
    assert len(pkt) == 4 + length and len(pkt) % 8 == 0
    pad = pkt[4]
    assert pad >= 4 and pkt[5 : 5 + len(payload)] == payload and length == 1 + len(payload) + pad


def test_kexinit_round_trip() -> None:
    payload = ssh_mod.kexinit(("curve25519-sha256",), ("ssh-ed25519",), ("aes128-ctr",), ("hmac-sha2-256",))
    k = ssh_mod.parse_kexinit(payload)
    assert k.kex == ("curve25519-sha256",) and k.host_key == ("ssh-ed25519",)
    assert k.ciphers_s2c == ("aes128-ctr",) and k.macs_c2s == ("hmac-sha2-256",) and k.compression_c2s == ("none",)


def test_host_key_algorithms_map_to_key_types() -> None:
    assert ssh_mod.key_type_of("rsa-sha2-512") == "ssh-rsa"
    assert ssh_mod.key_type_of("ssh-ed25519") == "ssh-ed25519"
    assert ssh_mod.key_type_of("rsa-sha2-256-cert-v01@openssh.com") == "ssh-rsa-cert-v01@openssh.com"
