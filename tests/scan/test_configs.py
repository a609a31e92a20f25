"""Protocol-configuration detectors (nginx, Apache, HAProxy, openssl.cnf, OpenSSH, IPsec, Java,
Postfix/Dovecot, Envoy), the cipher-suite tables behind them, and the accuracy of every detector
of this family on the labelled corpus ``tests/corpus/config``."""

from __future__ import annotations

import csv
import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from keyfactory import require_tool as require_binary

from qrisk import catalog
from qrisk.model import AssetKind, QuantumStatus, Usage
from qrisk.scan.detectors import builtin_detectors
from qrisk.scan.detectors.base import Detector, FileNote, Finding
from qrisk.scan.detectors.configs import DETECTORS as CONFIG_DETECTORS
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs.apache import ApacheDetector, ssl_protocol
from qrisk.scan.detectors.configs.envoy import EnvoyDetector
from qrisk.scan.detectors.configs.haproxy import HaproxyDetector
from qrisk.scan.detectors.configs.ipsec import IpsecDetector
from qrisk.scan.detectors.configs.java_security import JavaSecurityDetector
from qrisk.scan.detectors.configs.mail import DovecotDetector, PostfixDetector, postfix_protocols
from qrisk.scan.detectors.configs.nginx import NginxDetector
from qrisk.scan.detectors.configs.openssl_cnf import OpenSslConfDetector
from qrisk.scan.detectors.configs.ssh import SshConfigDetector
from qrisk.scan.detectors.dependencies import DETECTORS as DEPENDENCY_DETECTORS
from qrisk.scan.detectors.iac import DETECTORS as IAC_DETECTORS
from qrisk.scan.detectors.keystores import DETECTORS as KEYSTORE_DETECTORS
from qrisk.scan.engine import ScanOptions, examine, run_scan
from qrisk.scan.prefilter import Prefilter
from qrisk.scan.walk import Root, WalkOptions, WalkResult, walk

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
CONFIG_CORPUS = CORPUS / "config"
CAUGHT = "could not be read"
MINE: tuple[type[Detector], ...] = (*CONFIG_DETECTORS, *DEPENDENCY_DETECTORS, *IAC_DETECTORS, *KEYSTORE_DETECTORS)
CAT = catalog.algorithms()
# Corpus labels that are deliberately not catalog names: IKE versions (no catalog entry yet) and
# a keystore entry whose algorithm the encryption hides.
NOT_IN_CATALOG = frozenset({"IKEv1", "IKEv2", "unknown"})


def run(detector: Detector, path: str, text: str | bytes) -> list[Finding]:
    data = text.encode() if isinstance(text, str) else text
    assert detector.wants(path, data[:8192]), path
    out = list(detector.detect(path, data))
    assert all(isinstance(o, Finding | FileNote) for o in out)
    assert not [o for o in out if isinstance(o, FileNote) and CAUGHT in o.detail], out
    return [o for o in out if isinstance(o, Finding)]


def canonical(name: str) -> str:
    entry = CAT.lookup(name)
    return entry.name if entry.name != "unknown" else name


def versions(f: Finding) -> list[str]:
    """The protocol versions a protocol finding enables (``TLS 1.2``...), from its notes."""
    for n in f.notes:
        if n.startswith("versions: "):
            return n.removeprefix("versions: ").split(", ")
    return [f"{f.algorithm} {f.version}"]


def summary(findings: Iterable[Finding]) -> set[tuple[int | None, str, int | None]]:
    """(line, canonical algorithm, key size); protocols as one entry per version ('TLS 1.2')."""
    out = set()
    for f in findings:
        if f.kind is AssetKind.PROTOCOL:
            out.update((f.line, v, None) for v in versions(f))
        else:
            out.add((f.line, canonical(f.algorithm), f.key_size))
    return out


def protocols(findings: Iterable[Finding]) -> dict[int | None, set[str]]:
    out: dict[int | None, set[str]] = {}
    for f in findings:
        if f.kind is AssetKind.PROTOCOL:
            out.setdefault(f.line, set()).update(versions(f))
    return out


# --------------------------------------------------------------------------- the tables


def _table_names() -> Iterable[tuple[str, str]]:
    t = cs.tables()
    for s in t.all_suites:
        for c in s.components:
            yield s.iana, c.algorithm
    for key, comps in t.keywords.items():
        for c in comps:
            yield key, c.algorithm
    for key, comp in t.ipsec.items():
        yield key, comp.algorithm
    for key, alg in t.ipsec_auth.items():
        yield key, alg
    for _pattern, _protos, groups in t.policies:
        for g in groups:
            yield "policy", g


