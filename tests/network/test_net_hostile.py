"""Hostile and broken peers: each gets a clear per-endpoint error, the scan goes on, no
traceback, and no wait past the timeout (hangs are caught by a generous watchdog; times are
not asserted)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import netservers
import pytest
from netservers import HostileServer

from qrisk.scan.network import ErrorReason, probe
from qrisk.scan.network.probe import EndpointResult, ProbeOptions

T = TypeVar("T")
TIMEOUT_S = 0.5
# Far above anything the timeouts allow: only a hang reaches it.
WATCHDOG_S = 60.0


def bounded(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it never returns."""
    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(WATCHDOG_S)
    if t.is_alive():
        pytest.fail(f"probe still running after {WATCHDOG_S:g} s: it hangs")
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return box["value"]  # type: ignore[return-value]


TLS_CASES = [
    (netservers.tls_garbage, ErrorReason.NOT_TLS, "not a TLS record"),
    (netservers.tls_http, ErrorReason.NOT_TLS, "HTTP"),
    (netservers.tls_truncated_record, ErrorReason.PROTOCOL_ERROR, "inside a TLS record"),
    (netservers.tls_16mb_handshake, ErrorReason.PROTOCOL_ERROR, "16777215 bytes"),
    (netservers.tls_oversized_record, ErrorReason.PROTOCOL_ERROR, "record length 65535"),
    (netservers.tls_close_mid_handshake, ErrorReason.PROTOCOL_ERROR, "closed"),
    (netservers.tls_close_silently, ErrorReason.HANDSHAKE_FAILURE, "without answering"),
    (netservers.tls_alert, ErrorReason.HANDSHAKE_FAILURE, "handshake_failure"),
    (netservers.tls_never_answers, ErrorReason.TIMEOUT, "no answer"),
    (netservers.tls_drip, ErrorReason.TIMEOUT, "incomplete answer"),
]
SSH_CASES = [
    (netservers.ssh_garbage, ErrorReason.NOT_SSH, "longer than 255"),
    (netservers.ssh_close, ErrorReason.NOT_SSH, "without sending an SSH identification"),
    (netservers.ssh_huge_packet, ErrorReason.PROTOCOL_ERROR, "packet length"),
    (netservers.ssh_silent_after_banner, ErrorReason.TIMEOUT, "within 0.5 s"),
    (netservers.ssh_version1, ErrorReason.HANDSHAKE_FAILURE, "protocol 1.5"),
    (netservers.tls_alert, ErrorReason.NOT_SSH, "TLS"),
]


def _probe_one(target: str) -> EndpointResult:
    [res] = bounded(lambda: probe.probe_endpoints([target], timeout_s=TIMEOUT_S))
    return res


@pytest.mark.parametrize(("behaviour", "reason", "words"), TLS_CASES, ids=[c[0].__name__ for c in TLS_CASES])
def test_hostile_tls_peer(behaviour: netservers.Behaviour, reason: ErrorReason, words: str) -> None:
    with HostileServer(behaviour) as server:
        res = _probe_one(f"127.0.0.1:{server.port}/tls")
    assert res.error is not None, res.findings
    assert res.error.location == f"tls://127.0.0.1:{server.port}"
    assert (res.error.reason, words in res.error.detail) == (reason.value, True), res.error.detail
    assert res.findings == []


@pytest.mark.parametrize(("behaviour", "reason", "words"), SSH_CASES, ids=[c[0].__name__ for c in SSH_CASES])
def test_hostile_ssh_peer(behaviour: netservers.Behaviour, reason: ErrorReason, words: str) -> None:
    with HostileServer(behaviour) as server:
        res = _probe_one(f"127.0.0.1:{server.port}/ssh")
    assert res.error is not None, res.findings
    assert (res.error.reason, words in res.error.detail) == (reason.value, True), res.error.detail
    assert res.findings == []


def test_refused_port() -> None:
    port = netservers.free_port()
    res = _probe_one(f"127.0.0.1:{port}")
    assert res.error is not None and res.error.reason == ErrorReason.REFUSED.value


