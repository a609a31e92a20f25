"""Live endpoints: probe the TLS and SSH servers a user names for the key exchange they negotiate.

This package holds the transport every prober shares (one resolved address, bounded
connects and reads, one error vocabulary); :mod:`~qrisk.scan.network.tls` and
:mod:`~qrisk.scan.network.ssh` speak the protocols, and :mod:`~qrisk.scan.network.probe`
is the entry point the scan engine calls (endpoint parsing, the concurrency limit, and
the conversion of profiles into findings).

Only the endpoints the user names are contacted: no ranges, no discovery.
"""

from __future__ import annotations

import contextlib
import enum
import errno
import socket
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qrisk.scan.network.probe import Endpoint, EndpointResult, ProbeOptions


class ErrorReason(enum.StrEnum):
    """Why an endpoint could not be (fully) profiled; the ``reason`` of its :class:`~qrisk.model.SkippedFile`."""

    INVALID = "invalid-endpoint"
    """The endpoint text is not ``host:port[/tls|/ssh]``."""
    UNRESOLVED = "unresolved"
    """The host name does not resolve."""
    REFUSED = "refused"
    """Nothing listens on the port (TCP RST)."""
    UNREACHABLE = "unreachable"
    """No route to the host or network."""
    TIMEOUT = "timeout"
    """No connection, or no complete answer, within the timeout."""
    RESET = "reset"
    """The peer reset the connection."""
    NOT_TLS = "not-tls"
    """The peer answered, but not with TLS."""
    NOT_SSH = "not-ssh"
    """The peer answered, but not with an SSH banner and key exchange."""
    HANDSHAKE_FAILURE = "handshake-failure"
    """The peer speaks the protocol but rejected or abandoned every handshake we tried."""
    PROTOCOL_ERROR = "protocol-error"
    """The peer sent malformed, truncated or oversized protocol messages."""