@pytest.mark.parametrize("where,name", sorted(set(_table_names())))
def test_every_algorithm_in_the_tables_is_in_the_catalog(where: str, name: str) -> None:
    assert CAT.lookup(name).name != "unknown", f"{where}: {name} does not resolve"


def test_suite_table_has_unique_codes_and_names() -> None:
    suites = cs.tables().all_suites
    codes = [s.code for s in suites]
    assert len(codes) == len(set(codes))
    assert len(suites) >= 170
    assert all(re.fullmatch(r"0x[0-9A-F]{4}", c) for c in codes)


def test_suite_table_agrees_with_openssl() -> None:
    """The local OpenSSL's suites have the same code and IANA/OpenSSL names in our table (another
    OpenSSL build may list a handful of suites the table does not know yet: at most five)."""
    openssl = require_binary("openssl")
    out = subprocess.run(
        [openssl, "ciphers", "-stdname", "-V", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"],
        capture_output=True, text=True, check=True,
    ).stdout
    seen, unknown = 0, []
    for line in out.splitlines():
        m = re.match(r"\s*0x(..),0x(..) - (\S+)\s+- (\S+)\s", line)
        if not m:
            continue
        code, iana, name = f"0x{m.group(1)}{m.group(2)}", m.group(3), m.group(4)
        ours = cs.suite(iana)
        if ours is None:
            unknown.append(iana)
            continue
        assert ours.code == code, iana
        assert cs.suite(name) is ours, name
        seen += 1
    assert seen >= 100 and len(unknown) <= 5, unknown


@pytest.mark.parametrize(
    "token,expected",
    [
        ("TLSv1.2", "TLSv1.2"), ("TLSv1", "TLSv1.0"), ("TLSv1_3", "TLSv1.3"), ("TLS1_2", "TLSv1.2"),
        ("TLS_1_2", "TLSv1.2"), ("VersionTLS12", "TLSv1.2"), ("TLSV1_3", "TLSv1.3"), ("tls1.1", "TLSv1.1"),
        ("SSLv3", "SSLv3"), ("SSLv2", "SSLv2"), ("TLSv2", None), ("TLS_AUTO", None), ("1.2", None),
        ("TLSv1.4", None), ("", None), ("DTLSv1.2", None),
    ],
)
def test_tls_version_spellings(token: str, expected: str | None) -> None:
    assert cs.tls_version(token) == expected


def test_bare_versions_only_when_asked() -> None:
    assert cs.tls_version("1.2", bare=True) == "TLSv1.2"
    assert cs.tls_version("1.0", bare=True) == "TLSv1.0"
    assert cs.protocol_range("TLSv1.2") == ["TLSv1.2", "TLSv1.3"]
    assert cs.protocol_range("TLSv1.0", "TLSv1.1") == ["TLSv1.0", "TLSv1.1"]


def _names(comps: Iterable[cs.Component]) -> set[str]:
    return {canonical(c.algorithm) for c in comps}


def test_cipher_suite_expansion_openssl_and_iana_names() -> None:
    comps = cs.expand_cipher_list("ECDHE-RSA-AES128-GCM-SHA256")
    by_usage = {(c.usage, canonical(c.algorithm), c.key_size) for c in comps}
    assert by_usage == {
        (Usage.KEY_EXCHANGE, "ECDH", None),
        (Usage.AUTHENTICATION, "RSA", None),
        (Usage.ENCRYPTION, "AES", 128),
        (Usage.KEY_DERIVATION, "SHA-256", None),
    }
    assert {(c.usage, c.algorithm, c.key_size) for c in cs.expand_cipher_list("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")} == {
        (c.usage, c.algorithm, c.key_size) for c in comps
    }
    cbc = _names(cs.expand_cipher_list("DES-CBC3-SHA"))
    assert cbc == {"RSA", "3DES", "HMAC-SHA1"}
    assert _names(cs.expand_cipher_list("TLS_AES_256_GCM_SHA384")) == {"AES", "SHA-384"}


def test_cipher_strings_exclusions_and_sets_enable_nothing() -> None:
    assert cs.expand_cipher_list("HIGH:!aNULL:!MD5:!RC4:-3DES:@STRENGTH:DEFAULT@SECLEVEL=2") == []
    assert cs.expand_cipher_list("PROFILE=SYSTEM") == []
    assert _names(cs.expand_cipher_list("EECDH+AESGCM:EDH+CHACHA20:+AES256")) == {"ECDH", "AES", "DH", "ChaCha20-Poly1305"}


def test_groups_and_signature_algorithms() -> None:
    groups = _names(cs.expand_groups("?*X25519MLKEM768 / ?*X25519:?secp256r1:-ffdhe2048:DEFAULT:notagroup"))
    assert groups == {"X25519MLKEM768", "X25519", "ECDH-P256"}
    assert _names(cs.expand_sigalgs("ECDSA+SHA256:RSA-PSS+SHA256:rsa_pss_rsae_sha384:ed25519")) == {"ECDSA", "RSA", "Ed25519"}


def test_ipsec_proposals() -> None:
    comps = cs.expand_ipsec_proposals("aes256gcm16-prfsha384-ecp384-ke1_mlkem768, aes128-sha1-modp1024!")
    assert {(canonical(c.algorithm), c.key_size, c.usage) for c in comps} == {
        ("AES", 256, Usage.ENCRYPTION),
        ("HMAC-SHA384", None, Usage.KEY_DERIVATION),
        ("ECDH-P384", None, Usage.KEY_EXCHANGE),
        ("ML-KEM-768", None, Usage.KEY_EXCHANGE),
        ("AES", 128, Usage.ENCRYPTION),
        ("HMAC-SHA1", None, Usage.AUTHENTICATION),
        ("MODP-1024", None, Usage.KEY_EXCHANGE),
    }
    assert _names(cs.expand_ipsec_proposals("aes_gcm256-sha2_512;dh20+dh31")) == {"AES", "HMAC-SHA512", "ECDH-P384", "X25519"}
    auth = cs.ipsec_auth("ecdsa-384")
    assert auth is not None and (auth.algorithm, auth.key_size) == ("ECDSA", 384)
    assert cs.ipsec_auth("psk") is None


def test_named_tls_policies() -> None:
    assert cs.tls_policy("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09") == (
        ["TLSv1.2", "TLSv1.3"], ["X25519MLKEM768", "SecP256r1MLKEM768", "SecP384r1MLKEM1024"]
    )
    assert cs.tls_policy("ELBSecurityPolicy-2016-08") == (["TLSv1.0", "TLSv1.1", "TLSv1.2"], [])
    assert cs.tls_policy("TLSv1.2_2021") == (["TLSv1.2", "TLSv1.3"], [])
    assert cs.tls_policy("NotAPolicy") is None


@pytest.mark.parametrize(
    "provider,value,expected",
    [
        ("aws_kms", "RSA_4096", ("RSA", 4096, None)),
        ("aws_kms", "ECC_NIST_P521", ("EC", 521, "P-521")),
        ("aws_kms", "ML_DSA_87", ("ML-DSA-87", None, None)),
        ("aws_certificate", "EC_prime256v1", ("ECDSA", 256, "P-256")),
        ("gcp_kms", "RSA_DECRYPT_OAEP_3072_SHA256", ("RSA", 3072, None)),
        ("gcp_kms", "PQ_SIGN_SLH_DSA_SHA2_128S", ("SLH-DSA-SHA2-128s", None, None)),
        ("gcp_kms", "ML_KEM_768", ("ML-KEM-768", None, None)),
        ("azure_curve", "P-384", (None, 384, "P-384")),
    ],
)
def test_cloud_key_specs(provider: str, value: str, expected: tuple[str | None, int | None, str | None]) -> None:
    key = cs.cloud_key(provider, value)
    assert key is not None
    assert (key.algorithm, key.key_size, key.curve) == expected
    if key.algorithm and key.algorithm != "EC":
        assert CAT.lookup(key.algorithm).name != "unknown"


# --------------------------------------------------------------------------- nginx


def test_nginx_blank_line_before_ssl_protocols_still_enables_tls13() -> None:
    """postshor reports "TLS 1.3 not enabled" when a blank line precedes ssl_protocols."""
    conf = "server {\n    listen 443 ssl;\n\n\n    ssl_protocols\n        TLSv1.2\n\n        TLSv1.3;\n}\n"
    found = run(NginxDetector(), "nginx.conf", conf)
    assert protocols(found) == {6: {"TLS 1.2"}, 8: {"TLS 1.3"}}


def test_nginx_directives_comments_and_quotes() -> None:
    conf = (
        "# ssl_protocols SSLv3;\n"
        "ssl_protocols TLSv1.2 TLSv1.3; # ssl_protocols TLSv1;\n"
        "ssl_ciphers 'ECDHE-RSA-AES256-GCM-SHA384:\n"
        "             DHE-RSA-AES128-SHA';\n"
        'ssl_ecdh_curve "X25519MLKEM768:X25519";\n'
        "ssl_conf_command Groups secp384r1;\n"
        "ssl_conf_command MinProtocol TLSv1.2;\n"
        "grpc_ssl_protocols TLSv1.3;\n"
        "ssl_protocols = TLSv1;\n"
    )
    found = run(NginxDetector(), "conf.d/site.conf", conf)
    assert protocols(found) == {2: {"TLS 1.2", "TLS 1.3"}, 7: {"TLS 1.2", "TLS 1.3"}, 8: {"TLS 1.3"}}
    s = summary(found)
    assert (3, "AES", 256) in s and (3, "ECDH", None) in s and (3, "SHA-384", None) in s
    assert (4, "DH", None) in s and (4, "AES", 128) in s and (4, "HMAC-SHA1", None) in s
    assert {(5, "X25519MLKEM768", None), (5, "X25519", None), (6, "ECDH-P384", None)} <= s
    assert not [f for f in found if f.line == 1]


def test_nginx_wants_by_name() -> None:
    d = NginxDetector()
    assert d.wants("etc/nginx/nginx.conf", b"")
    assert d.wants("etc/nginx/sites-enabled/default", b"")
    assert not d.wants("src/app.py", b"")


# --------------------------------------------------------------------------- Apache


@pytest.mark.parametrize(
    "args,expected",
    [
        (["all", "-SSLv3"], ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
        (["all", "-SSLv3", "-TLSv1", "-TLSv1.1"], ["TLSv1.2", "TLSv1.3"]),
        (["TLSv1.2"], ["TLSv1.2"]),
        (["+TLSv1.2", "+TLSv1.3"], ["TLSv1.2", "TLSv1.3"]),
        (["-all", "+TLSv1.3"], ["TLSv1.3"]),
    ],
)
def test_apache_ssl_protocol_arithmetic(args: list[str], expected: list[str]) -> None:
    assert ssl_protocol(args) == expected


def test_apache_directives() -> None:
    conf = (
        "<VirtualHost *:443>\n"
        "  sslprotocol all -SSLv3 \\\n"
        "     -TLSv1 -TLSv1.1\n"
        "  SSLCipherSuite TLSv1.3 TLS_AES_128_GCM_SHA256\n"
        "  SSLCipherSuite SSL ECDHE-ECDSA-AES256-SHA384\n"
        "  # SSLCipherSuite RC4-MD5\n"
        "  SSLOpenSSLConfCmd Groups X25519MLKEM768:x25519\n"
        "  SSLOpenSSLConfCmd SignatureAlgorithms ECDSA+SHA384\n"
        "</VirtualHost>\n"
    )
    found = run(ApacheDetector(), "httpd.conf", conf)
    assert protocols(found) == {2: {"TLS 1.2", "TLS 1.3"}}
    s = summary(found)
    assert {(4, "AES", 128), (4, "SHA-256", None), (5, "ECDSA", None), (5, "HMAC-SHA384", None)} <= s
    assert {(7, "X25519MLKEM768", None), (8, "ECDSA", None)} <= s
    assert not [f for f in found if f.line == 6]


# --------------------------------------------------------------------------- HAProxy


def test_haproxy_options_and_bind_lines() -> None:
    cfg = (
        "global\n"
        "  ssl-default-bind-options ssl-min-ver TLSv1.1 ssl-max-ver TLSv1.2 no-tlsv11\n"
        "  ssl-default-server-options no-sslv3 no-tlsv10\n"
        "frontend f\n"
        "  bind :443 ssl crt /x.pem ciphers ECDHE-RSA-AES128-SHA ecdhe prime256v1 force-tlsv13\n"
        "  # bind :8443 ssl ciphers RC4-MD5\n"
    )
    found = run(HaproxyDetector(), "haproxy/haproxy.cfg", cfg)
    assert protocols(found) == {2: {"TLS 1.2"}, 5: {"TLS 1.3"}}
    assert {(5, "ECDH-P256", None), (5, "AES", 128), (5, "HMAC-SHA1", None)} <= summary(found)
    assert not [f for f in found if f.line in (3, 6)]


# --------------------------------------------------------------------------- openssl.cnf


def test_openssl_cnf_default_md_sha1_and_min_protocol_range() -> None:
    """Every peer scanner missed `default_md = sha1`."""
    cnf = (
        "[system_default_sect]\n"
        "MinProtocol = TLSv1.1\n"
        "MaxProtocol = TLSv1.2\n"
        "[ req ]\n"
        "default_md = sha1   # for an old appliance\n"
        "default_bits = 1024\n"
        "#default_md = md5\n"
        "[ ca ]\n"
        "default_md = default\n"
    )
    found = run(OpenSslConfDetector(), "ssl/openssl.cnf", cnf)
    assert protocols(found) == {2: {"TLS 1.1", "TLS 1.2"}}
    s = summary(found)
    assert (5, "SHA-1", None) in s
    assert (6, "RSA", 1024) in s
    assert not [f for f in found if f.line in (7, 9)]


def test_openssl_cnf_is_not_mysql() -> None:
    assert not OpenSslConfDetector().wants("etc/mysql/my.cnf", b"[mysqld]\n")
    assert OpenSslConfDetector().wants("etc/ssl/openssl.cnf", b"")


# --------------------------------------------------------------------------- OpenSSH


def test_sshd_kex_ciphers_macs_are_found() -> None:
    """Every peer scanner missed sshd's KexAlgorithms and Ciphers."""
    conf = (
        "KexAlgorithms sntrup761x25519-sha512@openssh.com,mlkem768x25519-sha256,ecdh-sha2-nistp256\n"
        "ciphers=aes256-ctr,chacha20-poly1305@openssh.com\n"
        "MACs ^hmac-sha2-256-etm@openssh.com\n"
        "HostKeyAlgorithms -ssh-rsa\n"
        "# Ciphers 3des-cbc\n"
        "Match Address 10.0.0.0/8\n"
        "  CASignatureAlgorithms ssh-ed25519,ecdsa-sha2-nistp384\n"
    )
    found = run(SshConfigDetector(), "etc/ssh/sshd_config", conf)
    s = summary(found)
    assert {(1, "sntrup761x25519-sha512", None), (1, "mlkem768x25519-sha256", None), (1, "ECDH-P256", None)} <= s
    assert {(2, "AES-256", 256), (2, "ChaCha20-Poly1305", 256), (3, "HMAC-SHA256", None)} <= s
    assert {(7, "Ed25519", None), (7, "ECDSA-P384", None)} <= s
    assert not [f for f in found if f.line in (4, 5)]


def test_ssh_wants_include_dirs() -> None:
    d = SshConfigDetector()
    assert d.wants("etc/ssh/sshd_config.d/50-cloud.conf", b"")
    assert d.wants("etc/ssh/ssh_config.d/10-x.conf", b"")
    assert d.wants("home/u/.ssh/config", b"")
    assert not d.wants("etc/ssh/moduli", b"")


# --------------------------------------------------------------------------- IPsec


def test_ipsec_strongswan_and_libreswan() -> None:
    conf = (
        "conn a\n"
        "  keyexchange=ikev1\n"
        "  ike=aes128-sha1-modp1536,aes256-sha256-ecp521!\n"
        "  esp=aes128gcm16-ecp256bp\n"
        "  leftauth=rsa-4096\n"
        "  # esp=des-md5\n"
        "conn b\n"
        "  ikev2=insist\n"
        "  ike=3des-md5;modp1024\n"
    )
    found = run(IpsecDetector(), "etc/ipsec.conf", conf)
    s = summary(found)
    assert protocols(found) == {2: {"IKEv1 1"}, 8: {"IKEv2 2"}}
    assert {(3, "MODP-1536", None), (3, "ECDH-P521", None), (3, "AES", 256), (4, "ECDH-brainpoolP256r1", None)} <= s
    assert (5, "RSA", 4096) in s
    assert {(9, "3DES", 168), (9, "HMAC-MD5", None), (9, "MODP-1024", None)} <= s
    assert not [f for f in found if f.line == 6]


# --------------------------------------------------------------------------- Java


def test_java_deny_lists_are_never_reported() -> None:
    text = (
        "jdk.tls.disabledAlgorithms=SSLv3, TLSv1, RC4, DES, MD5withRSA, \\\n"
        "    DH keySize < 1024, X25519MLKEM768\n"
        "jdk.certpath.disabledAlgorithms=MD2, MD5, SHA1 jdkCA & usage TLSServer\n"
        "jdk.tls.legacyAlgorithms=NULL, anon, RC4, DES, 3DES_EDE_CBC\n"
        "jdk.security.legacyAlgorithms=SHA1, RSA keySize < 2048\n"
    )
    assert run(JavaSecurityDetector(), "conf/security/java.security", text) == []


def test_java_settings_and_jvm_options() -> None:
    text = (
        "jdk.tls.namedGroups=x25519, \\\n"
        "  X25519MLKEM768\n"
        "! jdk.tls.namedGroups=x448\n"
        "https.protocols : TLSv1.3\n"
        "jdk.tls.server.SignatureSchemes=ed25519,rsa_pss_rsae_sha256\n"
    )
    found = run(JavaSecurityDetector(), "java.security", text)
    assert {(1, "X25519", None), (2, "X25519MLKEM768", None), (5, "Ed25519", None), (5, "RSA", None)} <= summary(found)
    assert protocols(found) == {4: {"TLS 1.3"}}
    opts = run(JavaSecurityDetector(), "jvm.options", "-Djdk.tls.client.protocols=TLSv1.2,TLSv1.3 -Xmx1g\n")
    assert protocols(opts) == {1: {"TLS 1.2", "TLS 1.3"}}


# --------------------------------------------------------------------------- mail


@pytest.mark.parametrize(
    "value,expected",
    [
        ("!SSLv2, !SSLv3", ["TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"]),
        ("!SSLv2 !SSLv3 !TLSv1 !TLSv1.1", ["TLSv1.2", "TLSv1.3"]),
        (">=TLSv1.2", ["TLSv1.2", "TLSv1.3"]),
        ("TLSv1.2, TLSv1.3", ["TLSv1.2", "TLSv1.3"]),
        ("<=TLSv1.1", ["TLSv1.0", "TLSv1.1"]),
        ("", []),
    ],
)
def test_postfix_protocol_lists(value: str, expected: list[str]) -> None:
    assert postfix_protocols(value) == expected


def test_postfix_main_and_master() -> None:
    main = (
        "smtpd_tls_mandatory_protocols = !SSLv2, !SSLv3,\n"
        "    !TLSv1\n"
        "smtpd_tls_exclude_ciphers = aNULL, RC4\n"
        "tls_eecdh_auto_curves = X25519MLKEM768 X25519\n"
        "lmtp_tls_fingerprint_digest = sha256\n"
    )
    found = run(PostfixDetector(), "etc/postfix/main.cf", main)
    assert 1 in protocols(found)
    assert {(4, "X25519MLKEM768", None), (5, "SHA-256", None)} <= summary(found)
    assert not [f for f in found if f.line == 3]
    master = "submission inet n - y - - smtpd\n  -o smtpd_tls_protocols=>=TLSv1.3\n"
    assert protocols(run(PostfixDetector(), "etc/postfix/master.cf", master)) == {2: {"TLS 1.3"}}


def test_dovecot() -> None:
    conf = "ssl_min_protocol = TLSv1.3\nssl_curve_list = X25519MLKEM768:P-384\n#ssl_cipher_list = RC4\n"
    found = run(DovecotDetector(), "etc/dovecot/conf.d/10-ssl.conf", conf)
    assert protocols(found) == {1: {"TLS 1.3"}}
    assert {(2, "X25519MLKEM768", None), (2, "ECDH-P384", None)} <= summary(found)


# --------------------------------------------------------------------------- Envoy / Istio


def test_envoy_json_and_istio() -> None:
    envoy = (
        '{"common_tls_context": {"tls_params": {\n'
        '  "tls_minimum_protocol_version": "TLSv1_3",\n'
        '  "ecdh_curves": ["X25519MLKEM768"]}}}\n'
    )
    found = run(EnvoyDetector(), "envoy.json", envoy)
    assert protocols(found) == {2: {"TLS 1.3"}}
    assert (3, "X25519MLKEM768", None) in summary(found)
    istio = "kind: DestinationRule\nspec:\n  trafficPolicy:\n    tls:\n      mode: SIMPLE\n      minProtocolVersion: TLSV1_2\n"
    assert protocols(run(EnvoyDetector(), "dr.yaml", istio)) == {6: {"TLS 1.2", "TLS 1.3"}}


# --------------------------------------------------------------------------- hybrid PQ is quantum-safe


def test_hybrid_pq_groups_and_kex_are_reported_quantum_safe(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text("ssl_ecdh_curve X25519MLKEM768:SecP256r1MLKEM768:X25519;\n")
    (tmp_path / "sshd_config").write_text(
        "KexAlgorithms mlkem768x25519-sha256,sntrup761x25519-sha512@openssh.com,curve25519-sha256\n"
    )
    (tmp_path / "swanctl.conf").write_text("connections { a { proposals = aes256-sha384-x25519-ke1_mlkem768 } }\n")
    inv = run_scan([str(tmp_path)], ScanOptions(detectors=lambda: [d() for d in CONFIG_DETECTORS], jobs=1))
    status = {a.algorithm: a.quantum_status for a in inv.assets if a.kind is AssetKind.ALGORITHM}
    for name in ("X25519MLKEM768", "SecP256r1MLKEM768", "mlkem768x25519-sha256", "sntrup761x25519-sha512", "ML-KEM-768"):
        assert status[name] is QuantumStatus.SAFE, name
    assert status["X25519"] is QuantumStatus.BROKEN


# --------------------------------------------------------------------------- cheapness


def test_detect_runs_only_on_keyword_hits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A wanted file without any of a detector's keywords is never parsed."""
    conf = tmp_path / "site.conf"
    conf.write_text("server {\n  listen 80;\n  root /srv/www;\n}\n" * 500)
    dets: list[Detector] = [d() for d in MINE]
    for d in dets:
        monkeypatch.setattr(d, "detect", lambda *_a: (_ for _ in ()).throw(AssertionError("parsed")))
    files = list(walk([Root(tmp_path)], WalkOptions(), WalkResult()))
    result = examine(files[0], dets, Prefilter(dets))
    assert not result.notes and not result.findings


def test_every_detector_declares_keywords_or_magic() -> None:
    for cls in MINE:
        d = cls()
        assert d.rules and all(r.startswith("QR-") for r in d.rules)
        assert d.keywords or d.handles_binary, d.id
        assert all(k == k.lower() for k in d.keywords), d.id


# --------------------------------------------------------------------------- fuzzing

_FRAGMENTS = [
    "ssl_protocols", "ssl_ciphers", "ssl_ecdh_curve", "ssl_conf_command", "SSLProtocol", "SSLCipherSuite",
    "SSLOpenSSLConfCmd", "KexAlgorithms", "Ciphers", "MACs", "HostKeyAlgorithms", "ike=", "esp=", "proposals =",
    "MinProtocol =", "Groups =", "default_md =", "default_bits =", "jdk.tls.namedGroups=", "-Djdk.tls.client.protocols=",
    "smtpd_tls_protocols =", "tls_high_cipherlist =", "ssl_min_protocol =", "tls_params:", "cipher_suites:",
    "ssl-default-bind-options", "bind :443 ssl ciphers", "TLSv1.2", "TLSv1_3", "!SSLv3", ">=", "<=", "+", "-", "^",
    "ECDHE-RSA-AES128-GCM-SHA256", "X25519MLKEM768", "aes256gcm16-ke1_mlkem768", "all", ";", "{", "}", "'", '"',
    "\\", "#", "\n", "\r\n", "  ", "=", ":", ",", "[", "]", "|", "\t", "$var", "${x}", "ssl-min-ver", "force-tlsv12",
    "\x00", "\udcff", "é", "1" * 30,
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.one_of(st.sampled_from(_FRAGMENTS), st.text(max_size=12)), max_size=60))
def test_fuzz_config_detectors_never_raise(parts: list[str]) -> None:
    data = " ".join(parts).encode("utf-8", "surrogatepass")
    for cls in CONFIG_DETECTORS:
        d = cls()
        for path in ("etc/nginx/nginx.conf", "etc/ssh/sshd_config", "ipsec.conf", "java.security",
                     "main.cf", "haproxy.cfg", "openssl.cnf", "envoy.yaml", "dovecot.conf"):
            out = list(d.detect(path, data))
            assert all(isinstance(o, Finding | FileNote) for o in out)
            assert not [o for o in out if isinstance(o, FileNote) and CAUGHT in o.detail], (d.id, out)
            for f in out:
                if isinstance(f, Finding):
                    assert len(f.snippet) <= 120


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=200))
def test_fuzz_name_expansion_is_total(value: str) -> None:
    for fn in (cs.expand_cipher_list, cs.expand_groups, cs.expand_sigalgs, cs.expand_ipsec_proposals):
        assert isinstance(fn(value), list)
    cs.tls_version(value)
    cs.tls_version(value, bare=True)
    cs.tls_policy(value)
    cs.ipsec_auth(value)
    for provider in ("aws_kms", "gcp_kms", "azure_curve"):
        cs.cloud_key(provider, value)


