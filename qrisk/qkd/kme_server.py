"""Run the KME apps of :mod:`qrisk.qkd.kme` with uvicorn over mutual TLS, in one background thread.

uvicorn's ``ssl_cert_reqs=CERT_REQUIRED`` refuses clients without a certificate (or with one from
another CA) during the handshake, but the ASGI app does not learn *which* certificate was used.
:class:`PeerCertH11Protocol` reads the verified peer certificate once per connection and puts the
SAE identity into the scope's ``state`` of every request on that connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import signal
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from qrisk.qkd.kme import PEER_STATE_KEY, KmeError, KmeNetwork
from qrisk.qkd.kme_http import create_app


@dataclass(frozen=True)
class TlsPeer:
    """The verified client certificate of a connection."""

    sae_id: str | None
    """Subject common name (the SAE ID); None when absent or ambiguous."""
    fingerprint_sha256: str
    """SHA-256 of the DER certificate (public; for logs and pinning)."""


def peer_from_ssl(ssl_object: ssl.SSLObject | ssl.SSLSocket | None) -> TlsPeer | None:
    """The SAE identity of a TLS connection's (already verified) client certificate."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    info: dict[str, Any] = ssl_object.getpeercert() or {}
    cns = [value for rdn in info.get("subject", ()) for (attr, value) in rdn if attr == "commonName"]
    return TlsPeer(cns[0] if len(cns) == 1 else None, hashlib.sha256(der).hexdigest())


class PeerCertH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, plus the client certificate's identity in ``scope["state"]``.

    ``app_state`` is copied into each request's scope; giving every connection its own copy with
    the peer identity in it is enough, and costs one ``getpeercert`` per connection.
    """

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        peer = peer_from_ssl(transport.get_extra_info("ssl_object"))
        self.app_state = {**self.app_state, PEER_STATE_KEY: peer}

    def shutdown(self) -> None:
        """On server shutdown, drop idle keep-alive connections at once.

        uvicorn's ``transport.close()`` on a TLS transport waits for the client's close_notify, which
        a client holding an idle pooled connection never sends; shutdown would then hang.
        """
        if self.cycle is None or self.cycle.response_complete:
            with contextlib.suppress(Exception):
                self.conn.send(h11.ConnectionClosed())
            self.transport.abort()
        else:
            super().shutdown()


def _bind(host: str, port: int) -> socket.socket:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise KmeError(f"cannot resolve bind address {host!r}: {exc}") from None
    family, socktype, proto, _, addr = infos[0]
    sock = socket.socket(family, socktype, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        raise KmeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


@dataclass
class _Running:
    kme_id: str
    server: Any
    sock: socket.socket
    host: str
    port: int


class KmeCluster:
    """All KMEs of a network served over mTLS from one background event loop.

    Use as a context manager; ``urls`` maps KME IDs to their ``https://host:port`` base URLs.
    """

    def __init__(self, network: KmeNetwork, *, timeout_keep_alive_s: float = 30.0) -> None:
        self.network = network
        self._timeout_keep_alive_s = timeout_keep_alive_s
        self._running: list[_Running] = []
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self.urls: dict[str, str] = {}

    def __enter__(self) -> KmeCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, timeout_s: float = 20.0) -> KmeCluster:
        import uvicorn

        cfg = self.network.config
        try:
            for kme_id, kme_cfg in cfg.kmes.items():
                host = kme_cfg.host or cfg.host
                config = uvicorn.Config(
                    create_app(self.network.managers[kme_id]),
                    http=PeerCertH11Protocol,
                    ws="none",
                    lifespan="off",
                    log_config=None,
                    access_log=False,
                    log_level="warning",
                    server_header=False,
                    timeout_keep_alive=int(self._timeout_keep_alive_s),
                    timeout_graceful_shutdown=5,
                    ssl_certfile=str(kme_cfg.cert),
                    ssl_keyfile=str(kme_cfg.key),
                    ssl_ca_certs=str(cfg.ca),
                    ssl_cert_reqs=ssl.CERT_REQUIRED,
                )
                try:
                    config.load()
                except (OSError, ssl.SSLError) as exc:
                    raise KmeError(
                        f"{kme_id}: cannot load the TLS certificate, key or CA "
                        f"({kme_cfg.cert.name}, {kme_cfg.key.name}, {cfg.ca.name}): {exc}"
                    ) from None
                assert config.ssl is not None
                # ETSI GS QKD 014 V1.1.1: HTTPS with TLS 1.2 or higher and mutual authentication.
                config.ssl.minimum_version = ssl.TLSVersion.TLSv1_2
                config.ssl.verify_mode = ssl.CERT_REQUIRED
                sock = _bind(host, kme_cfg.port)
                port = sock.getsockname()[1]
                self._running.append(_Running(kme_id, uvicorn.Server(config), sock, host, port))
                self.urls[kme_id] = f"https://{_url_host(host)}:{port}"
        except BaseException:
            self._close_sockets()
            raise
        self._thread = threading.Thread(target=self._run, name="qrisk-kme", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not all(r.server.started for r in self._running):
            if self._error is not None or not self._thread.is_alive():
                self.stop()
                raise KmeError(f"the KME servers did not start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise KmeError("the KME servers did not start in time")
            time.sleep(0.01)
        return self

    def _run(self) -> None:
        async def main() -> None:
            await asyncio.gather(*(r.server.serve(sockets=[r.sock]) for r in self._running))

        try:
            asyncio.run(main())
        except BaseException as exc:  # pragma: no cover - reported by start()
            self._error = exc

    def _close_sockets(self) -> None:
        for r in self._running:
            with contextlib.suppress(OSError):
                r.sock.close()

    def stop(self, timeout_s: float = 10.0) -> None:
        for r in self._running:
            r.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():  # pragma: no cover - stuck connections
                for r in self._running:
                    r.server.force_exit = True
                self._thread.join(timeout_s)
            self._thread = None
        self._close_sockets()
        self.network.wipe()


@contextlib.contextmanager
def _signals_set(event: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set ``event`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        event.set()

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def serve_until_signalled(cluster: KmeCluster, stop: threading.Event | None = None) -> None:
    """Block until SIGINT/SIGTERM (or ``stop`` is set), then shut the KMEs down."""
    event = stop or threading.Event()
    with _signals_set(event):
        while not event.wait(0.2):
            if cluster._thread is None or not cluster._thread.is_alive():
                break
    cluster.stop()


def pki_files_exist(*paths: Path) -> bool:
    return all(p.is_file() for p in paths)
