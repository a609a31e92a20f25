"""Infrastructure-as-code detector: Terraform, CloudFormation, Kubernetes TLS secrets,
cert-manager, ingress-nginx and Helm values."""

from __future__ import annotations

import base64
import datetime as dt
import json

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from qrisk import catalog
from qrisk.model import AssetKind, Usage
from qrisk.scan.detectors.base import FileNote, Finding
from qrisk.scan.detectors.certificates import CertificateDetector
from qrisk.scan.detectors.iac import IacDetector, parse_hcl
from qrisk.scan.detectors.keys import KeyDetector

DETECTOR = IacDetector()
CAUGHT = "could not be read"


def scan(path: str, text: str) -> list[Finding]:
    data = text.encode()
    assert DETECTOR.wants(path, data[:8192])
    out = list(DETECTOR.detect(path, data))
    assert not [o for o in out if isinstance(o, FileNote) and CAUGHT in o.detail], out
    return [o for o in out if isinstance(o, Finding)]


def summary(found: list[Finding]) -> set[tuple[int | None, str, int | None, str | None]]:
    out = set()
    for f in found:
        if f.kind is AssetKind.PROTOCOL:
            listed = next((n.removeprefix("versions: ") for n in f.notes if n.startswith("versions: ")), "")
            out.update((f.line, v, None, None) for v in listed.split(", ") if v)
        else:
            name = catalog.algorithms().lookup(f.algorithm).name
            out.add((f.line, name if name != "unknown" else f.algorithm, f.key_size, f.curve))
    return out


# --------------------------------------------------------------------------- HCL


def test_hcl_blocks_lists_heredocs_and_comments() -> None:
    text = (
        'resource "aws_kms_key" "a" {  # trailing comment\n'
        '  description = "a } brace # and hash in a string"\n'
        "  policy = <<EOF\n"
        '  customer_master_key_spec = "RSA_2048"\n'
        "EOF\n"
        "  /* customer_master_key_spec = \"RSA_4096\"\n"
        "     still a comment */\n"
        '  tags = {\n    Name = "x"\n  }\n'
        '  customer_master_key_spec = "ECC_NIST_P256" // the real one\n'
        "  nested {\n"
        "    list = [\n"
        '      "one",\n'
        '      "two", # two\n'
        "    ]\n"
        "  }\n"
        "}\n"
    )
    [block] = parse_hcl(text.split("\n"))
    assert (block.type, block.labels) == ("resource", ("aws_kms_key", "a"))
    assert block.get("customer_master_key_spec") == "ECC_NIST_P256"
    assert block.attrs["customer_master_key_spec"].line == 11
    assert "policy" not in block.attrs and "tags" not in block.attrs
    nested = block.child("nested")
    assert nested is not None and nested.attrs["list"].items == [("one", 14), ("two", 15)]


# --------------------------------------------------------------------------- Terraform


def test_terraform_keys_and_defaults() -> None:
    tf = (
        'resource "aws_kms_key" "mac" {\n'
        '  customer_master_key_spec = "HMAC_384"\n'
        '  key_usage = "GENERATE_VERIFY_MAC"\n'
        "}\n"
        'resource "aws_kms_key" "rsa" {\n'
        '  customer_master_key_spec = "RSA_2048"\n'
        "}\n"
        'resource "google_kms_crypto_key" "k" {\n'
        '  name = "k"\n'
        "}\n"
        'resource "tls_private_key" "e" {\n'
        '  algorithm = "ECDSA"\n'
        "}\n"
        'resource "azurerm_key_vault_certificate" "c" {\n'
        "  certificate_policy {\n"
        "    key_properties {\n"
        '      key_type = "RSA"\n'
        "      key_size = 4096\n"
        "    }\n"
        "  }\n"
        "}\n"
    )
    found = scan("main.tf", tf)
    assert summary(found) == {
        (2, "HMAC-SHA384", 384, None),
        (6, "RSA", 2048, None),
        (8, "AES", 256, None),
        (12, "ECDSA", 224, "P-224"),
        (18, "RSA", 4096, None),
    }
    usage = {f.line: f.usage for f in found}
    assert usage[2] is Usage.AUTHENTICATION and usage[6] is Usage.ENCRYPTION  # KMS key_usage default
    assert any("default" in n for f in found if f.line in (8, 12) for n in f.notes)


