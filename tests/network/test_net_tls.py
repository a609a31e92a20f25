"""The TLS prober against real servers on 127.0.0.1: deno (rustls, X25519MLKEM768) and
``openssl s_server`` with RSA and ECDSA certificates, run with explicit groups and suites."""

from __future__ import annotations

from pathlib import Path

import pytest
from netservers import CertFiles

from qrisk.model import AssetKind, QuantumStatus
from qrisk.scan.detectors.base import Finding
from qrisk.scan.detectors.certificates import CertificateDetector
from qrisk.scan.engine import asset_from_finding
from qrisk.scan.network import probe
from qrisk.scan.network import tls as tls_mod
from qrisk.scan.network.probe import EndpointResult, KeyExchangeClass

# The budget for a full profile (versions, all groups, suites, chain): counted, not timed.
MAX_ROUND_TRIPS = 40


def _probe(port: int, suffix: str = "") -> EndpointResult:
    [res] = probe.probe_endpoints([f"127.0.0.1:{port}{suffix}"], timeout_s=5)
    return res


def _of(res: EndpointResult, rule: str) -> list[Finding]:
    return [f for f in res.findings if f.rule_id == rule]


def _groups(res: EndpointResult) -> list[str]:
    return [f.algorithm for f in _of(res, probe.RULE_TLS_GROUP)]


def _file_certificates(path: Path) -> list[Finding]:
    return [f for f in CertificateDetector().detect(path.name, path.read_bytes()) if isinstance(f, Finding)]


def _profile(res: EndpointResult) -> tls_mod.TlsProfile:
    assert isinstance(res.profile, tls_mod.TlsProfile)
    return res.profile


# --------------------------------------------------------------------------- deno (PQ)


def test_deno_negotiates_x25519mlkem768_and_is_quantum_safe(deno_port: int) -> None:
    res = _probe(deno_port)
    assert res.error is None, res.error
    prof = _profile(res)
    assert tls_mod.TLS13 in prof.versions
    groups = {r.group.name: r for r in prof.groups}
    assert "X25519MLKEM768" in groups
    pq = groups["X25519MLKEM768"]
    assert pq.rank == 1, "X25519MLKEM768 must be the group the server picks first"
    assert pq.key_share_confirmed, "a valid ML-KEM-768 ‖ X25519 share must get a 1120-byte server share"
    assert prof.modern_group == 0x11EC
    assert "x25519" in groups  # classical fallback still accepted
    assert res.key_exchange is KeyExchangeClass.SAFE_HYBRID
    assert _groups(res)[0] == "X25519MLKEM768"
    [proto] = _of(res, probe.RULE_TLS_PROTOCOL)
    assert proto.kind is AssetKind.PROTOCOL and proto.algorithm == "TLS" and proto.version == "1.3"
    assert any("quantum-safe (hybrid)" in n for n in proto.notes)
    assert res.round_trips <= MAX_ROUND_TRIPS


def test_deno_findings_resolve_to_quantum_statuses(deno_port: int) -> None:
    res = _probe(deno_port)
    statuses = {
        f.algorithm: asset_from_finding(f, res.location, "tls", None).quantum_status
        for f in _of(res, probe.RULE_TLS_GROUP)
    }
    assert statuses["X25519MLKEM768"] is QuantumStatus.SAFE
    assert statuses["x25519"] is QuantumStatus.BROKEN


def test_endpoint_certificate_merges_with_the_same_certificate_in_a_file(deno_port: int, rsa_certs: CertFiles) -> None:
    res = _probe(deno_port)
    [cert] = _of(res, probe.RULE_TLS_CERT)
    [from_file] = _file_certificates(rsa_certs.cert)
    assert cert.kind is AssetKind.CERTIFICATE
    assert (cert.algorithm, cert.key_size) == ("RSA", 2048)
    assert cert.fingerprint_sha256 == from_file.fingerprint_sha256
    a = asset_from_finding(cert, res.location, "tls", None)
    b = asset_from_finding(from_file, "certs/rsa.crt", "x509", None)
    assert a.asset_id == b.asset_id  # one asset, two occurrences
    assert a.occurrences[0].location == f"tls://127.0.0.1:{deno_port}"
    assert cert.certificate is not None and cert.certificate.signature_algorithm == "RSA"
    assert any(n.startswith("valid until") for n in cert.notes)


# --------------------------------------------------------------------------- openssl s_server


def test_openssl_rsa_server_profile(openssl_rsa_port: int, rsa_certs: CertFiles) -> None:
    res = _probe(openssl_rsa_port)
    assert res.error is None, res.error
    prof = _profile(res)
    assert prof.versions == (tls_mod.TLS13, tls_mod.TLS12)
    assert [r.group.name for r in prof.groups] == ["x25519", "secp256r1", "secp384r1"]
    assert prof.server_orders_groups is True
    assert not any(r.group.kind in tls_mod.PQ_KINDS for r in prof.groups)
    assert res.key_exchange is KeyExchangeClass.VULNERABLE
    suites13 = [r.suite.name for r in prof.suites if r.suite.tls13]
    suites12 = [r.suite.name for r in prof.suites if not r.suite.tls13]
    assert suites13 == ["TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256"]
    assert suites12 == [
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
    ]
    assert prof.server_orders_suites is True
    [rsa_kx] = _of(res, probe.RULE_TLS_RSA_KX)
    assert (rsa_kx.algorithm, rsa_kx.key_size) == ("RSA", 2048)
    assert {(f.algorithm, f.mode) for f in _of(res, probe.RULE_TLS_CIPHER)} == {
        ("AES-256", "GCM"), ("AES-128", "GCM"), ("AES-128", "CBC")}
    assert [f.algorithm for f in _of(res, probe.RULE_TLS_MAC)] == ["HMAC-SHA1"]
    [auth] = _of(res, probe.RULE_TLS_AUTH)
    assert (auth.algorithm, auth.key_size) == ("RSA", 2048)
    [cert] = _of(res, probe.RULE_TLS_CERT)
    [from_file] = _file_certificates(rsa_certs.cert)
    assert cert.fingerprint_sha256 == from_file.fingerprint_sha256
    assert res.round_trips <= MAX_ROUND_TRIPS


