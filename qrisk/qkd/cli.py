"""``qrisk qkd …``: key rates, sweeps with an SVG chart, the pulse-level simulator and networks."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from qrisk.clicommon import emit, output_options, resolve_format
from qrisk.errors import InputError
from qrisk.model import to_dict
from qrisk.qkd.channel import Channel, ParameterError, fibre_preset
from qrisk.qkd.params import qkd_catalog
from qrisk.qkd.rates import CvDetection, DecoyMethod, FiniteKey, KeyRate, Protocol, key_rate, plob_bound

F = TypeVar("F", bound=Callable[..., Any])

# Library parameter name -> the CLI option that sets it (so errors name what the user typed).
_OPTION_FOR = {
    "length_km": "--distance-km",
    "loss_db_per_km": "--loss-db-per-km",
    "extra_loss_db": "--extra-loss-db",
    "total_loss_db": "--total-loss-db",
    "detector_efficiency": "--detector-efficiency",
    "dark_count_prob": "--dark-count-prob",
    "misalignment": "--misalignment",
    "ec_efficiency": "--ec-efficiency",
    "rep_rate_hz": "--rep-rate-hz",
    "excess_noise_snu": "--excess-noise",
    "electronic_noise_snu": "--electronic-noise",
    "reconciliation_efficiency": "--reconciliation-efficiency",
    "modulation_variance_snu": "--modulation-variance",
    "weak_decoy_mu": "--weak-decoy-mu",
    "basis_bias": "--basis-bias",
    "mu": "--mu",
    "block_pulses": "--finite-block",
    "epsilon_sec": "--epsilon-sec",
    "pulses": "--pulses",
    "eve": "--eve",
    "hardware": "--hardware",
    "fibre": "--fibre",
    "protocol": "--protocol",
}


@contextmanager
def _options_named() -> Iterator[None]:
    """Re-raise a library ParameterError naming the command-line option."""
    try:
        yield
    except ParameterError as exc:
        raise InputError(f"{_OPTION_FOR.get(exc.parameter, exc.parameter)}: {exc.detail}") from None


def _pulse_count(value: str) -> int:
    try:
        n = float(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a number", param_hint="'--pulses'") from None
    if not n.is_integer() or n < 1:
        raise click.BadParameter(f"must be a whole number >= 1 (got {value})", param_hint="'--pulses'")
    return int(n)


def _channel_options(func: F) -> F:
    """Options describing the link hardware; unset ones take the protocol's catalog defaults."""
    opts = [
        click.option("--hardware", default=None, help="Named hardware set from the QKD catalog (e.g. gys, default-dv)."),
        click.option("--fibre", default=None, help="Fibre preset: standard, ultra-low-loss, korzh-2015, gys."),
        click.option("--loss-db-per-km", type=float, default=None, help="Fibre attenuation (dB/km)."),
        click.option("--extra-loss-db", type=float, default=None, help="Connector/insertion losses (dB)."),
        click.option("--total-loss-db", type=float, default=None, help="Whole channel loss (dB); replaces fibre loss."),
        click.option("--detector-efficiency", type=float, default=None, help="Detection efficiency in (0, 1]."),
        click.option("--dark-count-prob", type=float, default=None, help="Dark-count probability per gate (all detectors)."),
        click.option("--misalignment", type=float, default=None, help="Optical misalignment error e_det in [0, 0.5]."),
        click.option("--ec-efficiency", type=float, default=None, help="Error-correction inefficiency f >= 1 (CV: beta = 1/f)."),
        click.option("--rep-rate-hz", type=float, default=None, help="Pulse or symbol rate (Hz)."),
        click.option("--excess-noise", type=float, default=None, help="CV: excess noise (shot-noise units)."),
        click.option("--electronic-noise", type=float, default=None, help="CV: electronic noise (shot-noise units)."),
        click.option("--reconciliation-efficiency", type=float, default=None, help="CV: beta in (0, 1]."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def _build_channel(protocol: str, distance_km: float | None, kw: dict[str, Any]) -> Channel:
    loss = kw.get("loss_db_per_km")
    if kw.get("fibre"):
        if loss is not None:
            raise InputError("--fibre and --loss-db-per-km both set the attenuation: give one")
        loss = fibre_preset(kw["fibre"])
    ec = kw.get("ec_efficiency")
    beta = kw.get("reconciliation_efficiency")
    if protocol == Protocol.CV_GG02 and ec is not None:
        if ec < 1:
            raise InputError(f"--ec-efficiency: must be >= 1 (got {ec:g}); for CV use --reconciliation-efficiency")
        beta = beta if beta is not None else 1.0 / ec
        ec = None
    if distance_km is None and kw.get("total_loss_db") is None:
        raise InputError("--distance-km: required (or give --total-loss-db)")
    return Channel.for_protocol(
        protocol,
        hardware=kw.get("hardware"),
        length_km=distance_km if distance_km is not None else 0.0,
        loss_db_per_km=loss,
        extra_loss_db=kw.get("extra_loss_db"),
        total_loss_db=kw.get("total_loss_db"),
        detector_efficiency=kw.get("detector_efficiency"),
        dark_count_prob=kw.get("dark_count_prob"),
        misalignment=kw.get("misalignment"),
        ec_efficiency=ec,
        rep_rate_hz=kw.get("rep_rate_hz"),
        excess_noise_snu=kw.get("excess_noise"),
        electronic_noise_snu=kw.get("electronic_noise"),
        reconciliation_efficiency=beta,
    )


_CHANNEL_KEYS = (
    "hardware", "fibre", "loss_db_per_km", "extra_loss_db", "total_loss_db", "detector_efficiency",
    "dark_count_prob", "misalignment", "ec_efficiency", "rep_rate_hz", "excess_noise", "electronic_noise",
    "reconciliation_efficiency",
)


def _split_channel(kw: dict[str, Any]) -> dict[str, Any]:
    return {k: kw.pop(k) for k in _CHANNEL_KEYS}


def _g(v: float | None, unit: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not math.isfinite(v):
        return "inf"
    return f"{v:.4g}{unit}"


@click.group("qkd")
def qkd() -> None:
    """QKD link physics, pulse-level simulation and trusted-node networks."""


# --------------------------------------------------------------------------- rate


def _rate_json(r: KeyRate) -> dict[str, Any]:
    d = to_dict(r)
    d["channel"] = to_dict(r.channel)
    d["channel"].pop("label", None)
    return d


def _rate_table(r: KeyRate) -> str:
    rows = [
        ("protocol", r.protocol.value),
        ("distance", _g(r.distance_km, " km")),
        ("channel loss", _g(r.channel_loss_db, " dB")),
        ("secret key rate", f"{_g(r.secret_key_rate_bits_per_pulse)} bits/pulse  ({_g(r.secret_key_rate_bps)} b/s)"),
        ("PLOB bound", f"{_g(r.plob_bound_bits_per_pulse)} bits/use  ({_g(r.plob_bound_bps)} b/s)"),
        ("exceeds PLOB", "yes" if r.exceeds_plob else "no"),
    ]
    if r.optimal_mu is not None:
        rows.append(("optimal mu", _g(r.optimal_mu)))
    if r.send_probability is not None:
        rows.append(("sending probability", _g(r.send_probability)))
    if r.modulation_variance_snu is not None:
        rows.append(("modulation variance", _g(r.modulation_variance_snu, " SNU")))
    if r.qber is not None:
        label = "QBER (Z window, before pairing)" if r.protocol is Protocol.TF_QKD else "QBER"
        rows.append((label, f"{r.qber:.3%}"))
    if r.finite_key is not None:
        rows.append(("finite key", f"N={r.finite_key.block_pulses:.3g}, eps_sec={r.finite_key.epsilon_sec:g}"))
        rows.append(("asymptotic rate", f"{_g(r.asymptotic_rate_bits_per_pulse)} bits/pulse"))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows) + "\n"


@qkd.command("rate")
@click.option("--protocol", required=True, type=click.Choice([p.value for p in Protocol]), help="Key-rate model.")
@click.option("--distance-km", type=float, default=None, help="Fibre length in km.")
@_channel_options
@click.option("--decoys", type=click.Choice([d.value for d in DecoyMethod]), default=None, help="Decoy analysis (BB84).")
@click.option("--weak-decoy-mu", type=float, default=None, help="Weak decoy intensity for vacuum-weak.")
@click.option("--basis-bias", type=float, default=None, help="Probability of the key basis (efficient BB84).")
@click.option("--mu", type=float, default=None, help="Fix the signal intensity instead of optimising it.")
@click.option("--detection", type=click.Choice([d.value for d in CvDetection]), default=None, help="CV detection.")
@click.option("--modulation-variance", type=float, default=None, help="CV: fix V_A (SNU) instead of optimising.")
@click.option("--finite-block", type=float, default=None, help="Finite-key block size in pulses (default: asymptotic).")
@click.option("--epsilon-sec", type=float, default=None, help="Finite-key secrecy parameter.")
@click.option("--no-aopp", is_flag=True, default=False, help="TF-QKD: do not use odd-parity pairing.")
@output_options(["table", "json"], "table")
def rate_cmd(protocol: str, distance_km: float | None, fmt: str, as_json: bool, output: Path | None, **kw: Any) -> None:
    """Secret key rate of one link, with the PLOB bound."""
    ch_kw = _split_channel(kw)
    with _options_named():
        ch = _build_channel(protocol, distance_km, ch_kw)
        finite = FiniteKey.default(kw["finite_block"], kw["epsilon_sec"]) if kw["finite_block"] is not None else None
        r = key_rate(
            protocol, ch, decoys=kw["decoys"], weak_decoy_mu=kw["weak_decoy_mu"], basis_bias=kw["basis_bias"],
            detection=kw["detection"], mu=kw["mu"], modulation_variance_snu=kw["modulation_variance"],
            finite_key=finite, aopp=not kw["no_aopp"],
        )
    if resolve_format(fmt, as_json) == "json":
        emit(json.dumps(_rate_json(r), indent=2) + "\n", output)
    else:
        emit(_rate_table(r), output)


# --------------------------------------------------------------------------- sweep


def _sweep_svg(protocols: list[str], distances: list[float], rows: list[KeyRate], plob: list[float], alpha: float) -> str:
    from qrisk.qkd.svg import Series, log_line_chart

    series = [
        Series(p, distances, [r.secret_key_rate_bits_per_pulse for r in rows if r.protocol.value == p]) for p in protocols
    ]
    series.append(Series("PLOB bound", distances, plob, dashed=True, colour="#000000"))
    return log_line_chart(
        series, title=f"Secret key rate vs distance ({alpha:g} dB/km)", x_label="distance (km)",
        y_label="secret key rate (bits per pulse)",
    )


@qkd.command("sweep")
@click.option("--protocols", default=",".join(p.value for p in Protocol), show_default=True,
              help="Comma-separated protocols.")
@click.option("--min-km", type=float, default=0.0, show_default=True)
@click.option("--max-km", type=float, default=300.0, show_default=True)
@click.option("--step-km", type=float, default=10.0, show_default=True)
@_channel_options
@output_options(["table", "csv", "svg", "json"], "table")
def sweep_cmd(protocols: str, min_km: float, max_km: float, step_km: float, fmt: str, as_json: bool,
              output: Path | None, **kw: Any) -> None:
    """Rate vs distance for several protocols over one fibre, with the PLOB bound."""
    names = [p.strip() for p in protocols.split(",") if p.strip()]
    known = {p.value for p in Protocol}
    for n in names:
        if n not in known:
            raise InputError(f"--protocols: unknown protocol {n!r} (known: {', '.join(sorted(known))})")
    if not names:
        raise InputError("--protocols: give at least one protocol")
    if min_km < 0:
        raise InputError(f"--min-km: must be >= 0 (got {min_km:g})")
    if step_km <= 0 or max_km < min_km:
        raise InputError("--step-km must be > 0 and --max-km >= --min-km")
    if (max_km - min_km) / step_km > 5000:
        raise InputError("--step-km: too many points (at most 5000)")
    ch_kw = _split_channel(kw)
    if ch_kw.get("total_loss_db") is not None:
        raise InputError("--total-loss-db: not meaningful for a sweep over distance")
    if ch_kw.get("loss_db_per_km") is None and not ch_kw.get("fibre"):
        ch_kw["fibre"] = "standard"  # one fibre for every protocol, so the curves compare
    n_points = math.floor((max_km - min_km) / step_km + 1e-9) + 1
    distances = [min_km + i * step_km for i in range(n_points)]
    rows: list[KeyRate] = []
    with _options_named():
        channels = {p: _build_channel(p, min_km, ch_kw) for p in names}
        for p in names:
            for d in distances:
                rows.append(key_rate(p, channels[p].with_length(d)))
    alpha = channels[names[0]].loss_db_per_km
    plob = [plob_bound(channels[names[0]].with_length(d).channel_transmittance) for d in distances]
    out_fmt = resolve_format(fmt, as_json)
    if out_fmt == "json":
        emit(json.dumps([_rate_json(r) for r in rows], indent=2) + "\n", output)
    elif out_fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["distance_km", "protocol", "secret_key_rate_bits_per_pulse", "secret_key_rate_bps",
                    "plob_bound_bits_per_pulse", "optimal_mu"])
        for r in rows:
            w.writerow([f"{r.distance_km:g}", r.protocol.value, f"{r.secret_key_rate_bits_per_pulse:.6g}",
                        f"{r.secret_key_rate_bps:.6g}", f"{r.plob_bound_bits_per_pulse:.6g}",
                        "" if r.optimal_mu is None else f"{r.optimal_mu:.4g}"])
        emit(buf.getvalue(), output)
    elif out_fmt == "svg":
        emit(_sweep_svg(names, distances, rows, plob, alpha), output)
    else:
        header = ["km", *names, "PLOB"]
        table = [header]
        for i, d in enumerate(distances):
            vals = [_g(rows[j * len(distances) + i].secret_key_rate_bits_per_pulse) for j in range(len(names))]
            table.append([f"{d:g}", *vals, _g(plob[i])])
        widths = [max(len(r[c]) for r in table) for c in range(len(header))]
        lines = ["  ".join(c.rjust(widths[k]) for k, c in enumerate(r)) for r in table]
        emit("secret key rate, bits per pulse\n" + "\n".join(lines) + "\n", output)


# --------------------------------------------------------------------------- simulate


@qkd.command("simulate")
@click.option("--pulses", required=True, type=str, help="Number of pulses (e.g. 1e7).")
@click.option("--distance-km", type=float, required=True)
@click.option("--eve", default=None, help="Eavesdropper: intercept-resend:FRACTION or pns[:FRACTION].")
@click.option("--seed", type=int, default=None, help="Random seed (for a reproducible run).")
@click.option("--mu", type=float, default=None, help="Signal intensity (default from the catalog).")
@click.option("--basis-bias", type=float, default=None, help="Probability of the Z (key) basis.")
@_channel_options
@output_options(["table", "json"], "table")
def simulate_cmd(pulses: str, distance_km: float, eve: str | None, seed: int | None, mu: float | None,
                 basis_bias: float | None, fmt: str, as_json: bool, output: Path | None, **kw: Any) -> None:
    """Pulse-level BB84 with decoys: sifting, QBER, Cascade, privacy amplification, abort or not."""
    from qrisk.qkd.montecarlo import parse_eve, simulate

    n = _pulse_count(pulses)
    if n > 2_000_000_000:
        raise InputError(f"--pulses: at most 2e9 per run (got {n:g})")
    ch_kw = _split_channel(kw)
    with _options_named():
        ch = _build_channel("efficient-bb84", distance_km, ch_kw)
        attacker = parse_eve(eve) if eve else None
        intensities = None
        if mu is not None:
            fk = qkd_catalog().finite_key
            if not mu > fk.weak_decoy_mu + fk.vacuum_mu:
                raise ParameterError("mu", f"must exceed the weak decoy {fk.weak_decoy_mu:g} (got {mu:g})")
            intensities = (mu, fk.weak_decoy_mu, fk.vacuum_mu)
        run = simulate(n, ch, eve=attacker, seed=seed, intensities=intensities, basis_bias=basis_bias)
    r = run.result
    if resolve_format(fmt, as_json) == "json":
        emit(json.dumps(r.to_dict(), indent=2) + "\n", output)
        return
    rows = [
        ("pulses", f"{r.pulses:,}"),
        ("distance", f"{r.distance_km:g} km ({r.channel_loss_db:.3g} dB)"),
        ("eavesdropper", f"{r.eve.kind.value}:{r.eve.fraction:g}" if r.eve else "none"),
        ("detections", f"{r.detections:,}"),
        ("sifted key (Z)", f"{r.sifted_z_bits:,} bits"),
        ("test bits (X)", f"{r.sifted_x_bits:,} bits"),
        ("QBER (X, measured)", f"{r.qber_x:.3%}"),
        ("QBER (Z, after EC)", "-" if math.isnan(r.qber_z) else f"{r.qber_z:.3%}"),
        ("phase error bound", "-" if math.isnan(r.phase_error_upper) else f"{r.phase_error_upper:.3%}"),
        ("leaked bits (Cascade)", f"{r.leaked_bits_ec:,}"),
        ("final key", f"{r.final_key_bits:,} bits ({r.key_rate_bits_per_pulse:.3g} bits/pulse)"),
        ("keys identical", "yes" if r.keys_identical else "no"),
        ("result", f"ABORT: {r.abort_reason}" if r.aborted else "ok"),
    ]
    width = max(len(k) for k, _ in rows)
    emit("\n".join(f"{k:<{width}}  {v}" for k, v in rows) + "\n", output)


# --------------------------------------------------------------------------- network


@qkd.command("network")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--from", "source", default=None, help="Source site id.")
@click.option("--to", "target", default=None, help="Target site id.")
@click.option("--demand", default=None, help="Key demand TUNNELS/SECONDS: tunnels rekeying every SECONDS (e.g. 100/60).")
@click.option("--key-bits", type=int, default=256, show_default=True, help="Bits per rekey (AES-256: 256).")
@click.option("--horizon-s", type=float, default=None, help="Simulated time for the key pool (default: 1 h or 100 periods).")
@click.option("--initial-pool-bits", type=float, default=0.0, show_default=True, help="Key in the pool at the start.")
@click.option("--own-relays-only", is_flag=True, default=False,
              help="Forbid relays through sites not owned by the organisation.")
@output_options(["table", "json"], "table")
def network_cmd(file: Path, source: str | None, target: str | None, demand: str | None, key_bits: int,
                horizon_s: float | None, initial_pool_bits: float, own_relays_only: bool, fmt: str, as_json: bool,
                output: Path | None) -> None:
    """Link rates, end-to-end capacity (max-flow over trusted relays), exposure and demand."""
    from qrisk.manifest import load_manifest
    from qrisk.qkd.network import QkdNetwork, parse_demand, simulate_key_pool

    if (source is None) != (target is None):
        raise InputError("--from and --to go together")
    if demand is not None and source is None:
        raise InputError("--demand needs --from and --to")
    m = load_manifest(file)
    if not m.qkd_links:
        raise InputError(f"{file}: no qkd_links in this manifest")
    with _options_named():
        net = QkdNetwork.build(m.sites, m.qkd_links, m.organisation)
    pairs = [(source, target)] if source is not None and target is not None else _pairs(net.end_sites())
    caps = [net.capacity(a, b, own_relays_only=own_relays_only) for a, b in pairs]
    pool = None
    if demand is not None:
        d = parse_demand(demand, key_bits)
        pool = simulate_key_pool(caps[0].max_flow_bps, d, horizon_s=horizon_s, initial_bits=initial_pool_bits)
    if resolve_format(fmt, as_json) == "json":
        body = net.to_dict()
        body["own_relays_only"] = own_relays_only
        body["capacities"] = [to_dict(c) for c in caps]
        if pool is not None:
            body["key_pool"] = to_dict(pool)
        emit(json.dumps(body, indent=2) + "\n", output)
        return
    lines = [f"links ({len(net.rates)}):"]
    for r in net.rates.values():
        lines.append(f"  {r.id:<24} {r.a:>12} - {r.b:<12} {r.protocol:<14} {r.length_km:7.1f} km "
                     f"{r.channel_loss_db:6.1f} dB  {_g(r.secret_key_rate_bps)} b/s")
    lines.append("")
    lines.append("end-to-end capacity (max-flow over trusted relays):")
    for c in caps:
        lines.append(f"  {c.source} -> {c.target}: {_g(c.max_flow_bps)} b/s "
                     f"(widest single path {_g(c.widest_path_bps)} b/s), relay overhead {c.relay_overhead:.2f}")
        for p in c.paths:
            lines.append(f"    {_g(p.rate_bps)} b/s via {' > '.join(p.sites)}")
        lines.append(f"    sites that see the key: {', '.join(c.exposed_sites) or 'none (direct link)'}")
        if own_relays_only and c.excluded_relays:
            lines.append(f"    not allowed to relay: {', '.join(c.excluded_relays)}")
    if pool is not None:
        lines.append("")
        lines.append(f"demand {pool.demand_bps:.4g} b/s vs supply {pool.supply_bps:.4g} b/s over {pool.horizon_s:g} s:")
        lines.append(f"  requests met {pool.requests_met:,}/{pool.requests:,} ({pool.fraction_of_requests_met:.1%}); "
                     f"time with demand met {pool.fraction_of_time_met:.1%}")
    emit("\n".join(lines) + "\n", output)


def _pairs(ends: list[str]) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(ends) for b in ends[i + 1 :]]


@qkd.command("validate")
@output_options(["table", "json"], "table")
def validate_cmd(fmt: str, as_json: bool, output: Path | None) -> None:
    """Compare the models with the catalog's computed points and published experiments."""
    from qrisk.qkd.validation import validation_rows

    rows = validation_rows()
    if resolve_format(fmt, as_json) == "json":
        emit(json.dumps([to_dict(r) for r in rows], indent=2) + "\n", output)
        return
    lines = [f"{'id':<30} {'model':>11} {'expected':>11} {'ratio':>7}  tol   ok"]
    for r in rows:
        lines.append(f"{r.id:<30} {r.model:>11.4g} {r.expected:>11.4g} {r.ratio:>7.3f}  {r.tolerance:<5} "
                     f"{'yes' if r.passed else 'NO'}")
    emit("\n".join(lines) + "\n", output)