def test_terraform_tls_policies() -> None:
    tf = (
        'resource "aws_lb_listener" "http" {\n'
        '  protocol = "HTTP"\n'
        "}\n"
        'resource "aws_lb_listener" "tls" {\n'
        '  protocol   = "TLS"\n'
        '  ssl_policy = "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09"\n'
        "}\n"
        'resource "aws_api_gateway_domain_name" "api" {\n'
        '  security_policy = "TLS_1_2"\n'
        "}\n"
        'resource "azurerm_linux_web_app" "w" {\n'
        "  site_config {\n"
        '    minimum_tls_version = "1.1"\n'
        "  }\n"
        "}\n"
    )
    found = scan("lb.tf", tf)
    s = summary(found)
    assert not [f for f in found if f.line in (1, 2, 3)]
    assert {(6, "TLS 1.3", None, None), (6, "X25519MLKEM768", None, None)} <= s
    assert {(9, "TLS 1.2", None, None), (9, "TLS 1.3", None, None)} <= s
    assert {(13, "TLS 1.1", None, None), (13, "TLS 1.3", None, None)} <= s


# --------------------------------------------------------------------------- CloudFormation


def test_cloudformation_json() -> None:
    doc = {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeySpec": "RSA_4096", "KeyUsage": "ENCRYPT_DECRYPT"}},
        "CA": {"Type": "AWS::ACMPCA::CertificateAuthority",
               "Properties": {"KeyAlgorithm": "EC_secp384r1", "SigningAlgorithm": "SHA384WITHECDSA"}},
        "L": {"Type": "AWS::ElasticLoadBalancingV2::Listener", "Properties": {"Protocol": "HTTPS"}},
        "Ref": {"Type": "AWS::KMS::Key", "Properties": {"KeySpec": {"Ref": "Spec"}}},
    }}
    text = json.dumps(doc, indent=2)
    found = scan("template.json", text)
    names = {(catalog.algorithms().lookup(f.algorithm).name, f.key_size) for f in found if f.kind is AssetKind.ALGORITHM}
    assert {("RSA", 4096), ("ECDSA", 384), ("SHA-384", None)} <= names
    [proto] = [f for f in found if f.kind is AssetKind.PROTOCOL]
    assert (proto.algorithm, proto.version) == ("TLS", "1.2")
    assert proto.notes[:2] == ("versions: TLS 1.0, TLS 1.1, TLS 1.2", "deprecated versions enabled: TLS 1.0, TLS 1.1 (RFC 7568, RFC 8996)")
    assert len([f for f in found if f.algorithm == "RSA"]) == 1  # the unresolved !Ref is not guessed


# --------------------------------------------------------------------------- Kubernetes


def _ec_certificate() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP384R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "k8s.example")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(7).not_valid_before(now).not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA384())
    )
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.DER), pem_key


def _secret(fields: dict[str, bytes]) -> str:
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", "  name: t", "type: kubernetes.io/tls", "data:"]
    lines += [f"  {k}: {base64.b64encode(v).decode()}" for k, v in fields.items()]
    return "\n".join(lines) + "\n"


def test_tls_secret_pem_is_left_to_the_certificate_and_key_detectors() -> None:
    der, pem_key = _ec_certificate()
    pem_cert = b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    text = _secret({"tls.crt": pem_cert, "tls.key": pem_key})
    assert scan("secret.yaml", text) == []
    certs = [o for o in CertificateDetector().detect("secret.yaml", text.encode()) if isinstance(o, Finding)]
    keys = [o for o in KeyDetector().detect("secret.yaml", text.encode()) if isinstance(o, Finding)]
    assert [(f.line, f.key_size) for f in certs] == [(7, 384)]
    assert [(f.line, f.key_size) for f in keys] == [(8, 384)]


def test_tls_secret_der_and_prefixed_pem_are_decoded_here() -> None:
    der, pem_key = _ec_certificate()
    prefixed = b"Bag Attributes\n    localKeyID: 01\n" + b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der) + b"-----END CERTIFICATE-----\n"
    text = _secret({"tls.crt": der, "ca.crt": prefixed, "tls.key": b"\n" + pem_key})
    found = scan("secret.yaml", text)
    got = {(f.line, f.kind, catalog.algorithms().lookup(f.algorithm).name, f.key_size) for f in found}
    assert (7, AssetKind.CERTIFICATE, "ECDSA-P384", 384) in got
    assert (9, AssetKind.KEY, "ECDSA-P384", 384) in got
    assert {f.rule_id for f in found} == {"QR-IAC-K8S-001", "QR-IAC-K8S-002"}
    # nothing of the secret's data leaves the detector
    blob = base64.b64encode(pem_key).decode()
    for f in found:
        for text_field in (f.snippet, *f.notes):
            assert blob[:24] not in text_field and "PRIVATE KEY" not in text_field