def test_one_scan_with_every_hostile_peer_and_a_real_server(openssl_rsa_port: int) -> None:
    behaviours = [b for b, _, _ in TLS_CASES]
    servers = [HostileServer(b) for b in behaviours]
    ssh_servers = [HostileServer(b) for b, _, _ in SSH_CASES]
    for s in (*servers, *ssh_servers):
        s.__enter__()
    try:
        targets = [f"127.0.0.1:{s.port}" for s in servers] + [f"127.0.0.1:{s.port}/ssh" for s in ssh_servers]
        targets.insert(len(targets) // 2, f"127.0.0.1:{openssl_rsa_port}")
        results = bounded(lambda: probe.probe_endpoints(targets, options=ProbeOptions(timeout_s=TIMEOUT_S, concurrency=4)))
    finally:
        for s in (*servers, *ssh_servers):
            s.__exit__(None, None, None)
    assert [r.location.split("://")[1] for r in results] == [t.split("/")[0] for t in targets]
    good = [r for r in results if r.location.endswith(f":{openssl_rsa_port}")]
    assert len(good) == 1 and good[0].error is None and good[0].findings
    expected = [reason.value for _, reason, _ in TLS_CASES] + [reason.value for _, reason, _ in SSH_CASES]
    got = [r.error.reason for r in results if r is not good[0] and r.error is not None]
    assert got == expected


def test_concurrency_is_bounded() -> None:
    with HostileServer(netservers.slow_garbage, ports=9) as server:
        targets = [f"127.0.0.1:{p}" for p in server.ports]
        results = bounded(lambda: probe.probe_endpoints(targets, options=ProbeOptions(timeout_s=2, concurrency=3)))
    assert all(r.error is not None and r.error.reason == ErrorReason.NOT_TLS.value for r in results)
    assert 1 < server.max_active <= 3


def test_duplicates_are_probed_once() -> None:
    with HostileServer(netservers.tls_garbage) as server:
        target = f"127.0.0.1:{server.port}"
        results = bounded(lambda: probe.probe_endpoints([target, f"tls://{target}", f"{target}/tls"], timeout_s=TIMEOUT_S))
        assert len(results) == 1 and server.connections == 1


def test_protocol_mixups_give_hints(openssl_rsa_port: int, sshd: netservers.SshdInstance) -> None:
    results = bounded(lambda: probe.probe_endpoints(
        [f"127.0.0.1:{sshd.ports[0]}/tls", f"127.0.0.1:{openssl_rsa_port}/ssh"], timeout_s=2))
    tls_at_ssh, ssh_at_tls = results
    assert tls_at_ssh.error is not None and tls_at_ssh.error.reason == ErrorReason.NOT_TLS.value
    assert "/ssh" in tls_at_ssh.error.detail
    assert ssh_at_tls.error is not None and ssh_at_tls.error.reason == ErrorReason.NOT_SSH.value


def test_retries_are_off_by_default_and_retry_refused_connects(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    real_connect = socket.socket.connect
    calls: list[object] = []

    def flaky_connect(self: socket.socket, address: object) -> None:
        calls.append(address)
        if len(calls) == 1:
            raise ConnectionRefusedError("first attempt refused")
        real_connect(self, address)  # type: ignore[arg-type]

    with HostileServer(netservers.tls_garbage) as server:
        target = f"127.0.0.1:{server.port}"
        monkeypatch.setattr(socket.socket, "connect", flaky_connect)
        [res] = bounded(lambda: probe.probe_endpoints([target], timeout_s=TIMEOUT_S))
        assert res.error is not None and res.error.reason == ErrorReason.REFUSED.value and len(calls) == 1
        calls.clear()
        [res] = bounded(lambda: probe.probe_endpoints([target], timeout_s=TIMEOUT_S, retries=1))
        assert res.error is not None and res.error.reason == ErrorReason.NOT_TLS.value and len(calls) == 2


def test_a_profile_cut_short_keeps_what_it_learned() -> None:
    with HostileServer(netservers.tls12_once_then_silent()) as server:
        res = _probe_one(f"127.0.0.1:{server.port}")
    assert res.error is not None and res.error.reason == ErrorReason.TIMEOUT.value
    assert "profile incomplete" in res.error.detail
    [proto] = [f for f in res.findings if f.rule_id == probe.RULE_TLS_PROTOCOL]
    assert proto.version == "1.2"
    assert any(n.startswith("incomplete: timeout") for n in proto.notes)
    assert {f.algorithm for f in res.findings if f.rule_id == probe.RULE_TLS_CIPHER} == {"AES-128"}