# --------------------------------------------------------------------------- the labelled corpus


def _rows() -> list[dict[str, str]]:
    with open(CONFIG_CORPUS / "expected.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _corpus_findings() -> list[dict[str, object]]:
    """Every occurrence of every asset a scan of the config corpus reports, with all built-in
    detectors and this family's (the inventory the corpus test of the project scores)."""
    inv = run_scan(
        [str(CONFIG_CORPUS)],
        ScanOptions(detectors=lambda: builtin_detectors() + [d() for d in MINE], jobs=1, use_gitignore=False),
    )
    out: list[dict[str, object]] = []
    for a in inv.assets:
        name = a.algorithm
        if name == "unknown":  # the engine keeps the unresolved name in a note
            raw = [n.split(": ", 1)[1] for n in a.notes if n.startswith("not in the qrisk catalog: ")]
            name = raw[0] if raw else "unknown"
        for occ in a.occurrences:
            out.append({"path": "config/" + occ.location, "line": occ.line, "algorithm": name,
                        "key_size": a.key_size, "kind": a.kind, "name": a.name})
    return out


def match_corpus(rows: list[dict[str, str]], found: list[dict[str, object]]) -> tuple[list[dict[str, str]], list[dict[str, object]]]:
    """(missed rows, unmatched findings) under the corpus rule: same file, same canonical algorithm
    (``lib:<name>`` matches a library by name), line within ±1 (no line for binary files), key
    size equal when the row gives one; each finding matches at most one row."""
    used: set[int] = set()
    missed: list[dict[str, str]] = []
    for row in rows:
        want = row["algorithm"]
        hit = None
        for i, f in enumerate(found):
            if i in used or f["path"] != row["path"]:
                continue
            if want.startswith("lib:"):
                if f["kind"] is not AssetKind.LIBRARY or f["name"] != want[4:]:
                    continue
            elif f["kind"] is AssetKind.LIBRARY or canonical(str(f["algorithm"])) != canonical(want) or (row["key_size"] and f["key_size"] != int(row["key_size"])):
                continue
            line = f["line"]
            if row["line"]:
                if not isinstance(line, int) or abs(line - int(row["line"])) > 1:
                    continue
            elif line is not None:
                continue
            hit = i
            break
        if hit is None:
            missed.append(row)
        else:
            used.add(hit)
    return missed, [f for i, f in enumerate(found) if i not in used]


def test_corpus_is_well_formed_and_big_enough() -> None:
    rows = _rows()
    assert list(rows[0].keys()) == ["path", "line", "algorithm", "key_size", "usage"]
    usages = {u.value for u in Usage} - {"random", "unknown"}
    labelled = {r["path"] for r in rows}
    for r in rows:
        assert (CORPUS / r["path"]).is_file(), r["path"]
        assert r["usage"] in usages or (r["algorithm"].startswith("lib:") and not r["usage"]), r
        alg = r["algorithm"]
        assert alg.startswith("lib:") or alg in NOT_IN_CATALOG or CAT.lookup(alg).name != "unknown", r
    assert len(rows) >= 100
    meta = {"expected.csv", "decoys.txt", "README.md"}
    files = {"config/" + p.relative_to(CONFIG_CORPUS).as_posix() for p in CONFIG_CORPUS.rglob("*") if p.is_file() and p.name not in meta}
    decoys = files - labelled
    assert len(decoys) >= 20, sorted(decoys)
    listed = {ln.split("#", 1)[0].strip() for ln in (CONFIG_CORPUS / "decoys.txt").read_text().splitlines()}
    assert {d.removeprefix("config/") for d in decoys} == listed - {""}, "every decoy is listed with its reason"
    formats = {r["path"].split("/")[1] for r in rows}
    assert {"nginx", "apache", "haproxy", "openssl", "ssh", "ipsec", "java", "mail", "envoy", "deps", "iac", "keystores"} <= formats


def test_corpus_recall_and_precision() -> None:
    rows = _rows()
    found = _corpus_findings()
    missed, extra = match_corpus(rows, found)
    recall = 1 - len(missed) / len(rows)
    tp = len(rows) - len(missed)
    precision = tp / (tp + len(extra)) if tp + len(extra) else 1.0
    assert recall >= 0.95 and precision >= 0.95, (recall, precision, missed[:20], extra[:20])
    labelled = {r["path"] for r in rows}
    on_decoys = [f for f in found if f["path"] not in labelled]
    assert on_decoys == [], on_decoys