def test_opaque_secret_is_not_decoded() -> None:
    text = "kind: Secret\ntype: Opaque\ndata:\n  tls.crt: " + base64.b64encode(b"MIIB not a cert").decode() + "\n"
    assert scan("s.yaml", text) == []


def test_cert_manager_certificates() -> None:
    text = (
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nspec:\n  privateKey:\n    algorithm: Ed25519\n---\n"
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nspec:\n  privateKey:\n    algorithm: ECDSA\n"
        "---\napiVersion: cert-manager.io/v1\nkind: Certificate\nspec:\n  privateKey:\n    size: 4096\n"
    )
    assert summary(scan("certs.yaml", text)) == {
        (5, "Ed25519", 256, None), (11, "ECDSA", 256, "P-256"), (17, "RSA", 4096, None),
    }


def test_ingress_annotations_and_helm_values() -> None:
    ingress = (
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  annotations:\n"
        '    nginx.ingress.kubernetes.io/ssl-ciphers: "ECDHE-RSA-AES256-GCM-SHA384"\n'
        '    nginx.ingress.kubernetes.io/ssl-protocols: "TLSv1.3"\n'
    )
    s = summary(scan("ingress.yaml", ingress))
    assert {(5, "AES", 256, None), (6, "TLS 1.3", None, None)} <= s
    values = "server:\n  tls:\n    minTLSVersion: \"1.2\"\n    curvePreferences: [X25519MLKEM768, P-256]\n"
    assert summary(scan("charts/app/values.yaml", values)) == {
        (3, "TLS 1.2", None, None), (3, "TLS 1.3", None, None), (4, "X25519MLKEM768", None, None),
        (4, "ECDH-P256", None, None),
    }
    # the same keys outside a values file are not read as Helm settings
    assert scan("config/app.yaml", values) == []


def test_helm_templates_and_lookalikes_are_ignored() -> None:
    template = "kind: Certificate\nspec:\n  privateKey:\n    algorithm: {{ .Values.alg }}\n{{- end }}\n"
    assert list(DETECTOR.detect("templates/cert.yaml", template.encode())) == []
    tf = 'variable "key_algorithm" {\n  default = "RSA_4096"\n}\nlocals {\n  min_tls_version = "TLS1_0"\n}\n'
    assert scan("variables.tf", tf) == []


# --------------------------------------------------------------------------- fuzzing

_TF = ['resource "aws_kms_key" "k" {', 'resource "aws_lb_listener" "l" {', "}", "{", "[", "]", "<<EOF", "EOF",
       "/*", "*/", "#", "//", '"', "=", "customer_master_key_spec", "ssl_policy", "key_algorithm", "RSA_2048",
       "version_template {", "algorithm", "min_tls_version", '"TLS1_2"', "\n", "  ", "\\"]
_YAML = ["kind: Secret", "type: kubernetes.io/tls", "data:", "  tls.crt: ", "LS0tLS1CRUdJT", "TUlJQ", "---",
         "apiVersion: cert-manager.io/v1", "kind: Certificate", "spec:", "privateKey:", "algorithm: ECDSA", "size:",
         "Resources:", "Type: AWS::KMS::Key", "Properties:", "KeySpec:", "ssl-protocols:", "- ", "{", "}", "[", "]",
         "&a", "*a", "!Ref", "\n", "  ", ":", "'", '"', "\t"]


@settings(max_examples=250, deadline=None)
@given(parts=st.lists(st.one_of(st.sampled_from(_TF), st.text(max_size=6)), max_size=60))
def test_fuzz_terraform_never_raises(parts: list[str]) -> None:
    text = " ".join(parts)
    parse_hcl(text.split("\n"))
    out = list(DETECTOR.detect("main.tf", text.encode("utf-8", "surrogatepass")))
    assert not [o for o in out if isinstance(o, FileNote) and CAUGHT in o.detail], out


@settings(max_examples=250, deadline=None)
@given(parts=st.lists(st.one_of(st.sampled_from(_YAML), st.text(max_size=6)), max_size=60))
def test_fuzz_yaml_never_raises(parts: list[str]) -> None:
    data = "".join(parts).encode("utf-8", "surrogatepass")
    for path in ("k8s.yaml", "values.yaml", "stack.json"):
        out = list(DETECTOR.detect(path, data))
        assert not [o for o in out if isinstance(o, FileNote) and CAUGHT in o.detail], out
