"""Mutual TLS: who gets through the handshake, and which identity the KME sees."""

from __future__ import annotations

import os
import socket
import ssl
import warnings

import pytest
from kmehelp import KmePki, sae

from qrisk.qkd.kme_pki import CertPaths
from qrisk.qkd.kme_server import KmeCluster


def _handshake(url: str, pki: KmePki, creds: CertPaths | None, version: ssl.TLSVersion) -> bytes:
    """Open a TLS connection with at most ``version``, send one request, return what comes back."""
    host, port = url.removeprefix("https://").rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    ctx.maximum_version = version
    if creds is not None:
        ctx.load_cert_chain(str(creds.cert), str(creds.key))
    with socket.create_connection((host, int(port)), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname=host) as tls:
        tls.sendall(b"GET /api/v1/keys/SAE_B/status HTTP/1.1\r\nHost: kme\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
        return data


@pytest.fixture
def cluster(strict_kmes: tuple[KmeCluster, KmePki]) -> tuple[KmeCluster, KmePki]:
    return strict_kmes


def test_a_registered_sae_gets_through_on_tls12_and_tls13(cluster: tuple[KmeCluster, KmePki]) -> None:
    kmes, pki = cluster
    for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        reply = _handshake(kmes.urls["KME_A"], pki, pki.sae("SAE_A"), version)
        assert reply.startswith(b"HTTP/1.1 200"), (version, reply[:80])


@pytest.mark.parametrize("who", ["no certificate", "another CA", "server certificate"])
def test_the_handshake_refuses_clients_the_kme_cannot_authenticate(
    cluster: tuple[KmeCluster, KmePki], who: str,
) -> None:
    kmes, pki = cluster
    creds = {"no certificate": None, "another CA": pki.rogue_sae_a,
             "server certificate": pki.demo.kmes["KME_B"]}[who]
    # TLS 1.2: the server's alert ends the handshake itself.
    with pytest.raises(ssl.SSLError):
        _handshake(kmes.urls["KME_A"], pki, creds, ssl.TLSVersion.TLSv1_2)
    # TLS 1.3: the client finishes first; the server's alert arrives instead of any HTTP answer.
    try:
        reply = _handshake(kmes.urls["KME_A"], pki, creds, ssl.TLSVersion.TLSv1_3)
    except (ssl.SSLError, ConnectionError):
        reply = b""
    assert reply == b""


def test_tls_below_1_2_is_refused(cluster: tuple[KmeCluster, KmePki]) -> None:
    kmes, pki = cluster
    try:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pytest.skip("this OpenSSL cannot even offer TLS 1.1")
    ctx.load_verify_locations(str(pki.ca))
    ctx.load_cert_chain(str(pki.sae("SAE_A").cert), str(pki.sae("SAE_A").key))
    host, port = kmes.urls["KME_A"].removeprefix("https://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as raw, pytest.raises(ssl.SSLError):
        ctx.wrap_socket(raw, server_hostname=host)


def test_the_kme_identifies_the_caller_by_its_certificate(cluster: tuple[KmeCluster, KmePki]) -> None:
    kmes, pki = cluster
    # Same URL, different certificates: SAE_A is served, SAE_B (valid, same CA) is not SAE_A.
    assert sae(kmes, "KME_A", pki, "SAE_A").get("/api/v1/keys/SAE_B/status").status == 200
    r = sae(kmes, "KME_A", pki, "SAE_B").get("/api/v1/keys/SAE_B/status")
    assert r.status == 401 and "SAE_B" in r.message


def test_the_demo_pki_keys_are_private(pki: KmePki) -> None:
    for paths in [pki.demo.ca, *pki.demo.kmes.values(), *pki.demo.saes.values()]:
        assert paths.cert.is_file()
        assert os.stat(paths.key).st_mode & 0o077 == 0, paths.key
