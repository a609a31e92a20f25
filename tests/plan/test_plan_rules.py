"""Table-driven cases per rule: (asset, system, policies) -> rule, target, action kind and reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from plan_factories import NOW, asset, certificate, inventory, library, system

from qrisk.model import AssetKind, QuantumStatus, Usage
from qrisk.plan import ActionKind, Disposition, Protocol, Purpose, Urgency, build_plan
from qrisk.plan.rules import migration_rules
from qrisk.pqc.facts import CostClass


@dataclass
class Case:
    name: str
    make: Any
    """Callable returning the asset (built lazily so each case gets fresh ids)."""
    policies: str
    jurisdictions: tuple[str, ...] = ()
    system_kw: dict[str, Any] = field(default_factory=dict)
    rule: str = ""
    target: str | None = None
    kind: ActionKind | None = None
    accepted: bool = False
    reason: tuple[str, ...] = ()


CASES = [
    # ---- TLS key exchange
    Case("tls-endpoint-default", lambda: asset("X25519", where="tls-endpoint"), "nist-ir-8547", ("US",),
         rule="PLAN-TLS-KEX", target="X25519MLKEM768", kind=ActionKind.RECONFIGURE, reason=("OpenSSL >= 3.5",)),
    Case("tls-cnsa-pure", lambda: asset("X25519", where="tls-endpoint"), "cnsa-2.0", ("US",),
         rule="PLAN-TLS-KEX", target="ML-KEM-1024", kind=ActionKind.RECONFIGURE, reason=("CNSA 2.0", "hybrid")),
    Case("tls-cnsa-and-anssi-hybrid-level5", lambda: asset("ECDH-P256", where="tls-config"), "cnsa-2.0,anssi",
         ("US", "FR"), rule="PLAN-TLS-KEX", target="SecP384r1MLKEM1024", kind=ActionKind.RECONFIGURE),
    Case("tls-config-bsi", lambda: asset("ECDH-P256", where="tls-config"), "bsi", ("DE",),
         rule="PLAN-TLS-KEX", target="X25519MLKEM768", kind=ActionKind.RECONFIGURE, reason=("hybrid required",)),
    Case("tls-pure-mlkem-under-anssi", lambda: asset("ML-KEM-768", where="tls-endpoint"), "anssi", ("FR",),
         rule="PLAN-TLS-KEX-HYBRIDISE", target="SecP384r1MLKEM1024", kind=ActionKind.RECONFIGURE),
    Case("tls-hybrid768-under-asd", lambda: asset("X25519MLKEM768", where="tls-endpoint"), "asd-ism", ("AU",),
         rule="PLAN-TLS-KEX-LEVEL5", target="ML-KEM-1024", kind=ActionKind.RECONFIGURE),
    # ---- SSH
    Case("ssh-kex", lambda: asset("X25519", where="ssh-endpoint"), "uk-ncsc", ("UK",),
         rule="PLAN-SSH-KEX", target="mlkem768x25519-sha256", kind=ActionKind.RECONFIGURE, reason=("OpenSSH",)),
    Case("ssh-kex-cnsa", lambda: asset("ECDH-P256", where="ssh-endpoint"), "cnsa-2.0", ("US",),
         rule="PLAN-SSH-KEX", target="mlkem1024nistp384-sha384"),
    Case("ssh-user-key", lambda: asset("Ed25519", kind=AssetKind.KEY, where="ssh-keys"), "uk-ncsc", ("UK",),
         rule="PLAN-SSH-AUTH", target="ML-DSA-65", kind=ActionKind.ROTATE_KEY, reason=("live",)),
    # ---- IPsec
    Case("ikev2", lambda: asset("DH", where="ipsec", key_size=2048), "nist-ir-8547", ("US",),
         rule="PLAN-IKEV2-KEX", target="IKEv2-ADDKE-ML-KEM-768", kind=ActionKind.RECONFIGURE, reason=("either holds",)),
    Case("ikev2-cnsa", lambda: asset("ECDH-P384", where="ipsec"), "cnsa-2.0", ("US",),
         rule="PLAN-IKEV2-KEX", target="IKEv2-ADDKE-ML-KEM-1024", reason=("IKEv2",)),
    # ---- PKI
    Case("leaf-cert", lambda: certificate("RSA"), "nist-ir-8547", ("US",),
         rule="PLAN-PKI-LEAF", target="ML-DSA-65", kind=ActionKind.REISSUE_CERTIFICATE),
    Case("leaf-cert-bsi-composite", lambda: certificate("ECDSA-P256"), "bsi", ("DE",),
         rule="PLAN-PKI-LEAF", target="ML-DSA-65+ECDSA-P256", kind=ActionKind.REISSUE_CERTIFICATE,
         reason=("composite",)),
    Case("leaf-cert-cnsa", lambda: certificate("RSA"), "cnsa-2.0", ("US",),
         rule="PLAN-PKI-LEAF", target="ML-DSA-87"),
    Case("root-ca", lambda: certificate("RSA", is_ca=True, self_signed=True), "nist-ir-8547", ("US",),
         rule="PLAN-PKI-CA", target="ML-DSA-87", kind=ActionKind.REKEY_CA, reason=("10-25 years",)),
    Case("root-ca-anssi", lambda: certificate("RSA", is_ca=True, self_signed=True), "anssi", ("FR",),
         rule="PLAN-PKI-CA", target="ML-DSA-87+ECDSA-P384", kind=ActionKind.REKEY_CA),
    # ---- signing services
    Case("firmware-cnsa-lms", lambda: certificate("ECDSA-P384"), "cnsa-2.0", ("US",),
         {"category": "software-signing", "name": "ATM firmware signing"},
         rule="PLAN-FIRMWARE-SIGNING", target="LMS", kind=ActionKind.REISSUE_CERTIFICATE, reason=("LMS or XMSS",)),
    Case("firmware-default-slh-dsa", lambda: asset("ECDSA-P384", kind=AssetKind.KEY), "nist-ir-8547", ("US",),
         {"category": "software-signing", "name": "Router firmware"},
         rule="PLAN-FIRMWARE-SIGNING", target="SLH-DSA-SHA2-128s", kind=ActionKind.ROTATE_KEY,
         reason=("hash security",)),
    Case("firmware-handshake-budget", lambda: asset("ECDSA-P384", kind=AssetKind.KEY), "nist-ir-8547", ("US",),
         {"category": "software-signing", "name": "Router firmware", "max_handshake_bytes": 4096},
         rule="PLAN-FIRMWARE-SIGNING", target="LMS", reason=("SLH-DSA-SHA2-128s ruled out", "max_handshake_bytes")),
    Case("firmware-mldsa65-under-cnsa", lambda: asset("ML-DSA-65", kind=AssetKind.KEY), "cnsa-2.0", ("US",),
         {"category": "software-signing", "name": "firmware"},
         rule="PLAN-FIRMWARE-LEVEL5", target="LMS"),
    Case("code-signing", lambda: asset("ECDSA-P256", kind=AssetKind.KEY), "uk-ncsc", ("UK",),
         {"category": "software-signing", "name": "Release pipeline"},
         rule="PLAN-CODE-SIGNING", target="ML-DSA-65", kind=ActionKind.ROTATE_KEY),
    Case("code-signing-cnsa", lambda: asset("RSA", kind=AssetKind.KEY, usage=Usage.SIGNATURE), "cnsa-2.0", ("US",),
         {"category": "software-signing", "name": "Release pipeline"},
         rule="PLAN-CODE-SIGNING", target="ML-DSA-87"),
    # ---- symmetric and hashes
    Case("aes128-no-policy", lambda: asset("AES-128"), "nist-ir-8547", ("US",),
         rule="PLAN-AES-GROVER-ACCEPT", accepted=True, reason=("Grover",)),
    Case("aes128-cnsa", lambda: asset("AES-128"), "cnsa-2.0", ("US",),
         rule="PLAN-AES-256", target="AES-256", kind=ActionKind.CHANGE_CODE),
    Case("sha256-asd", lambda: asset("SHA-256"), "asd-ism", ("AU",), rule="PLAN-HASH-384", target="SHA-384"),
    Case("sha256-no-policy", lambda: asset("SHA-256"), "uk-ncsc", ("UK",), rule="PLAN-HASH-GROVER-ACCEPT",
         accepted=True),
    Case("hmac-cnsa", lambda: asset("HMAC-SHA256"), "cnsa-2.0", ("US",), rule="PLAN-MAC-384", target="HMAC-SHA384"),
    Case("des-now", lambda: asset("DES"), "nist-ir-8547", ("US",),
         rule="PLAN-CLASSICAL-CIPHER", target="AES-256", reason=("replace now",)),
    Case("md5-now", lambda: asset("MD5"), "nist-ir-8547", ("US",), rule="PLAN-CLASSICAL-HASH", target="SHA-384"),
    # ---- code and keys
    Case("code-rsa-encryption", lambda: asset("RSA", usage=Usage.ENCRYPTION, key_size=2048), "nist-ir-8547", ("US",),
         rule="PLAN-ENCRYPTION", target="ML-KEM-768", kind=ActionKind.CHANGE_CODE, reason=("KEM-DEM",)),
    Case("code-ecdh", lambda: asset("ECDH-P256"), "nist-ir-8547", ("US",),
         rule="PLAN-KEX-GENERIC", target="ML-KEM-768", kind=ActionKind.CHANGE_CODE),
    Case("code-ecdh-eu", lambda: asset("ECDH-P256"), "eu-pqc-roadmap", ("EU",),
         rule="PLAN-KEX-GENERIC", target="X-Wing", reason=("hybrid",)),
    Case("code-mlkem-anssi", lambda: asset("ML-KEM-768"), "anssi", ("FR",),
         rule="PLAN-KEM-HYBRIDISE", target="ML-KEM-1024+ECDH-P384"),
    Case("code-mlkem-cnsa", lambda: asset("ML-KEM-768"), "cnsa-2.0", ("US",),
         rule="PLAN-KEM-LEVEL5", target="ML-KEM-1024"),
    Case("rsa-key-unknown-use", lambda: asset("RSA", kind=AssetKind.KEY, where="key", key_size=3072), "nist-ir-8547",
         ("US",), rule="PLAN-DUAL-USE", target="ML-DSA-65", kind=ActionKind.ROTATE_KEY, reason=("ML-KEM-768",)),
    Case("code-signature", lambda: asset("ECDSA-P256"), "nist-ir-8547", ("US",),
         rule="PLAN-SIGNATURE", target="ML-DSA-65", kind=ActionKind.CHANGE_CODE),
    Case("library", lambda: library(), "nist-ir-8547", ("US",),
         rule="PLAN-LIBRARY", target="OpenSSL >= 3.5.0", kind=ActionKind.UPGRADE_LIBRARY, reason=("cannot do PQC",)),
    Case("library-range", lambda: library(version=">=3.0", status="pqc-capable from 3.5.0"), "nist-ir-8547", ("US",),
         rule="PLAN-LIBRARY", target="OpenSSL >= 3.5.0", reason=("pin >= 3.5.0",)),
    # ---- constraints
    Case("mtu-cnsa-infeasible", lambda: asset("ECDH-P384"), "cnsa-2.0", ("US",), {"mtu_bytes": 1280},
         rule="PLAN-KEX-GENERIC", target="no candidate fits: replace the device or the protocol",
         kind=ActionKind.REPLACE_DEVICE, reason=("mtu_bytes", "1,568 B key share")),
    Case("mtu-default-fits", lambda: asset("ECDH-P256"), "nist-ir-8547", ("US",), {"mtu_bytes": 1280},
         rule="PLAN-KEX-GENERIC", target="ML-KEM-768"),
    Case("mtu-ipsec-fragments", lambda: asset("ECDH-P384", where="ipsec"), "cnsa-2.0", ("US",), {"mtu_bytes": 1280},
         rule="PLAN-IKEV2-KEX", target="IKEv2-ADDKE-ML-KEM-1024"),
    Case("handshake-budget-leaf", lambda: certificate("RSA"), "nist-ir-8547", ("US",), {"max_handshake_bytes": 12000},
         rule="PLAN-PKI-LEAF", target="ML-DSA-44", reason=("ML-DSA-65 ruled out",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rule_table(case: Case) -> None:
    a = case.make()
    inv = inventory([a], [system("s1", jurisdictions=case.jurisdictions, **case.system_kw)])
    plan = build_plan(inv, policies=case.policies, now=NOW, crqc="year:2035")
    if case.accepted:
        assert plan.disposition(a.asset_id) is Disposition.ACCEPTED_RISK
        (acc,) = plan.accepted_risks
        assert acc.rule_id == case.rule
        for text in case.reason:
            assert text in acc.reason
        return
    assert plan.disposition(a.asset_id) is Disposition.ACTION, plan.accepted_risks
    (action,) = [x for x in plan.actions if a.asset_id in x.asset_ids]
    assert action.rule_id == case.rule
    assert action.target.name == case.target
    if case.kind is not None:
        assert action.kind is case.kind
    for text in case.reason:
        assert text in action.reason, action.reason
    assert action.reason  # always spelled out


def test_every_target_is_in_the_catalog_and_sized() -> None:
    rules = migration_rules()
    for name, t in rules.doc.targets.items():
        target = rules.target(name, Purpose.SIGNATURE if t.form == "composite" else Purpose.KEY_EXCHANGE)
        assert target.algorithm
        if t.form in ("hybrid", "composite"):
            assert target.wire_bytes, name


def test_classically_broken_is_immediate_and_first() -> None:
    md5 = asset("MD5")
    ecdh = asset("ECDH-P256", where="tls-config")
    plan = build_plan(inventory([ecdh, md5]), policies="nist-ir-8547", now=NOW, crqc="year:2040")
    first = plan.actions[0]
    assert md5.asset_id in first.asset_ids
    assert first.urgency is Urgency.IMMEDIATE
    assert "replace now" in first.reason


def test_unknown_algorithm_goes_to_review_not_guessed() -> None:
    mystery = asset("mystery-cipher", status=QuantumStatus.UNKNOWN)
    plan = build_plan(inventory([mystery]), policies="nist-ir-8547", now=NOW, crqc="year:2035")
    assert plan.disposition(mystery.asset_id) is Disposition.REVIEW
    assert plan.summary.review == 1 and not plan.actions


def test_library_upgrade_comes_before_the_changes_that_need_it() -> None:
    lib = library()
    kex = asset("X25519", where="tls-config")
    aes = asset("DES")
    plan = build_plan(inventory([lib, kex, aes]), policies="nist-ir-8547", now=NOW, crqc="year:2035")
    up = next(a for a in plan.actions if a.kind is ActionKind.UPGRADE_LIBRARY)
    tls = next(a for a in plan.actions if a.protocol is Protocol.TLS)
    des = next(a for a in plan.actions if aes.asset_id in a.asset_ids)
    assert up.id in tls.depends_on and tls.start >= up.end
    assert up.id not in des.depends_on  # AES-256 needs no PQC library


def test_cpu_budget_rules_out_dear_operations() -> None:
    rules = migration_rules()
    rule = rules.rule("PLAN-FIRMWARE-SIGNING")
    stance = rules.stance(["nist-ir-8547"], False)
    stance5 = type(stance)(**{**stance.__dict__, "prefer_level": 5})
    free = rules.choose(rule, Purpose.FIRMWARE_SIGNING, Protocol.NONE, stance5, max_handshake_bytes=None,
                        mtu_bytes=None, cpu_budget=None)
    assert free.target is not None and free.target.name == "SLH-DSA-SHA2-256s"
    tight = rules.choose(rule, Purpose.FIRMWARE_SIGNING, Protocol.NONE, stance5, max_handshake_bytes=None,
                         mtu_bytes=None, cpu_budget=CostClass.LOW)
    assert tight.target is not None and tight.target.name == "SLH-DSA-SHA2-128s"
    assert [r.constraint for r in tight.rejected] == ["cpu"]
    assert "verify costs 'medium'" in tight.rejected[0].detail


def test_niche_category_gets_the_cpu_budget() -> None:
    assert migration_rules().cpu_budget("niche") is CostClass.LOW
    assert migration_rules().cpu_budget("web-cloud") is None


def test_key_bound_to_certificate_moves_with_it() -> None:
    root = certificate("RSA", is_ca=True, self_signed=True, subject="CN=Root")
    leaf = certificate("ECDSA-P256", issuer=root)
    key = asset("ECDSA-P256", kind=AssetKind.KEY, where="key", related=(leaf.asset_id,), usage=Usage.UNKNOWN)
    plan = build_plan(inventory([root, leaf, key]), policies="nist-ir-8547", now=NOW, crqc="year:2035")
    reissue = next(a for a in plan.actions if leaf.asset_id in a.asset_ids)
    assert key.asset_id in reissue.asset_ids
    assert reissue.kind is ActionKind.REISSUE_CERTIFICATE
