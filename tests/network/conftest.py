"""Fixtures for the endpoint-prober tests: real TLS/SSH servers on free loopback ports.

A component the tests need (deno, openssl, sshd, ssh-keygen) that is missing skips the
test locally and fails it in CI (CI=true): .ci/run installs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import netservers
import pytest
from netservers import CertFiles, Missing, SshdInstance, need


@pytest.fixture(scope="session")
def net_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("net")


@pytest.fixture(scope="session")
def rsa_certs(net_tmp: Path) -> CertFiles:
    return netservers.make_certificates(net_tmp / "rsa", "rsa2048")


@pytest.fixture(scope="session")
def ecdsa_certs(net_tmp: Path) -> CertFiles:
    return netservers.make_certificates(net_tmp / "ecdsa", "ecdsa384")


@pytest.fixture(scope="module")
def deno_port(net_tmp: Path, rsa_certs: CertFiles) -> Iterator[int]:
    """Deno.serve (rustls) with the RSA-2048 certificate: a PQ-capable TLS server."""
    try:
        with netservers.deno_server(net_tmp / "deno", rsa_certs) as ports:
            yield ports[0]
    except Missing:
        need("deno", "npm install -g deno")


@pytest.fixture(scope="module")
def openssl_rsa_port(net_tmp: Path, rsa_certs: CertFiles) -> Iterator[int]:
    """openssl s_server, RSA-2048, TLS 1.2 + 1.3, explicit groups and suites in server order."""
    try:
        with netservers.openssl_server(
            net_tmp / "ossl-rsa",
            rsa_certs,
            groups="X25519:P-256:P-384",
            cipher="ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256:AES128-SHA",
            ciphersuites="TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256",
        ) as port:
            yield port
    except Missing:
        need("openssl", "apt-get install openssl")


@pytest.fixture(scope="module")
def openssl_ecdsa_port(net_tmp: Path, ecdsa_certs: CertFiles) -> Iterator[int]:
    """openssl s_server, ECDSA P-384 leaf under an RSA CA (chain of two), TLS 1.2 + 1.3."""
    try:
        with netservers.openssl_server(
            net_tmp / "ossl-ec",
            ecdsa_certs,
            groups="P-384:X25519",
            cipher="ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305",
            ciphersuites="TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384",
        ) as port:
            yield port
    except Missing:
        need("openssl", "apt-get install openssl")


@pytest.fixture(scope="module")
def openssl_tls12_port(net_tmp: Path, rsa_certs: CertFiles) -> Iterator[int]:
    """openssl s_server limited to TLS 1.2, with DHE and ECDHE suites."""
    try:
        with netservers.openssl_server(
            net_tmp / "ossl-12",
            rsa_certs,
            groups="P-256:P-384",
            cipher="ECDHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384",
            ciphersuites="TLS_AES_128_GCM_SHA256",
            extra=["-no_tls1_3"],
        ) as port:
            yield port
    except Missing:
        need("openssl", "apt-get install openssl")


SSHD_KEX = "sntrup761x25519-sha512@openssh.com,curve25519-sha256,ecdh-sha2-nistp256,diffie-hellman-group-exchange-sha256"
SSHD_HOSTKEYS = "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256"


@pytest.fixture(scope="module")
def sshd(net_tmp: Path) -> Iterator[SshdInstance]:
    """OpenSSH sshd with a PQ hybrid KEX first and three host keys (RSA, ECDSA, Ed25519)."""
    try:
        with netservers.sshd_server(net_tmp / "sshd", kex=SSHD_KEX, host_key_algorithms=SSHD_HOSTKEYS) as inst:
            yield inst
    except Missing as exc:
        need(str(exc), "apt-get install openssh-server")


@pytest.fixture(scope="module")
def sshd_gex_only(net_tmp: Path) -> Iterator[SshdInstance]:
    """sshd whose only KEX is Diffie-Hellman group exchange (RFC 4419)."""
    try:
        with netservers.sshd_server(
            net_tmp / "sshd-gex", kex="diffie-hellman-group-exchange-sha256", host_key_algorithms="rsa-sha2-256,ssh-ed25519"
        ) as inst:
            yield inst
    except Missing as exc:
        need(str(exc), "apt-get install openssh-server")
