"""Infrastructure as code and cloud configuration: keys and TLS settings declared for the cloud.

Terraform (HCL): AWS KMS ``customer_master_key_spec``, ACM/ACM PCA ``key_algorithm`` and
``signing_algorithm``, GCP KMS ``version_template.algorithm``, Azure Key Vault keys and
certificate policies (``key_type``/``key_size``/``curve``), ``tls_private_key``, and TLS policies
of load balancers, CDNs and API gateways (AWS ``ssl_policy``, CloudFront
``minimum_protocol_version``, GCP ``google_compute_ssl_policy``, Azure Application Gateway
``ssl_policy``, ``min_tls_version`` settings). CloudFormation (YAML/JSON): the same for
``AWS::KMS::Key``, ``AWS::CertificateManager::Certificate``, ``AWS::ACMPCA::CertificateAuthority``,
``AWS::ElasticLoadBalancingV2::Listener``, ``AWS::CloudFront::Distribution`` and
``AWS::ApiGateway::DomainName``. Kubernetes: ``Secret`` of type ``kubernetes.io/tls`` (certificate
and key decoded and parsed by the certificate and key detectors), cert-manager ``Certificate``
``privateKey.algorithm/size``, ingress-nginx TLS settings (ConfigMap keys, Ingress annotations).
Helm values files: the same TLS and private-key settings wherever they appear.

Where a service applies a documented default (KMS keys are SYMMETRIC_DEFAULT, ACM requests
RSA_2048, cert-manager RSA-2048, an HTTPS listener without a policy ELBSecurityPolicy-2016-08),
the default is reported at the resource with a note saying so. Secret values are never copied.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import ClassVar

from yaml.nodes import MappingNode, Node, ScalarNode

from qrisk.model import Usage
from qrisk.scan.detectors.base import Detector, DetectorOutput, FileNote, Finding, Gate
from qrisk.scan.detectors.configs import _yaml
from qrisk.scan.detectors.configs import ciphersuites as cs
from qrisk.scan.detectors.configs._common import Emitter, basename, lines_of, protocols_from_list
from qrisk.scan.detectors.configs.ciphersuites import CloudKey, Component

RULE_TF_KEY = "QR-IAC-TF-001"
RULE_TF_CERT_KEY = "QR-IAC-TF-002"
RULE_TF_TLS = "QR-IAC-TF-003"
RULE_TF_CIPHERS = "QR-IAC-TF-004"
RULE_CFN_KEY = "QR-IAC-CFN-001"
RULE_CFN_CERT_KEY = "QR-IAC-CFN-002"
RULE_CFN_TLS = "QR-IAC-CFN-003"
RULE_K8S_CERT = "QR-IAC-K8S-001"
RULE_K8S_KEY = "QR-IAC-K8S-002"
RULE_K8S_CERT_MANAGER = "QR-IAC-K8S-003"
RULE_K8S_TLS = "QR-IAC-K8S-004"
RULE_K8S_CIPHERS = "QR-IAC-K8S-005"
RULE_K8S_GROUPS = "QR-IAC-K8S-006"
RULE_HELM_TLS = "QR-IAC-HELM-001"
RULE_HELM_CIPHERS = "QR-IAC-HELM-002"
RULE_HELM_GROUPS = "QR-IAC-HELM-003"
RULE_HELM_KEY = "QR-IAC-HELM-004"

_AWS_USAGE = {
    "SIGN_VERIFY": Usage.SIGNATURE,
    "ENCRYPT_DECRYPT": Usage.ENCRYPTION,
    "KEY_AGREEMENT": Usage.KEY_EXCHANGE,
    "GENERATE_VERIFY_MAC": Usage.AUTHENTICATION,
}
_GCP_USAGE = {
    "ENCRYPT_DECRYPT": Usage.ENCRYPTION,
    "RAW_ENCRYPT_DECRYPT": Usage.ENCRYPTION,
    "ASYMMETRIC_SIGN": Usage.SIGNATURE,
    "ASYMMETRIC_DECRYPT": Usage.ENCRYPTION,
    "MAC": Usage.AUTHENTICATION,
    "KEY_ENCAPSULATION": Usage.KEY_EXCHANGE,
}
# Documented defaults reported when a resource leaves the setting out:
# * AWS KMS CreateKey: KeySpec defaults to SYMMETRIC_DEFAULT, KeyUsage to ENCRYPT_DECRYPT
#   (AWS KMS API Reference, CreateKey); Google Cloud KMS: a crypto key's algorithm defaults to
#   GOOGLE_SYMMETRIC_ENCRYPTION for purpose ENCRYPT_DECRYPT (CryptoKeyVersionTemplate).
# * ACM RequestCertificate: KeyAlgorithm defaults to RSA_2048 (ACM API Reference).
# * ELB: an HTTPS/TLS listener created outside the console without a policy gets
#   ELBSecurityPolicy-2016-08 ("Security policies for your Application Load Balancer").
# * cert-manager Certificate: privateKey.algorithm defaults to RSA; size to 2048 for RSA and 256
#   for ECDSA (cert-manager API reference, CertificatePrivateKey).
# * Terraform tls_private_key: rsa_bits defaults to 2048, ecdsa_curve to P224 (hashicorp/tls docs).
_ELB_DEFAULT_POLICY = "ELBSecurityPolicy-2016-08"
# Attributes holding a minimum TLS version, in any resource (Azure, GCP, AWS API Gateway...).
_TF_MIN_TLS = frozenset(
    {"min_tls_version", "minimum_tls_version", "min_protocol_version", "ssl_minimal_tls_version_enforced",
     "minimum_protocol_version", "security_policy", "tls_version", "min_tls_version_allowed"}
)
_SECRET_FIELDS = ("tls.crt", "tls.key", "ca.crt")


# --------------------------------------------------------------------------- HCL (Terraform)


@dataclass
class Attr:
    value: str
    line: int
    items: list[tuple[str, int]] = field(default_factory=list)
    """String items of a list value, with their lines."""


@dataclass
class Block:
    type: str
    labels: tuple[str, ...]
    line: int
    attrs: dict[str, Attr] = field(default_factory=dict)
    children: list[Block] = field(default_factory=list)

    def child(self, name: str) -> Block | None:
        return next((c for c in self.children if c.type == name), None)

    def get(self, name: str) -> str | None:
        a = self.attrs.get(name)
        return a.value if a is not None else None


_OPEN_RE = re.compile(r'^\s*([\w-]+)((?:\s+"[^"]*"|\s+[\w-]+)*)\s*\{\s*$')
_ATTR_RE = re.compile(r"^\s*([\w-]+)\s*=\s*(.*?)\s*$")
_STRING_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _strip_hcl_comment(line: str) -> str:
    if "#" not in line and "//" not in line:
        return line
    out: list[str] = []
    in_str = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_str:
            if ch == "\\":
                out.append(line[i : i + 2])
                i += 2
                continue
            if ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch == "#" or line.startswith("//", i):
            break
        out.append(ch)
        i += 1
    return "".join(out)


def parse_hcl(lines: list[str]) -> list[Block]:
    """Top-level blocks of a Terraform file; tolerant (unknown syntax is skipped, never raised)."""
    root = Block("", (), 0)
    stack = [root]
    i, n = 0, len(lines)
    in_comment = False
    while i < n:
        raw = lines[i]
        line_no = i + 1
        i += 1
        text = raw
        if in_comment:
            if "*/" not in text:
                continue
            text = text.split("*/", 1)[1]
            in_comment = False
        if "/*" in text and '"' not in text.split("/*", 1)[0]:
            head, _, rest = text.partition("/*")
            if "*/" not in rest:
                in_comment = True
            text = head + (rest.split("*/", 1)[1] if "*/" in rest else "")
        text = _strip_hcl_comment(text).strip()
        if not text:
            continue
        m = _OPEN_RE.match(text)
        if m and len(stack) < 64:
            labels = tuple(lbl.strip().strip('"') for lbl in re.findall(r'"[^"]*"|[\w-]+', m.group(2)))
            block = Block(m.group(1), labels, line_no)
            stack[-1].children.append(block)
            stack.append(block)
            continue
        if text.startswith("}"):
            if len(stack) > 1:
                stack.pop()
            continue
        m = _ATTR_RE.match(text)
        if not m:
            continue
        name, value = m.group(1), m.group(2)
        if value.startswith("<<"):  # heredoc: skip to its terminator
            marker = value.lstrip("<-").strip()
            while i < n and lines[i].strip() != marker:
                i += 1
            i += 1
            continue
        attr = Attr(value, line_no)
        if value.startswith("[") and "]" not in _STRING_RE.sub("", value):
            # a list spanning lines: collect its string items with their own lines
            attr.items.extend((s, line_no) for s in _STRING_RE.findall(value))
            while i < n:
                more = _strip_hcl_comment(lines[i])
                attr.items.extend((s, i + 1) for s in _STRING_RE.findall(more))
                i += 1
                if "]" in _STRING_RE.sub("", more):
                    break
        elif value.startswith("["):
            attr.items.extend((s, line_no) for s in _STRING_RE.findall(value))
        elif value.startswith("{") and "}" not in value:
            # an object value spanning lines (tags = { ... }): skip it
            depth = value.count("{") - value.count("}")
            while i < n and depth > 0:
                more = _strip_hcl_comment(lines[i])
                depth += more.count("{") - more.count("}")
                i += 1
            continue
        sm = _STRING_RE.fullmatch(value)
        if sm:
            attr.value = sm.group(1)
        stack[-1].attrs[name] = attr
    return root.children


# --------------------------------------------------------------------------- the detector


class IacDetector(Detector):
    """Cloud keys and TLS settings in Terraform, CloudFormation, Kubernetes and Helm files."""

    id = "iac"
    description = "Infrastructure as code: Terraform, CloudFormation, Kubernetes TLS secrets, cert-manager, Helm values"
    rules: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            RULE_TF_KEY: "Terraform: key of a cloud key service (AWS KMS, GCP Cloud KMS, Azure Key Vault) or tls_private_key",
            RULE_TF_CERT_KEY: "Terraform: key algorithm of a certificate (ACM, ACM PCA, Azure Key Vault certificate)",
            RULE_TF_TLS: "Terraform: TLS protocol versions and hybrid groups of a TLS policy or minimum-version setting",
            RULE_TF_CIPHERS: "Terraform: cipher-suite algorithm of a custom TLS policy",
            RULE_CFN_KEY: "CloudFormation: key of an AWS::KMS::Key",
            RULE_CFN_CERT_KEY: "CloudFormation: key algorithm of an ACM certificate or ACM PCA authority",
            RULE_CFN_TLS: "CloudFormation: TLS protocol versions and hybrid groups of a listener, distribution or domain policy",
            RULE_K8S_CERT: "Kubernetes: certificate of a kubernetes.io/tls Secret not already read as embedded PEM",
            RULE_K8S_KEY: "Kubernetes: private key of a kubernetes.io/tls Secret not already read as embedded PEM",
            RULE_K8S_CERT_MANAGER: "Kubernetes: private-key algorithm and size of a cert-manager Certificate",
            RULE_K8S_TLS: "Kubernetes: TLS protocol versions of an ingress-nginx ConfigMap or Ingress annotation",
            RULE_K8S_CIPHERS: "Kubernetes: cipher-suite algorithm of an ingress-nginx ConfigMap or Ingress annotation",
            RULE_K8S_GROUPS: "Kubernetes: key-exchange group of an ingress-nginx ConfigMap or Ingress annotation",
            RULE_HELM_TLS: "Helm values: TLS protocol versions (ssl-protocols, tlsMinVersion...)",
            RULE_HELM_CIPHERS: "Helm values: cipher-suite algorithm (ssl-ciphers, tlsCipherSuites...)",
            RULE_HELM_GROUPS: "Helm values: key-exchange group (ssl-ecdh-curve, curvePreferences...)",
            RULE_HELM_KEY: "Helm values: private-key algorithm and size of a certificate (privateKey.algorithm/size)",
        }
    )
    keywords = (
        b"customer_master_key_spec", b"aws_kms_key", b"key_algorithm", b"google_kms_crypto_key", b"azurerm_key_vault",
        b"tls_private_key", b"ssl_policy", b"aws_lb_listener", b"aws_alb_listener", b"minimum_protocol_version",
        b"min_tls_version", b"minimum_tls_version", b"security_policy", b"min_protocol_version",
        b"keyspec", b"keyalgorithm", b"sslpolicy", b"minimumprotocolversion", b"securitypolicy", b"aws::kms::key",
        b"aws::certificatemanager", b"aws::elasticloadbalancingv2::listener",
        b"kubernetes.io/tls", b"cert-manager.io", b"ssl-protocols", b"ssl-ciphers", b"ssl-ecdh-curve",
        b"sslprotocols", b"sslciphers", b"tlsminversion", b"mintlsversion", b"tls-min-version", b"tlsciphersuites",
        b"tls-cipher-suites", b"privatekey", b"curvepreferences",
    )

    gate = Gate(extensions=frozenset({".tf", ".yaml", ".yml", ".json", ".template"}))

    def wants(self, path: str, head: bytes) -> bool:
        return basename(path).lower().endswith((".tf", ".yaml", ".yml", ".json", ".template"))

    def detect(self, path: str, data: bytes) -> Iterable[DetectorOutput]:
        em = Emitter(self.id)
        try:
            lines = lines_of(data)
            if path.lower().endswith(".tf"):
                _Terraform(lines, em).run()
            else:
                if path.lower().endswith(".json") and not _json_worth_composing(data):
                    return []
                try:
                    docs = _yaml.compose_documents(data, json_like=path.lower().endswith(".json"))
                except Exception:  # not YAML/JSON (a Helm template, say): nothing of ours to read
                    return []
                helm = _is_helm_values(path)
                for doc in docs:
                    _Manifest(doc, lines, em, helm).run()
        except Exception as exc:  # a detector must never take the scan down
            return [*em.results(), FileNote("malformed", f"{self.id}: file could not be read ({type(exc).__name__})")]
        return em.results()


_JSON_ROOT_KEYS = frozenset({"Resources", "AWSTemplateFormatVersion", "kind", "apiVersion", "items"})


def _json_worth_composing(data: bytes) -> bool:
    """Whether a JSON file can be a CloudFormation template or Kubernetes object at all.

    Composing YAML nodes (for line numbers) costs ~1 ms per 10 kB in Python; JSON schemas and
    data files that merely mention a keyword (e.g. a CloudFormation *specification*) are
    ruled out first by the C JSON parser. Invalid JSON is left to the composer."""
    import json

    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return True
    if isinstance(doc, dict):
        return not _JSON_ROOT_KEYS.isdisjoint(doc)
    if isinstance(doc, list):
        return any(isinstance(x, dict) and ("kind" in x or "apiVersion" in x) for x in doc[:1000])
    return False


def _is_helm_values(path: str) -> bool:
    name = basename(path).lower()
    return name.startswith("values") and name.endswith((".yaml", ".yml"))


def _key_component(key: CloudKey, usage: Usage | None) -> Component | None:
    """The algorithm a cloud key spec stands for, with the usage its resource gives it."""
    if not key.algorithm:
        return None
    use = key.usage or usage or Usage.UNKNOWN
    alg = key.algorithm
    if alg == "EC":
        alg = "ECDH" if use is Usage.KEY_EXCHANGE else "ECDSA"
    return Component(alg, use, key.key_size, key.mode)


def _emit_key(em: Emitter, key: CloudKey | None, usage: Usage | None, rule: str, line: int, text: str,
              notes: tuple[str, ...] = ()) -> None:
    if key is None:
        return
    comp = _key_component(key, usage)
    if comp is not None:
        em.algorithm(comp, rule, line, text, curve=key.curve, notes=notes)
    if key.hash:
        em.algorithm(Component(key.hash, Usage.SIGNATURE), rule, line, text, notes=notes)


def _emit_policy(em: Emitter, name: str, rule: str, line: int, text: str, notes: tuple[str, ...] = ()) -> bool:
    policy = cs.tls_policy(name)
    if policy is None:
        return False
    protocols, groups = policy
    em.protocols(protocols, rule, line, text, notes=(f"TLS policy {name[:60]}", *notes))
    for g in groups:
        em.algorithm(Component(g, Usage.KEY_EXCHANGE), rule, line, text, notes=(f"TLS policy {name[:60]}", *notes))
    return True


def _min_version(value: str) -> list[str]:
    """Versions allowed by a minimum-version value (``TLS1_2``, ``1.2``, ``VersionTLS12``...)."""
    v = cs.tls_version(value, bare=True)
    return cs.protocol_range(v) if v else []


class _Terraform:
    def __init__(self, lines: list[str], em: Emitter) -> None:
        self.lines = lines
        self.em = em

    def text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    def run(self) -> None:
        for block in parse_hcl(self.lines):
            if block.type == "resource" and block.labels:
                self.resource(block.labels[0], block)

    def resource(self, rtype: str, b: Block) -> None:
        em = self.em
        if rtype == "aws_kms_key":
            usage = _AWS_USAGE.get((b.get("key_usage") or "ENCRYPT_DECRYPT").upper())
            spec = b.attrs.get("customer_master_key_spec") or b.attrs.get("key_spec")
            if spec is None:
                _emit_key(em, cs.cloud_key("aws_kms", "SYMMETRIC_DEFAULT"), usage, RULE_TF_KEY, b.line,
                          self.text(b.line), ("AWS KMS default key spec SYMMETRIC_DEFAULT (AES-256-GCM)",))
            else:
                _emit_key(em, cs.cloud_key("aws_kms", spec.value), usage, RULE_TF_KEY, spec.line, self.text(spec.line))
        elif rtype == "aws_acm_certificate":
            alg = b.attrs.get("key_algorithm")
            if alg is not None:
                _emit_key(em, cs.cloud_key("aws_certificate", alg.value), Usage.SIGNATURE, RULE_TF_CERT_KEY, alg.line,
                          self.text(alg.line))
            elif "domain_name" in b.attrs and "private_key" not in b.attrs and "certificate_authority_arn" not in b.attrs:
                _emit_key(em, cs.cloud_key("aws_certificate", "RSA_2048"), Usage.SIGNATURE, RULE_TF_CERT_KEY, b.line,
                          self.text(b.line), ("ACM default key algorithm RSA_2048",))
        elif rtype == "aws_acmpca_certificate_authority":
            conf = b.child("certificate_authority_configuration")
            if conf is not None:
                for attr_name, provider in (("key_algorithm", "aws_certificate"), ("signing_algorithm", "aws_signing")):
                    a = conf.attrs.get(attr_name)
                    if a is not None:
                        _emit_key(em, cs.cloud_key(provider, a.value), Usage.SIGNATURE, RULE_TF_CERT_KEY, a.line,
                                  self.text(a.line))
        elif rtype == "google_kms_crypto_key":
            usage = _GCP_USAGE.get((b.get("purpose") or "ENCRYPT_DECRYPT").upper())
            tmpl = b.child("version_template")
            alg = tmpl.attrs.get("algorithm") if tmpl else None
            if alg is not None:
                _emit_key(em, cs.cloud_key("gcp_kms", alg.value), usage, RULE_TF_KEY, alg.line, self.text(alg.line))
            elif usage is Usage.ENCRYPTION and (b.get("purpose") or "ENCRYPT_DECRYPT").upper() == "ENCRYPT_DECRYPT":
                _emit_key(em, cs.cloud_key("gcp_kms", "GOOGLE_SYMMETRIC_ENCRYPTION"), usage, RULE_TF_KEY, b.line,
                          self.text(b.line), ("Cloud KMS default algorithm GOOGLE_SYMMETRIC_ENCRYPTION (AES-256-GCM)",))
        elif rtype == "azurerm_key_vault_key":
            self.azure_key(b, RULE_TF_KEY, _azure_usage(b.attrs.get("key_opts")))
        elif rtype == "azurerm_key_vault_certificate":
            policy = b.child("certificate_policy")
            props = policy.child("key_properties") if policy else None
            if props is not None:
                self.azure_key(props, RULE_TF_CERT_KEY, Usage.SIGNATURE)
        elif rtype == "tls_private_key":
            self.tls_private_key(b)
        elif rtype in ("aws_lb_listener", "aws_alb_listener"):
            policy = b.attrs.get("ssl_policy")
            if policy is not None:
                _emit_policy(em, policy.value, RULE_TF_TLS, policy.line, self.text(policy.line))
            elif (b.get("protocol") or "").upper() in ("HTTPS", "TLS"):
                _emit_policy(em, _ELB_DEFAULT_POLICY, RULE_TF_TLS, b.line, self.text(b.line),
                             (f"default policy of a listener without ssl_policy ({_ELB_DEFAULT_POLICY})",))
        elif rtype == "aws_cloudfront_distribution":
            vc = b.child("viewer_certificate")
            a = vc.attrs.get("minimum_protocol_version") if vc else None
            if a is not None:
                _emit_policy(em, a.value, RULE_TF_TLS, a.line, self.text(a.line))
        elif rtype == "google_compute_ssl_policy":
            self.min_tls(b)
            feats = b.attrs.get("custom_features")
            for name, line in feats.items if feats else []:
                em.components(cs.expand_cipher_list(name), RULE_TF_CIPHERS, line, self.text(line))
        elif rtype == "azurerm_application_gateway":
            pol = b.child("ssl_policy")
            if pol is not None:
                name = pol.attrs.get("policy_name")
                if name is not None:
                    _emit_policy(em, name.value, RULE_TF_TLS, name.line, self.text(name.line))
                self.min_tls(pol)
                suites = pol.attrs.get("cipher_suites")
                for s, line in suites.items if suites else []:
                    em.components(cs.expand_cipher_list(s), RULE_TF_CIPHERS, line, self.text(line))
        else:
            self.min_tls(b)
            for child in b.children:
                self.min_tls(child)

    def min_tls(self, b: Block) -> None:
        for name in _TF_MIN_TLS & b.attrs.keys():
            a = b.attrs[name]
            named = name in ("minimum_protocol_version", "security_policy")
            if named and _emit_policy(self.em, a.value, RULE_TF_TLS, a.line, self.text(a.line)):
                continue
            self.em.protocols(_min_version(a.value), RULE_TF_TLS, a.line, self.text(a.line))

    def azure_key(self, b: Block, rule: str, usage: Usage | None) -> None:
        kt = b.attrs.get("key_type")
        if kt is None:
            return
        key = cs.cloud_key("azure_key_type", kt.value)
        if key is None:
            return
        size = b.attrs.get("key_size")
        curve = b.attrs.get("curve") or b.attrs.get("curve_name")
        bits = int(size.value) if size is not None and size.value.isdigit() else None
        curve_key = cs.cloud_key("azure_curve", curve.value) if curve is not None else None
        if key.algorithm == "EC":
            key = replace(key, curve=curve_key.curve if curve_key else None, key_size=curve_key.key_size if curve_key else None)
        else:
            key = replace(key, key_size=bits)
        line = (curve if key.algorithm == "EC" and curve is not None else size if size is not None else kt).line
        _emit_key(self.em, key, usage, rule, line, self.text(line))

    def tls_private_key(self, b: Block) -> None:
        alg = b.attrs.get("algorithm")
        if alg is None:
            return
        a = alg.value.upper()
        if a == "RSA":
            bits_attr = b.attrs.get("rsa_bits")
            bits = int(bits_attr.value) if bits_attr is not None and bits_attr.value.isdigit() else 2048
            note = () if bits_attr is not None else ("tls provider default rsa_bits 2048",)
            line = bits_attr.line if bits_attr is not None else alg.line
            self.em.algorithm(Component("RSA", Usage.SIGNATURE, bits), RULE_TF_KEY, line, self.text(line), notes=note)
        elif a == "ECDSA":
            curve_attr = b.attrs.get("ecdsa_curve")
            curve = curve_attr.value if curve_attr is not None else "P224"
            note = () if curve_attr is not None else ("tls provider default ecdsa_curve P224",)
            line = curve_attr.line if curve_attr is not None else alg.line
            m = re.fullmatch(r"P(\d+)", curve.upper())
            name = f"P-{m.group(1)}" if m else curve
            size = int(m.group(1)) if m else None
            self.em.algorithm(Component("ECDSA", Usage.SIGNATURE, size), RULE_TF_KEY, line, self.text(line),
                              curve=name, notes=note)
        elif a == "ED25519":
            self.em.algorithm(Component("Ed25519", Usage.SIGNATURE, 256), RULE_TF_KEY, alg.line, self.text(alg.line))


def _azure_usage(opts: Attr | None) -> Usage | None:
    if opts is None:
        return None
    names = {s.lower() for s, _ in opts.items}
    if names & {"sign", "verify"}:
        return Usage.SIGNATURE
    if names & {"encrypt", "decrypt", "wrapkey", "unwrapkey"}:
        return Usage.ENCRYPTION
    return None


# --------------------------------------------------------------------------- YAML/JSON manifests

# Keys of TLS settings in ingress-nginx ConfigMaps/annotations and Helm values (compared after
# removing "-" and "_" and lower-casing).
_TLS_PROTOCOL_KEYS = frozenset({"sslprotocols", "tlsprotocols"})
_TLS_MIN_KEYS = frozenset({"tlsminversion", "mintlsversion", "tlsminimumversion", "minimumtlsversion"})
_TLS_CIPHER_KEYS = frozenset({"sslciphers", "tlsciphersuites", "tlsciphers"})
_TLS_GROUP_KEYS = frozenset({"sslecdhcurve", "curvepreferences", "tlscurvepreferences", "ecdhcurve"})


def _norm_key(key: str) -> str:
    return key.rpartition("/")[2].replace("-", "").replace("_", "").lower()


class _Manifest:
    """One YAML/JSON document: CloudFormation template, Kubernetes object or Helm values."""

    def __init__(self, doc: Node, lines: list[str], em: Emitter, helm: bool) -> None:
        self.doc = doc
        self.lines = lines
        self.em = em
        self.helm = helm

    def text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    def run(self) -> None:
        doc = self.doc
        if not isinstance(doc, MappingNode):
            return
        kind = _yaml.scalar(_yaml.get(doc, "kind")) or ""
        api = _yaml.scalar(_yaml.get(doc, "apiVersion")) or ""
        resources = _yaml.get(doc, "Resources")
        if isinstance(resources, MappingNode) and (
            _yaml.get(doc, "AWSTemplateFormatVersion") is not None or self._has_aws_types(resources)
        ):
            self.cloudformation(resources)
        elif kind == "Secret":
            self.secret(doc)
        elif kind == "Certificate" and api.startswith("cert-manager.io/"):
            self.cert_manager(doc)
        elif kind == "ConfigMap":
            self.tls_keys(_yaml.get(doc, "data"), (RULE_K8S_TLS, RULE_K8S_CIPHERS, RULE_K8S_GROUPS))
        elif kind == "Ingress":
            meta = _yaml.get(doc, "metadata")
            self.tls_keys(_yaml.get(meta, "annotations"), (RULE_K8S_TLS, RULE_K8S_CIPHERS, RULE_K8S_GROUPS))
        elif self.helm and not kind:
            self.helm_values(doc)

    # ------------------------------------------------------------------ CloudFormation

    @staticmethod
    def _has_aws_types(resources: MappingNode) -> bool:
        for _, _, res in _yaml.items(resources):
            t = _yaml.scalar(_yaml.get(res, "Type")) or ""
            if t.startswith("AWS::"):
                return True
        return False

    def cloudformation(self, resources: MappingNode) -> None:
        em = self.em
        for _name, key_node, res in _yaml.items(resources):
            rtype = _yaml.scalar(_yaml.get(res, "Type")) or ""
            props = _yaml.get(res, "Properties")
            res_line = _yaml.line(key_node)
            if rtype == "AWS::KMS::Key":
                usage = _AWS_USAGE.get((_yaml.scalar(_yaml.get(props, "KeyUsage")) or "ENCRYPT_DECRYPT").upper())
                spec = _yaml.get(props, "KeySpec")
                if _yaml.scalar(spec):
                    n = _yaml.line(spec)  # type: ignore[arg-type]
                    _emit_key(em, cs.cloud_key("aws_kms", _yaml.scalar(spec) or ""), usage, RULE_CFN_KEY, n, self.text(n))
                elif spec is None:
                    _emit_key(em, cs.cloud_key("aws_kms", "SYMMETRIC_DEFAULT"), usage, RULE_CFN_KEY, res_line,
                              self.text(res_line), ("AWS KMS default key spec SYMMETRIC_DEFAULT (AES-256-GCM)",))
            elif rtype == "AWS::CertificateManager::Certificate":
                alg = _yaml.get(props, "KeyAlgorithm")
                if _yaml.scalar(alg):
                    n = _yaml.line(alg)  # type: ignore[arg-type]
                    _emit_key(em, cs.cloud_key("aws_certificate", _yaml.scalar(alg) or ""), Usage.SIGNATURE,
                              RULE_CFN_CERT_KEY, n, self.text(n))
                elif alg is None and _yaml.get(props, "CertificateAuthorityArn") is None:
                    _emit_key(em, cs.cloud_key("aws_certificate", "RSA_2048"), Usage.SIGNATURE, RULE_CFN_CERT_KEY,
                              res_line, self.text(res_line), ("ACM default key algorithm RSA_2048",))
            elif rtype == "AWS::ACMPCA::CertificateAuthority":
                for prop, provider in (("KeyAlgorithm", "aws_certificate"), ("SigningAlgorithm", "aws_signing")):
                    node = _yaml.get(props, prop)
                    if _yaml.scalar(node):
                        n = _yaml.line(node)  # type: ignore[arg-type]
                        _emit_key(em, cs.cloud_key(provider, _yaml.scalar(node) or ""), Usage.SIGNATURE,
                                  RULE_CFN_CERT_KEY, n, self.text(n))
            elif rtype == "AWS::ElasticLoadBalancingV2::Listener":
                pol = _yaml.get(props, "SslPolicy")
                proto = (_yaml.scalar(_yaml.get(props, "Protocol")) or "").upper()
                if _yaml.scalar(pol):
                    n = _yaml.line(pol)  # type: ignore[arg-type]
                    _emit_policy(em, _yaml.scalar(pol) or "", RULE_CFN_TLS, n, self.text(n))
                elif pol is None and proto in ("HTTPS", "TLS"):
                    _emit_policy(em, _ELB_DEFAULT_POLICY, RULE_CFN_TLS, res_line, self.text(res_line),
                                 (f"default policy of a listener without SslPolicy ({_ELB_DEFAULT_POLICY})",))
            elif rtype == "AWS::CloudFront::Distribution":
                vc = _yaml.get(_yaml.get(props, "DistributionConfig"), "ViewerCertificate")
                node = _yaml.get(vc, "MinimumProtocolVersion")
                if _yaml.scalar(node):
                    n = _yaml.line(node)  # type: ignore[arg-type]
                    _emit_policy(em, _yaml.scalar(node) or "", RULE_CFN_TLS, n, self.text(n))
            elif rtype in ("AWS::ApiGateway::DomainName", "AWS::ApiGatewayV2::DomainName"):
                node = _yaml.get(props, "SecurityPolicy")
                if node is None and isinstance(_yaml.get(props, "DomainNameConfigurations"), Node):
                    for _, item in _yaml.walk(_yaml.get(props, "DomainNameConfigurations")):  # type: ignore[arg-type]
                        node = node or _yaml.get(item, "SecurityPolicy")
                if _yaml.scalar(node):
                    n = _yaml.line(node)  # type: ignore[arg-type]
                    em.protocols(_min_version(_yaml.scalar(node) or ""), RULE_CFN_TLS, n, self.text(n))

    # ------------------------------------------------------------------ Kubernetes

    def secret(self, doc: MappingNode) -> None:
        stype = _yaml.scalar(_yaml.get(doc, "type")) or ""
        if stype != "kubernetes.io/tls":
            return
        data = _yaml.get(doc, "data")
        for key, _, value in _yaml.items(data):
            if key not in _SECRET_FIELDS or not isinstance(value, ScalarNode):
                continue
            b64 = "".join(value.value.split())
            if not b64 or "LS0tLS1CRUdJT" in b64:
                continue  # base64 of a PEM block: the certificate and key detectors read it in place
            try:
                decoded = binascii.a2b_base64(b64)
            except (binascii.Error, ValueError):
                self.em.note("malformed", f"Secret {key}: not base64")
                continue
            self.embedded(key, decoded, _yaml.line(value))

    def embedded(self, field_name: str, blob: bytes, line: int) -> None:
        """A decoded Secret value: read by the certificate or key detector, findings re-homed here."""
        from qrisk.scan.detectors.certificates import CertificateDetector
        from qrisk.scan.detectors.keys import KeyDetector

        is_key = field_name == "tls.key"
        detector: Detector = KeyDetector() if is_key else CertificateDetector()
        name = "tls.key" if is_key else ("tls.der" if b"-----BEGIN" not in blob else "tls.pem")
        rule = RULE_K8S_KEY if is_key else RULE_K8S_CERT
        found = False
        for out in detector.detect(name, blob):
            if isinstance(out, Finding):
                found = True
                self.em.raw(replace(out, rule_id=rule, line=line, snippet=f"Secret data {field_name}",
                                    notes=(*out.notes, f"decoded from the Secret's {field_name}")))
        if not found:
            self.em.note("malformed", f"Secret {field_name}: no certificate or key could be read")

    def cert_manager(self, doc: MappingNode) -> None:
        spec = _yaml.get(doc, "spec")
        pk = _yaml.get(spec, "privateKey")
        self.private_key(pk, RULE_K8S_CERT_MANAGER, default_line=_yaml.line(doc), default=True)

    def private_key(self, pk: Node | None, rule: str, *, default_line: int, default: bool) -> None:
        alg_node = _yaml.get(pk, "algorithm")
        size_node = _yaml.get(pk, "size")
        alg = (_yaml.scalar(alg_node) or ("RSA" if default else "")).strip()
        if not alg:
            return
        size_text = _yaml.scalar(size_node)
        size = int(size_text) if size_text and size_text.isdigit() else None
        notes: tuple[str, ...] = ()
        upper = alg.upper()
        line = _yaml.line(size_node or alg_node) if (size_node or alg_node) is not None else default_line  # type: ignore[arg-type]
        if alg_node is None:
            notes = ("cert-manager default privateKey.algorithm RSA",)
        if upper == "RSA":
            if size is None:
                size = 2048
                notes = (*notes, "cert-manager default RSA size 2048")
            self.em.algorithm(Component("RSA", Usage.SIGNATURE, size), rule, line, self.text(line), notes=notes)
        elif upper == "ECDSA":
            if size is None:
                size = 256
                notes = (*notes, "cert-manager default ECDSA size 256")
            curve = {256: "P-256", 384: "P-384", 521: "P-521"}.get(size)
            self.em.algorithm(Component("ECDSA", Usage.SIGNATURE, size), rule, line, self.text(line), curve=curve,
                              notes=notes)
        elif upper == "ED25519":
            self.em.algorithm(Component("Ed25519", Usage.SIGNATURE, 256), rule, line, self.text(line), notes=notes)
        elif cs.known_algorithm(alg):
            self.em.algorithm(Component(alg, Usage.SIGNATURE, size), rule, line, self.text(line), notes=notes)

    def tls_keys(self, mapping: Node | None, rules: tuple[str, str, str]) -> None:
        """TLS settings under recognised key names in one mapping (ConfigMap data, annotations)."""
        rule_tls, rule_ciphers, rule_groups = rules
        for key, _, value in _yaml.items(mapping):
            k = _norm_key(key)
            values = list(_yaml.strings(value))
            for text, n in values:
                src = self.text(n)
                if k in _TLS_PROTOCOL_KEYS:
                    self.em.protocols(protocols_from_list(re.split(r"[\s,:]+", text)), rule_tls, n, src)
                elif k in _TLS_MIN_KEYS:
                    self.em.protocols(_min_version(text), rule_tls, n, src)
                elif k in _TLS_CIPHER_KEYS:
                    self.em.components(cs.expand_cipher_list(text), rule_ciphers, n, src)
                elif k in _TLS_GROUP_KEYS:
                    self.em.components(cs.expand_groups(text), rule_groups, n, src)

    # ------------------------------------------------------------------ Helm values

    def helm_values(self, doc: MappingNode) -> None:
        for path, mapping in _yaml.walk(doc):
            self.tls_keys(mapping, (RULE_HELM_TLS, RULE_HELM_CIPHERS, RULE_HELM_GROUPS))
            if path and path[-1] == "privateKey" and _yaml.get(mapping, "algorithm") is not None:
                self.private_key(mapping, RULE_HELM_KEY, default_line=0, default=False)


DETECTORS: list[type[Detector]] = [IacDetector]
