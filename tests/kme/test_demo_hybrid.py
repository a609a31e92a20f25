"""The hybrid QKD + PQC demo end to end on loopback: agreement, tampering, eavesdropper, distance, no leaks."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from kmehelp import FAST_MC

from qrisk.demo import (
    DemoOptions,
    DemoResult,
    FallbackPolicy,
    Outcome,
    Tamper,
    format_json,
    format_text,
    run_hybrid_demo,
)
from qrisk.kme_cli import TAMPER_CHOICES, demo


@pytest.fixture(scope="module")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo-pki")


def _run(pki_dir: Path, **kw: object) -> tuple[DemoResult, dict[str, bytes], str]:
    secrets: dict[str, bytes] = {}
    opts = DemoOptions(pki_dir=pki_dir, mc_pulses=kw.pop("mc_pulses", FAST_MC), seed=kw.pop("seed", 11),
                       **kw)  # type: ignore[arg-type]
    printed: list[str] = []
    result = run_hybrid_demo(opts, on_step=lambda s: printed.append(str(s)), secrets_sink=secrets.__setitem__)
    return result, secrets, format_text(result, opts) + format_json(result) + "\n".join(printed)


def _assert_no_secret_printed(secrets: dict[str, bytes], output: str) -> None:
    assert secrets, "the demo handled no secrets?"
    low = output.lower()
    for name, value in secrets.items():
        assert len(value) >= 16, name
        for form in (value.hex(), base64.b64encode(value).decode(), base64.urlsafe_b64encode(value).decode()):
            assert form.lower() not in low, f"{name} appears in the output"
        # no 8-byte window of the secret either
        assert value.hex()[:16] not in low and value.hex()[-16:] not in low, name


def test_both_sides_derive_the_same_hybrid_key(pki_dir: Path) -> None:
    result, secrets, output = _run(pki_dir)
    assert result.outcome is Outcome.HYBRID, result.reason
    assert result.confirmation_ok and result.keys_agree
    assert result.alice_key_check == result.bob_key_check and len(result.alice_key_check or "") == 16
    assert result.messages_ok == 3
    assert result.key_id and result.link["state"] == "up"
    # Alice's and Bob's copies really are equal (checked here, never printed)
    assert secrets["qkd_key_alice"] == secrets["qkd_key_bob"]
    assert secrets["k_alice"] == secrets["k_bob"]
    assert secrets["ss_mlkem_alice"] == secrets["ss_mlkem_bob"]
    assert secrets["ss_x25519_alice"] == secrets["ss_x25519_bob"]
    titles = [s.title for s in result.steps]
    for expected in ("QKD link", "Monte Carlo", "KMEs", "key confirmation", "AES-256-GCM"):
        assert expected in titles
    sized = {k for s in result.steps for k in s.sizes}
    assert {"mlkem_public_key", "mlkem_ciphertext", "x25519_share", "qkd_key"} <= sized
    assert all(s.seconds is None or s.seconds >= 0 for s in result.steps)
    _assert_no_secret_printed(secrets, output)


@pytest.mark.parametrize("tamper", list(Tamper))
def test_tampering_with_any_component_fails_key_confirmation(pki_dir: Path, tamper: Tamper) -> None:
    result, secrets, output = _run(pki_dir, tamper=tamper)
    assert result.outcome is Outcome.CONFIRMATION_FAILED, (result.outcome, result.reason)
    assert not result.confirmation_ok and not result.keys_agree
    assert result.alice_key_check and result.bob_key_check  # both derived a key ...
    assert result.alice_key_check != result.bob_key_check  # ... and they differ
    assert result.messages_ok == 0  # nothing was sent under a key that did not confirm
    assert secrets["k_alice"] != secrets["k_bob"]
    _assert_no_secret_printed(secrets, output)


def test_eavesdropper_aborts_qkd_and_the_policy_refuses(pki_dir: Path) -> None:
    result, _, output = _run(pki_dir, eve="intercept-resend:0.6", mc_pulses=1_000_000)
    assert result.outcome is Outcome.REFUSED
    assert result.link["aborted"] and result.link["mc_qber"] > result.link["abort_qber"]
    assert "aborted" in result.reason and "refuse" in result.reason
    assert not result.keys_agree and result.messages_ok == 0
    assert "REFUSED" in output


def test_eavesdropper_with_pqc_only_fallback_warns_and_still_agrees(pki_dir: Path) -> None:
    result, secrets, output = _run(pki_dir, eve="intercept-resend:0.6", mc_pulses=1_000_000,
                                   policy=FallbackPolicy.PQC_ONLY)
    assert result.outcome is Outcome.PQC_ONLY
    assert result.keys_agree and result.confirmation_ok and result.key_id is None
    assert any(s.level == "warning" and "no QKD contribution" in s.detail for s in result.steps)
    assert "qkd_key_alice" not in secrets and "qkd_key_bob" not in secrets
    _assert_no_secret_printed(secrets, output)


def test_a_weak_eavesdropper_slows_the_link_but_qkd_goes_on(pki_dir: Path) -> None:
    result, _, _ = _run(pki_dir, eve="intercept-resend:0.05", mc_pulses=1_000_000)
    assert result.outcome is Outcome.HYBRID and result.keys_agree
    assert 0 < result.link["secret_key_rate_bps"] < result.link["analytic_rate_bps"]


def test_beyond_the_key_rate_limit_the_pool_runs_dry(pki_dir: Path) -> None:
    result, _, _ = _run(pki_dir, distance_km=250)
    assert result.outcome is Outcome.REFUSED
    assert result.link["secret_key_rate_bps"] == 0
    assert "ran dry" in result.reason and "no secret key" in result.reason
    assert any(s.title == "key-rate limit" for s in result.steps)


def test_a_slow_link_runs_dry_while_alice_waits(pki_dir: Path) -> None:
    result, _, _ = _run(pki_dir, distance_km=205, key_wait_s=0.2, policy=FallbackPolicy.PQC_ONLY)
    assert result.outcome is Outcome.PQC_ONLY
    assert 0 < result.link["secret_key_rate_bps"] < 1000
    dry = [s for s in result.steps if s.title == "no QKD key"]
    assert dry and "ran dry" in dry[0].detail and "bit/s" in dry[0].detail


def test_cli_demo_hybrid_exit_codes_and_json(pki_dir: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(demo, ["hybrid", "--pki-dir", str(pki_dir), "--seed", "5"])
    assert ok.exit_code == 0, ok.output
    assert "OK: hybrid QKD+PQC session key agreed and confirmed" in ok.output
    assert "key confirmation" in ok.output and "ML-KEM-768 ciphertext 1088 B" in ok.output
    refused = runner.invoke(demo, ["hybrid", "--pki-dir", str(pki_dir), "--eve", "intercept-resend:0.7",
                                   "--seed", "5"])
    assert refused.exit_code == 1 and "REFUSED" in refused.output
    tampered = runner.invoke(demo, ["hybrid", "--pki-dir", str(pki_dir), "--tamper", "kem-ciphertext", "--json"])
    assert tampered.exit_code == 1
    data = json.loads(tampered.output)
    assert data["outcome"] == "confirmation-failed" and data["keys_agree"] is False
    bad = runner.invoke(demo, ["hybrid", "--eve", "pns:0.5"])
    assert bad.exit_code == 2 and "intercept-resend" in bad.output
    assert sorted(TAMPER_CHOICES) == sorted(t.value for t in Tamper)