def test_openssl_ecdsa_server_profile_and_chain(openssl_ecdsa_port: int, ecdsa_certs: CertFiles) -> None:
    res = _probe(openssl_ecdsa_port)
    assert res.error is None, res.error
    prof = _profile(res)
    assert prof.versions == (tls_mod.TLS13, tls_mod.TLS12)
    assert [r.group.name for r in prof.groups] == ["secp384r1", "x25519"]
    assert res.key_exchange is KeyExchangeClass.VULNERABLE
    assert [r.suite.name for r in prof.suites] == [
        "TLS_CHACHA20_POLY1305_SHA256",
        "TLS_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ]
    assert _of(res, probe.RULE_TLS_RSA_KX) == []
    [auth] = _of(res, probe.RULE_TLS_AUTH)
    assert (auth.algorithm, auth.key_size, auth.curve) == ("ECDSA", 384, "secp384r1")
    leaf, ca = _of(res, probe.RULE_TLS_CERT)
    assert (leaf.algorithm, leaf.key_size) == ("ECDSA-P384", 384)
    assert leaf.certificate is not None and leaf.certificate.signature_algorithm == "RSA"
    assert leaf.certificate.signature_hash == "SHA-384"
    assert leaf.notes[0].startswith("leaf presented by")
    assert (ca.algorithm, ca.key_size) == ("RSA", 2048)
    assert ca.certificate is not None and ca.certificate.is_ca
    assert ca.notes[0].startswith("chain certificate 1 presented by")
    [leaf_file] = _file_certificates(ecdsa_certs.cert)
    [ca_file] = _file_certificates(ecdsa_certs.chain)  # type: ignore[arg-type]
    assert (leaf.fingerprint_sha256, ca.fingerprint_sha256) == (leaf_file.fingerprint_sha256, ca_file.fingerprint_sha256)
    assert leaf.certificate.not_after == leaf_file.certificate.not_after  # type: ignore[union-attr]
    assert res.round_trips <= MAX_ROUND_TRIPS


def test_openssl_tls12_only_server(openssl_tls12_port: int) -> None:
    res = _probe(openssl_tls12_port)
    assert res.error is None, res.error
    prof = _profile(res)
    assert prof.versions == (tls_mod.TLS12,)
    # No TLS 1.3: the ECDHE curves come from ServerKeyExchange (RFC 8422 §5.4).
    assert [r.group.name for r in prof.groups] == ["secp256r1", "secp384r1"]
    assert [r.suite.name for r in prof.suites] == [
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"]
    [dhe] = _of(res, probe.RULE_TLS_DHE)
    assert dhe.algorithm == "DH" and dhe.key_size is not None and dhe.key_size >= 2048
    assert res.key_exchange is KeyExchangeClass.VULNERABLE
    [cert] = _of(res, probe.RULE_TLS_CERT)
    assert cert.algorithm == "RSA"


def test_probing_over_ipv6(net_tmp: Path, rsa_certs: CertFiles) -> None:
    import socket

    import netservers

    try:
        socket.socket(socket.AF_INET6).bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    try:
        ctx = netservers.openssl_server(
            net_tmp / "ossl-v6", rsa_certs, groups="X25519", cipher="ECDHE-RSA-AES128-GCM-SHA256",
            ciphersuites="TLS_AES_128_GCM_SHA256", host="::1",
        )
        with ctx as port:
            [res] = probe.probe_endpoints([f"[::1]:{port}"], timeout_s=5)
    except netservers.Missing:
        netservers.need("openssl", "apt-get install openssl")
        return
    assert res.error is None, res.error
    assert res.location == f"tls://[::1]:{port}"
    assert _groups(res) == ["x25519"]
    assert res.address == "::1"


def test_deprecated_versions_are_reported(net_tmp: Path, rsa_certs: CertFiles) -> None:
    import netservers

    try:
        with netservers.openssl_server(
            net_tmp / "ossl-legacy", rsa_certs, groups="P-256", cipher="ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES128-GCM-SHA256",
            ciphersuites="TLS_AES_128_GCM_SHA256", legacy=True,
        ) as port:
            res = _probe(port)
    except netservers.Missing:
        netservers.need("openssl", "apt-get install openssl")
        return
    assert res.error is None, res.error
    prof = _profile(res)
    assert prof.versions == (tls_mod.TLS13, tls_mod.TLS12, tls_mod.TLS11, tls_mod.TLS10)
    [proto] = _of(res, probe.RULE_TLS_PROTOCOL)
    assert "deprecated versions accepted: TLS 1.1, TLS 1.0 (RFC 8996)" in proto.notes
    assert {f.algorithm for f in _of(res, probe.RULE_TLS_MAC)} == {"HMAC-SHA1"}
