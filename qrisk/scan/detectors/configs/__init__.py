"""Detectors for protocol configurations: web servers and proxies (nginx, Apache httpd, HAProxy,
Envoy/Istio), OpenSSL's own configuration, OpenSSH, IPsec (strongSwan, libreswan), the Java
runtime's security properties and mail servers (Postfix, Dovecot).

Each reports the protocol versions, cipher-suite algorithms (key exchange, authentication,
cipher, MAC), key-exchange groups and signature algorithms a configuration enables, with the
line that enables them. Hybrid post-quantum groups and key exchanges (X25519MLKEM768,
mlkem768x25519-sha256, sntrup761x25519-sha512, ke1_mlkem768) are reported by name and resolve
to quantum-safe catalog entries.
"""

from __future__ import annotations

from qrisk.scan.detectors.base import Detector
from qrisk.scan.detectors.configs import (
    apache,
    envoy,
    haproxy,
    ipsec,
    java_security,
    mail,
    nginx,
    openssl_cnf,
    ssh,
)

DETECTORS: list[type[Detector]] = [
    *nginx.DETECTORS,
    *apache.DETECTORS,
    *haproxy.DETECTORS,
    *openssl_cnf.DETECTORS,
    *ssh.DETECTORS,
    *ipsec.DETECTORS,
    *java_security.DETECTORS,
    *mail.DETECTORS,
    *envoy.DETECTORS,
]

__all__ = ["DETECTORS"]