class ProbeError(Exception):
    """A per-endpoint failure with a reason from :class:`ErrorReason`; never carries secret data."""

    def __init__(self, reason: ErrorReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class PeerClosed(ProbeError):
    """The peer closed the connection; ``received`` bytes had arrived in the current exchange."""

    def __init__(self, received: int, detail: str = "") -> None:
        super().__init__(ErrorReason.HANDSHAKE_FAILURE, detail or "the server closed the connection")
        self.received = received


@dataclass(frozen=True)
class Address:
    """An endpoint's address, resolved once for all the connections of its profile."""

    host: str
    """Host as the user wrote it (name or literal address, without brackets)."""
    port: int
    family: int
    sockaddr: tuple[Any, ...]
    ip: str
    """The resolved numeric address."""

    @property
    def is_name(self) -> bool:
        """Whether ``host`` is a DNS name (then it goes into TLS SNI)."""
        return self.host != self.ip and not _is_ip_literal(self.host)


def _is_ip_literal(host: str) -> bool:
    for fam in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(fam, host)
        except (OSError, ValueError):
            continue
        return True
    return False


def resolve(host: str, port: int, timeout_s: float | None = None) -> Address:
    """Resolve ``host`` once (first address ``getaddrinfo`` returns); raises :class:`ProbeError`."""
    del timeout_s  # getaddrinfo has no timeout of its own; the system resolver's applies
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise ProbeError(ErrorReason.UNRESOLVED, f"cannot resolve {host!r}: {_strerror(exc)}") from None
    if not infos:
        raise ProbeError(ErrorReason.UNRESOLVED, f"cannot resolve {host!r}: no addresses")
    family, _, _, _, sockaddr = infos[0]
    return Address(host, port, family, tuple(sockaddr), str(sockaddr[0]))


def _strerror(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


@dataclass
class Counters:
    """What one endpoint's profile cost: TCP connections and request→response exchanges."""

    connections: int = 0
    round_trips: int = 0
    """Exchanges where we sent something and waited for the server's answer."""
    started: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class Limits:
    """Timeouts and retries for one endpoint (see :class:`~qrisk.scan.network.probe.ProbeOptions`)."""

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 5.0
    """Longest wait for a complete answer to one request (a deadline, not a per-recv idle timer)."""
    retries: int = 0
    """Extra connection attempts after a connect timeout or refusal (off by default)."""
    budget_s: float = 60.0
    """Longest a whole endpoint profile may take; later probes are dropped past it."""


class Channel:
    """One TCP connection whose reads are bounded by a per-exchange deadline and a byte cap."""

    def __init__(self, sock: socket.socket, limits: Limits, counters: Counters) -> None:
        self.sock = sock
        self.limits = limits
        self.counters = counters
        self._buf = bytearray()
        self._deadline = time.monotonic() + limits.read_timeout_s
        self.received = 0
        """Bytes received in the current exchange."""

    @classmethod
    def open(cls, address: Address, limits: Limits, counters: Counters) -> Channel:
        """Connect (with retries when asked); raises :class:`ProbeError`."""
        if time.monotonic() - counters.started > limits.budget_s:
            raise ProbeError(
                ErrorReason.TIMEOUT, f"endpoint profile exceeded its budget of {limits.budget_s:g} s"
            )
        attempts = 1 + max(0, limits.retries)
        last: ProbeError | None = None
        for _ in range(attempts):
            sock = socket.socket(address.family, socket.SOCK_STREAM)
            sock.settimeout(limits.connect_timeout_s)
            try:
                sock.connect(address.sockaddr)
            except TimeoutError:
                sock.close()
                last = ProbeError(
                    ErrorReason.TIMEOUT, f"no TCP connection within {limits.connect_timeout_s:g} s"
                )
                continue
            except ConnectionRefusedError:
                sock.close()
                last = ProbeError(ErrorReason.REFUSED, "connection refused (nothing listens on the port)")
                continue
            except OSError as exc:
                sock.close()
                if exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                    raise ProbeError(ErrorReason.UNREACHABLE, _strerror(exc)) from None
                raise ProbeError(ErrorReason.UNREACHABLE, f"connect failed: {_strerror(exc)}") from None
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            counters.connections += 1
            return cls(sock, limits, counters)
        assert last is not None
        raise last

    def __enter__(self) -> Channel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data: bytes, *, expect_answer: bool = True) -> None:
        """Send ``data``; when an answer is expected, start a new exchange (deadline, round trip)."""
        try:
            self.sock.sendall(data)
        except TimeoutError:
            raise ProbeError(ErrorReason.TIMEOUT, "the server stopped reading") from None
        except (BrokenPipeError, ConnectionResetError):
            raise PeerClosed(self.received, "the server closed the connection before reading our request") from None
        except OSError as exc:
            raise ProbeError(ErrorReason.RESET, f"send failed: {_strerror(exc)}") from None
        if expect_answer:
            self.start_exchange()

    def start_exchange(self) -> None:
        self.counters.round_trips += 1
        self._deadline = time.monotonic() + self.limits.read_timeout_s
        self.received = 0

    def _fill(self) -> None:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise ProbeError(ErrorReason.TIMEOUT, self._timeout_detail())
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except TimeoutError:
            raise ProbeError(ErrorReason.TIMEOUT, self._timeout_detail()) from None
        except ConnectionResetError:
            raise PeerClosed(self.received, "the server reset the connection") from None
        except OSError as exc:
            raise ProbeError(ErrorReason.RESET, f"receive failed: {_strerror(exc)}") from None
        if not chunk:
            raise PeerClosed(self.received)
        self.received += len(chunk)
        self._buf += chunk

    def _timeout_detail(self) -> str:
        if self.received:
            return f"incomplete answer within {self.limits.read_timeout_s:g} s ({self.received} bytes received)"
        return f"no answer within {self.limits.read_timeout_s:g} s"

    def read_exact(self, n: int) -> bytes:
        """Exactly ``n`` bytes (the caller caps ``n``); raises on deadline or close."""
        while len(self._buf) < n:
            self._fill()
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    @property
    def buffered(self) -> int:
        """Bytes received but not yet consumed."""
        return len(self._buf)

    def peek(self, n: int) -> bytes:
        """At least one and at most ``n`` bytes, without consuming them."""
        if not self._buf:
            self._fill()
        return bytes(self._buf[:n])

    def read_line(self, max_len: int) -> bytes:
        """One line ending in LF (returned without CR LF); raises when longer than ``max_len``."""
        while True:
            i = self._buf.find(b"\n")
            if i >= 0:
                if i > max_len:
                    break
                line = bytes(self._buf[:i])
                del self._buf[: i + 1]
                return line.rstrip(b"\r")
            if len(self._buf) > max_len:
                break
            self._fill()
        raise ProbeError(ErrorReason.PROTOCOL_ERROR, f"line longer than {max_len} bytes")


def __getattr__(name: str) -> Any:
    # The entry points live in probe.py, which imports tls/ssh, which import this module:
    # re-exported lazily (PEP 562) so that importing any of them first works.
    if name in {"Endpoint", "EndpointResult", "ProbeOptions", "probe_endpoints", "parse_endpoint",
                "read_endpoints_file", "network_detectors", "TLS_DETECTOR", "SSH_DETECTOR",
                "KeyExchangeClass", "Protocol"}:
        from qrisk.scan.network import probe

        return getattr(probe, name)
    raise AttributeError(name)


__all__ = [
    "Address",
    "Channel",
    "Counters",
    "Endpoint",
    "EndpointResult",
    "ErrorReason",
    "KeyExchangeClass",
    "Limits",
    "PeerClosed",
    "ProbeError",
    "ProbeOptions",
    "Protocol",
    "network_detectors",
    "parse_endpoint",
    "probe_endpoints",
    "read_endpoints_file",
    "resolve",
]
