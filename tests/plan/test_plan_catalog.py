"""The planner's data: every rule, stance and cost sourced; targets real; targets pass the policies' own rules."""

from __future__ import annotations

import copy

import pytest
from plan_factories import NOW, asset, certificate, inventory, system

from qrisk.catalog import safe_load
from qrisk.model import AssetKind, Usage
from qrisk.plan import build_plan
from qrisk.plan.rules import RulesError, migration_rules, parse_rules, qkd_costs
from qrisk.risk.compliance import evaluate, shipped_policies
from qrisk.risk.inputs import from_inventory


def _raw() -> dict:  # type: ignore[type-arg]
    from importlib import resources

    return safe_load(resources.files("qrisk.catalog").joinpath("migration_rules.yaml").read_text(encoding="utf-8"))


def test_every_shipped_policy_has_a_stance_and_back() -> None:
    stances = {s.policy for s in migration_rules().doc.policy_stances}
    assert stances == set(shipped_policies())


def test_everything_names_its_source() -> None:
    rules = migration_rules()
    for r in rules.rules:
        assert r.source.strip(), r.id
        assert r.candidates or r.accept or r.special
    for s in rules.doc.policy_stances:
        assert s.source.strip(), s.policy
    for t in rules.doc.targets.values():
        assert t.standard.strip()
    costs = qkd_costs().doc
    for name, value in costs.model_dump().items():
        if name.endswith("_source"):
            assert value.strip(), name


def test_rules_file_rejects_unknown_targets_and_algorithms() -> None:
    bad = copy.deepcopy(_raw())
    bad["rules"][0]["candidates"][0]["target"] = "NO-SUCH-TARGET"
    with pytest.raises(RulesError, match="unknown target"):
        parse_rules(bad)
    bad = copy.deepcopy(_raw())
    bad["targets"]["ML-KEM-768"]["algorithm"] = "Kyber-9000"
    with pytest.raises(RulesError, match=r"not in algorithms\.yaml"):
        parse_rules(bad)
    bad = copy.deepcopy(_raw())
    del bad["action_kinds"]["rekey-ca"]
    with pytest.raises(RulesError, match="action_kinds"):
        parse_rules(bad)


@pytest.mark.parametrize(
    ("policy", "jurisdiction", "category"),
    [("cnsa-2.0", "US", "web-cloud"), ("cnsa-2.0", "US", "networking"), ("asd-ism", "AU", None),
     ("bsi-tr-02102-1", "DE", None), ("anssi", "FR", None), ("nist-ir-8547", "US", None),
     ("uk-ncsc", "UK", None), ("eu-pqc-roadmap", "EU", None)],
)
def test_recommended_targets_pass_the_policy_they_were_chosen_for(
    policy: str, jurisdiction: str, category: str | None
) -> None:
    """A test that cannot be fooled by the rules file: feed the targets back to the compliance engine."""
    vulnerable = [
        asset("X25519", where="tls-endpoint"), asset("ECDH-P256", where="ssh-endpoint"),
        asset("ECDH-P384"), asset("RSA", usage=Usage.ENCRYPTION, key_size=2048), asset("ECDSA-P256"),
        certificate("RSA"), certificate("RSA", is_ca=True, self_signed=True), asset("AES-128"), asset("SHA-256"),
    ]
    sys_ = system("s1", jurisdictions=(jurisdiction,), category=category)
    plan = build_plan(inventory(vulnerable, [sys_]), policies=policy, now=NOW, crqc="year:2035")
    migrated = []
    for a in plan.actions:
        t = a.target
        if t.algorithm is None or t.combined_with is not None:
            continue  # composites, RFC 9370 and KDF hybrids are judged by their parts, not by one name
        if any(n.startswith("deviation:") for n in a.notes):
            continue  # the rules say where no compliant option exists (e.g. SSH has no pure ML-KEM)
        kind = AssetKind.CERTIFICATE if a.kind.value in ("reissue-certificate", "rekey-ca") else AssetKind.ALGORITHM
        usage = {"key-exchange": Usage.KEY_EXCHANGE, "encryption": Usage.ENCRYPTION}.get(a.purpose.value)
        migrated.append(asset(t.algorithm, kind=AssetKind.ALGORITHM if kind is AssetKind.ALGORITHM else AssetKind.KEY,
                              usage=usage))
    assert migrated
    deviations = [n for a in plan.actions for n in a.notes if n.startswith("deviation:")]
    assert all("SSH" in n for n in deviations), deviations
    result = evaluate(from_inventory(inventory(migrated, [sys_])), [shipped_policies()[policy]], NOW)
    bad = result.verdicts[result.verdicts["verdict"].astype(str).isin(["non-compliant", "non-compliant-from"])]
    assert bad.empty, bad[["algorithm", "rule_id"]].to_string()
