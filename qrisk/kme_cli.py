"""``qrisk kme serve`` (ETSI GS QKD 014 key managers) and ``qrisk demo hybrid`` (QKD + PQC key exchange).

The lead registers the two groups in the main ``qrisk`` group::

    from qrisk.kme_cli import demo, kme
    main.add_command(kme)
    main.add_command(demo)
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from qrisk.clicommon import EXIT_FINDINGS, QriskGroup, emit, output_options, resolve_format
from qrisk.errors import InputError

TAMPER_CHOICES = ["qkd-key", "kem-ciphertext", "x25519-share", "key-id"]
"""Values of :class:`qrisk.demo.Tamper` (listed here so the CLI loads without the demo module)."""




@click.group(cls=QriskGroup)
def kme() -> None:
    """ETSI GS QKD 014 key managers (KMEs) fed by a simulated QKD link."""


@kme.command("serve")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A qrisk.kme/1 YAML file describing KMEs, certificates and links.")
@click.option("--demo", is_flag=True, help="Two KMEs (KME_A, KME_B) with a fresh demo PKI in --pki-dir.")
@click.option("--pki-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --demo: where the CA, KME and SAE certificates are created (or reused).")
@click.option("--host", default=None, help="Bind address (default 127.0.0.1; only loopback unless told).")
@click.option("--port", type=click.IntRange(0, 65534), default=8443, show_default=True,
              help="With --demo: KME_A's port; KME_B listens on PORT+1 (0 = any free ports).")
@click.option("--distance-km", type=click.FloatRange(0, 1000), default=20.0, show_default=True,
              help="With --demo: fibre length of the simulated link.")
@click.option("--eve", default=None, metavar="intercept-resend:FRACTION",
              help="With --demo: an eavesdropper on the link (QBER over 11 % stops the key flow).")
@click.option("--lenient", is_flag=True,
              help="Also accept the qkdsec doctor's request patterns (see README: strict vs lenient).")
@click.option("--bidirectional", is_flag=True, help="With --demo: SAE_B may also be master towards SAE_A.")
@click.option("--prefill", "prefill_s", type=click.FloatRange(0, 86400), default=1.0, show_default=True,
              help="With --demo: start as if the link had run this many seconds.")
def serve(
    config_path: Path | None, demo: bool, pki_dir: Path | None, host: str | None, port: int,
    distance_km: float, eve: str | None, lenient: bool, bidirectional: bool, prefill_s: float,
) -> None:
    """Serve KMEs over HTTPS with mutual TLS until Ctrl-C.

    \b
    Examples:
      qrisk kme serve --demo --pki-dir ./pki
      qrisk kme serve --demo --pki-dir ./pki --port 9443 --distance-km 150 --lenient
      qrisk kme serve --config kme.yaml
    """
    from qrisk.qkd.kme import KmeMode, build_network, demo_network_config, load_network_config
    from qrisk.qkd.kme_pki import DEFAULT_HOSTS, ensure_demo_pki
    from qrisk.qkd.kme_server import KmeCluster, serve_until_signalled

    if demo == (config_path is not None):
        raise InputError("give exactly one of --config FILE or --demo --pki-dir DIR")
    if demo:
        if pki_dir is None:
            raise InputError("--demo needs --pki-dir DIR (the SAE certificates are written there)")
        bind = host or "127.0.0.1"
        pki = ensure_demo_pki(pki_dir, hosts=(*DEFAULT_HOSTS, bind))
        cfg = demo_network_config(
            pki, port=port, host=bind, distance_km=distance_km, eve=eve,
            mode=KmeMode.LENIENT if lenient else KmeMode.STRICT, bidirectional=bidirectional,
            prefill_s=prefill_s,
        )
    else:
        for name, value in (("--eve", eve), ("--pki-dir", pki_dir)):
            if value is not None:
                raise InputError(f"{name} goes with --demo; put it in the config file instead")
        assert config_path is not None
        cfg = load_network_config(config_path)
        if lenient:
            cfg = cfg.model_copy(update={"mode": KmeMode.LENIENT})
        if host is not None:
            cfg = cfg.model_copy(update={"host": host})
    network = build_network(cfg)
    cluster = KmeCluster(network).start()
    home = cfg.sae_home()
    click.echo(f"qrisk KMEs ({cfg.mode.value} ETSI GS QKD 014 V1.1.1, mutual TLS) — Ctrl-C to stop")
    for kme_id, url in cluster.urls.items():
        saes = ", ".join(s for s, k in home.items() if k == kme_id)
        click.echo(f"  {kme_id}  {url}/api/v1/keys/   SAEs: {saes}")
    for link_cfg, a in zip(cfg.links, network.links, strict=True):
        state = f"ABORTED ({a.abort_reason})" if a.aborted else (
            "key flowing" if a.secret_key_rate_bps > 0 else "no secret key at this distance")
        pairs = ", ".join(f"{m}→{s}" for m, s in link_cfg.pairs)
        click.echo(f"  link {link_cfg.between[0]}–{link_cfg.between[1]}: {a.distance_km:g} km {a.protocol}, "
                   f"secret-key rate {a.secret_key_rate_bps:,.0f} bit/s, Monte Carlo QBER {a.mc_qber:.2%} "
                   f"(abort above {a.abort_qber:.0%}): {state}; pools {pairs}")
    if demo:
        assert pki_dir is not None
        a_url = cluster.urls["KME_A"]
        click.echo(f"  PKI in {pki_dir}: ca.crt, kme-a.crt/.key, kme-b.crt/.key, sae-a.crt/.key, sae-b.crt/.key")
        click.echo(f"  try: curl --cacert {pki_dir}/ca.crt --cert {pki_dir}/sae-a.crt --key {pki_dir}/sae-a.key "
                   f"{a_url}/api/v1/keys/SAE_B/status")
    sys.stdout.flush()
    serve_until_signalled(cluster)


@click.group(cls=QriskGroup)
def demo() -> None:
    """Working demos."""


@demo.command("hybrid")
@click.option("--distance-km", type=click.FloatRange(0, 1000), default=20.0, show_default=True,
              help="Fibre length of the QKD link (long links fill the key pool slowly, or not at all).")
@click.option("--eve", default=None, metavar="intercept-resend:FRACTION",
              help="An intercept-resend eavesdropper on the link.")
@click.option("--policy", type=click.Choice(["refuse", "pqc-only"]), default="refuse", show_default=True,
              help="When no QKD key can be had: refuse the session, or fall back to ML-KEM-768 + X25519.")
@click.option("--messages", type=click.IntRange(0, 1000), default=3, show_default=True,
              help="AES-256-GCM messages each way.")
@click.option("--key-wait", "key_wait_s", type=click.FloatRange(0, 600), default=3.0, show_default=True,
              help="Seconds Alice's SAE waits for a QKD key before giving up.")
@click.option("--tamper", type=click.Choice(TAMPER_CHOICES),
              default=None, help="Let an attacker change one component; key confirmation must fail.")
@click.option("--pki-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Create (or reuse) the demo PKI here instead of a temporary folder.")
@click.option("--seed", type=int, default=None, help="Seed of the Monte Carlo run.")
@output_options(["text", "json"], "text")
def hybrid(
    distance_km: float, eve: str | None, policy: str, messages: int, key_wait_s: float, tamper: str | None,
    pki_dir: Path | None, seed: int | None, fmt: str, as_json: bool, output: Path | None,
) -> None:
    """Hybrid QKD + ML-KEM-768 + X25519 key exchange between two SAEs, end to end on loopback.

    Exit code 0 when a session key was agreed (QKD+PQC, or PQC-only by --policy pqc-only),
    1 when the session was refused or key confirmation failed, 2 on bad options.

    \b
    Examples:
      qrisk demo hybrid
      qrisk demo hybrid --eve intercept-resend:0.5 --policy pqc-only
      qrisk demo hybrid --distance-km 230
      qrisk demo hybrid --tamper kem-ciphertext --json
    """
    from qrisk.demo import (
        DemoOptions,
        FallbackPolicy,
        Tamper,
        format_header,
        format_json,
        format_step,
        format_summary,
        format_text,
        run_hybrid_demo,
    )

    fmt = resolve_format(fmt, as_json)
    options = DemoOptions(
        distance_km=distance_km, eve=eve, policy=FallbackPolicy(policy), messages=messages,
        key_wait_s=key_wait_s, tamper=Tamper(tamper) if tamper else None, pki_dir=pki_dir, seed=seed,
    )
    live = fmt == "text" and output is None
    if live:
        click.echo(format_header(options))
        result = run_hybrid_demo(options, on_step=lambda s: click.echo(format_step(s)))
        click.echo(format_summary(result))
    else:
        result = run_hybrid_demo(options)
        emit(format_json(result) if fmt == "json" else format_text(result, options), output)
    if not result.outcome.established:
        sys.exit(EXIT_FINDINGS)
