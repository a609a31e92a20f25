"""Real and hostile servers on loopback for the endpoint-prober tests and benchmark.

Every server listens on 127.0.0.1 (or ::1) on a free port, is started by a context
manager and is stopped when it exits. Test servers run with explicit, ordered groups,
suites and algorithms, so results do not change when the OS's OpenSSL/OpenSSH defaults do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

IN_CI = os.environ.get("CI", "").lower() == "true"
START_TIMEOUT_S = 60.0


class Missing(RuntimeError):
    """A component (deno, openssl, sshd) is not installed."""


def need(component: str, install: str) -> None:
    """Skip locally, fail in CI (CI=true), when a component the test needs is missing."""
    import pytest

    if IN_CI:
        pytest.fail(f"{component} is required in CI but missing ({install}; .ci/run installs it)")
    pytest.skip(f"{component} is not installed ({install})")


def find_binary(name: str, extra_dirs: Sequence[str] = ()) -> str:
    path = shutil.which(name)
    if path:
        return path
    for d in extra_dirs:
        candidate = Path(d) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise Missing(name)


# --------------------------------------------------------------------------- certificates


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path
    chain: Path | None = None
    """Intermediate/CA certificates to send after the leaf (PEM)."""


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_certificates(folder: Path, kind: str) -> CertFiles:
    """``rsa2048``: a self-signed RSA-2048 leaf. ``ecdsa384``: an ECDSA P-384 leaf issued by
    an RSA-2048 CA (a two-certificate chain)."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    def builder(subject: str, issuer: str, public_key, ca: bool) -> x509.CertificateBuilder:  # type: ignore[no-untyped-def]
        b = (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(_name(issuer))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )
        if not ca:
            b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        return b

    def pem_key(k) -> bytes:  # type: ignore[no-untyped-def]
        return k.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    if kind == "rsa2048":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        cert = builder("rsa-leaf.qrisk.test", "rsa-leaf.qrisk.test", key.public_key(), False).sign(key, hashes.SHA256())
        (folder / "rsa.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "rsa.key").write_bytes(pem_key(key))
        return CertFiles(folder / "rsa.crt", folder / "rsa.key")
    if kind == "ecdsa384":
        ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        ca = builder("qrisk test CA", "qrisk test CA", ca_key.public_key(), True).sign(ca_key, hashes.SHA256())
        key = ec.generate_private_key(ec.SECP384R1())
        b = builder("ecdsa-leaf.qrisk.test", "qrisk test CA", key.public_key(), False).add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        cert = b.sign(ca_key, hashes.SHA384())
        (folder / "ec.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        (folder / "ec.key").write_bytes(pem_key(key))
        (folder / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
        return CertFiles(folder / "ec.crt", folder / "ec.key", folder / "ca.crt")
    raise ValueError(kind)


# --------------------------------------------------------------------------- processes


def _wait_for(path: Path, predicate: Callable[[str], str | None], proc: subprocess.Popen[bytes], what: str) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        found = predicate(text)
        if found is not None:
            return found
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}: {text[-2000:]}")
        time.sleep(0.02)
    raise RuntimeError(f"{what} did not start within {START_TIMEOUT_S:g} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


_DENO_SERVER = """
const [certPath, keyPath, count] = Deno.args;
const cert = Deno.readTextFileSync(certPath);
const key = Deno.readTextFileSync(keyPath);
const ports = [];
for (let i = 0; i < Number(count); i++) {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", cert, key, onListen() {} },
    () => new Response("qrisk endpoint test\\n"));
  ports.push(server.addr.port);
}
console.log("PORTS " + ports.join(","));
"""


@contextlib.contextmanager
def deno_server(folder: Path, certs: CertFiles, count: int = 1) -> Iterator[list[int]]:
    """Deno.serve (rustls: negotiates X25519MLKEM768) on ``count`` free ports of 127.0.0.1."""
    deno = find_binary("deno")
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "server.js"
    script.write_text(_DENO_SERVER, encoding="utf-8")
    log = folder / "deno.log"
    env = {**os.environ, "DENO_DIR": str(folder / "deno-dir"), "DENO_NO_UPDATE_CHECK": "1", "NO_COLOR": "1"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [deno, "run", "--allow-net=127.0.0.1", f"--allow-read={certs.cert.parent}", str(script),
             str(certs.cert), str(certs.key), str(count)],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
        )
    try:
        def ports(text: str) -> str | None:
            for line in text.splitlines():
                if line.startswith("PORTS "):
                    return line[6:]
            return None

        found = _wait_for(log, ports, proc, "deno")
        yield [int(p) for p in found.split(",")]
    finally:
        _stop(proc)


@contextlib.contextmanager
def openssl_server(
    folder: Path,
    certs: CertFiles,
    *,
    groups: str,
    cipher: str,
    ciphersuites: str,
    extra: Sequence[str] = (),
    host: str = "127.0.0.1",
    legacy: bool = False,
) -> Iterator[int]:
    """``openssl s_server`` with explicit groups and suites, server preference, TLS 1.2 and 1.3
    (``legacy``: TLS 1.0 and 1.1 too, at security level 0)."""
    openssl = find_binary("openssl")
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"s_server-{time.monotonic_ns()}.log"
    accept = f"[{host}]:0" if ":" in host else f"{host}:0"
    args = [
        openssl, "s_server", "-accept", accept, "-www", "-cert", str(certs.cert), "-key", str(certs.key),
        "-groups", groups, "-cipher", cipher + (":@SECLEVEL=0" if legacy else ""), "-ciphersuites", ciphersuites,
        "-serverpref", *(("-min_protocol", "TLSv1") if legacy else ("-no_ssl3", "-no_tls1", "-no_tls1_1")), *extra,
    ]
    if certs.chain is not None:
        args += ["-cert_chain", str(certs.chain)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        def accepted(text: str) -> str | None:
            for line in text.splitlines():
                if line.startswith("ACCEPT"):
                    return line.rsplit(":", 1)[1].strip()
            return None

        yield int(_wait_for(log, accepted, proc, "openssl s_server"))
    finally:
        _stop(proc)


def free_port(host: str = "127.0.0.1") -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class SshdInstance:
    ports: list[int]
    host_keys: dict[str, Path]
    """key type (rsa, ecdsa, ed25519) → public key file."""


def sshd_binary() -> str:
    return find_binary("sshd", ("/usr/sbin", "/usr/local/sbin", "/sbin"))


def ssh_keygen_keys(folder: Path) -> dict[str, Path]:
    keygen = find_binary("ssh-keygen")
    keys = {}
    for kind, extra in (("rsa", ["-b", "2048"]), ("ecdsa", ["-b", "256"]), ("ed25519", [])):
        path = folder / f"ssh_host_{kind}_key"
        if not path.exists():
            subprocess.run([keygen, "-q", "-t", kind, *extra, "-N", "", "-C", f"qrisk-test-{kind}", "-f", str(path)],
                           check=True, stdin=subprocess.DEVNULL)
        keys[kind] = path
    return keys


@contextlib.contextmanager
def sshd_server(
    folder: Path,
    *,
    kex: str,
    host_key_algorithms: str,
    ciphers: str = "chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,aes128-ctr",
    macs: str = "hmac-sha2-256-etm@openssh.com,hmac-sha2-512",
    count: int = 1,
) -> Iterator[SshdInstance]:
    """OpenSSH sshd on free high ports of 127.0.0.1 with its own config and host keys."""
    sshd = sshd_binary()
    folder.mkdir(parents=True, exist_ok=True)
    keys = ssh_keygen_keys(folder)
    if os.geteuid() == 0:
        # sshd insists on its privilege-separation directory when run as root.
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    last_error = ""
    for _attempt in range(3):
        ports = [free_port() for _ in range(count)]
        config = folder / f"sshd_config-{ports[0]}"
        lines = [f"Port {p}" for p in ports] + [
            "ListenAddress 127.0.0.1",
            *(f"HostKey {k}" for k in keys.values()),
            f"KexAlgorithms {kex}",
            f"HostKeyAlgorithms {host_key_algorithms}",
            f"Ciphers {ciphers}",
            f"MACs {macs}",
            "UsePAM no",
            "PidFile none",
            "StrictModes no",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin no",
            "AuthorizedKeysFile none",
            "MaxStartups 200:30:400",
            "LogLevel ERROR",
        ]
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        log = folder / f"sshd-{ports[0]}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen([sshd, "-D", "-e", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        try:
            ready = _wait_ports(ports, proc)
            if not ready:
                last_error = log.read_text(errors="replace")[-2000:]
                continue
            yield SshdInstance(ports, {k: v.with_name(v.name + ".pub") for k, v in keys.items()})
            return
        finally:
            _stop(proc)
    raise RuntimeError(f"sshd did not start: {last_error}")


def _wait_ports(ports: Sequence[int], proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    pending = set(ports)
    while pending and time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        for p in list(pending):
            with socket.socket() as s:
                s.settimeout(0.5)
                if s.connect_ex(("127.0.0.1", p)) == 0:
                    pending.discard(p)
        if pending:
            time.sleep(0.02)
    return not pending


# --------------------------------------------------------------------------- hostile peers

Behaviour = Callable[[socket.socket, threading.Event], None]


class HostileServer:
    """A TCP server on loopback whose connections are handled by ``behaviour`` in threads."""

    def __init__(self, behaviour: Behaviour, host: str = "127.0.0.1", ports: int = 1) -> None:
        self.behaviour = behaviour
        self.stop = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listeners = []
        for _ in range(ports):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, 0))
            s.listen(64)
            s.settimeout(0.1)
            self.listeners.append(s)
        self.ports = [int(s.getsockname()[1]) for s in self.listeners]
        self.threads: list[threading.Thread] = []
        self.active = 0
        self.max_active = 0
        self.connections = 0
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.ports[0]

    def __enter__(self) -> HostileServer:
        for s in self.listeners:
            t = threading.Thread(target=self._accept_loop, args=(s,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in list(self.threads):
            t.join(timeout=5)
        for s in self.listeners:
            s.close()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            t = threading.Thread(target=self._handle, args=(conn,), daemon=True)
            t.start()
            self.threads.append(t)

    def _handle(self, conn: socket.socket) -> None:
        with self._lock:
            self.active += 1
            self.connections += 1
            self.max_active = max(self.max_active, self.active)
        try:
            conn.settimeout(5)
            self.behaviour(conn, self.stop)
        except OSError:
            pass
        finally:
            with self._lock:
                self.active -= 1
            with contextlib.suppress(OSError):
                conn.close()


def _read_some(conn: socket.socket) -> bytes:
    try:
        return conn.recv(65536)
    except OSError:
        return b""


def _hold(stop: threading.Event, seconds: float = 30.0) -> None:
    stop.wait(seconds)


def tls_garbage(conn: socket.socket, stop: threading.Event) -> None:
    _read_some(conn)
    conn.sendall(bytes(range(256)) * 4)


def tls_truncated_record(conn: socket.socket, stop: threading.Event) -> None:
    _read_some(conn)
    conn.sendall(b"\x16\x03\x03\x00\x64" + b"\x02\x00\x00\x60" + b"\x03\x03" + b"\x00" * 10)


def tls_16mb_handshake(conn: socket.socket, stop: threading.Event) -> None:
    _read_some(conn)
    # A handshake header claiming 2^24 - 1 bytes, then silence: the prober must refuse at once.
    conn.sendall(b"\x16\x03\x03\x00\x08" + b"\x02\xff\xff\xff" + b"\x03\x03\x00\x00")
    _hold(stop)


def tls_oversized_record(conn: socket.socket, stop: threading.Event) -> None:
    _read_some(conn)
    conn.sendall(b"\x16\x03\x03\xff\xff" + b"\x02")
    _hold(stop)


def tls_close_mid_handshake(conn: socket.socket, stop: threading.Event) -> None:
    _read_some(conn)
    conn.sendall(b"\x16\x03\x03\x00\x30" + b"\x02\x00\x00\x2c\x03\x03" + b"\x11" * 20)
    conn.shutdown(socket.SHUT_RDWR)


def tls_close_silently(conn: socket.socket, stop: threading.Event) -> None:
    _read_some(conn)


def tls_never_answers(conn: socket.socket, stop: threading.Event) -> None:
    _read_some(conn)
    _hold(stop)


def tls_drip(conn: socket.socket, stop: threading.Event) -> None:
    # A plausible record header, then one byte at a time: a per-recv idle timer would wait forever.
    _read_some(conn)
    conn.sendall(b"\x16\x03\x03\x40\x00")
    while not stop.wait(0.05):
        conn.sendall(b"\x00")


def tls_alert(conn: socket.socket, stop: threading.Event) -> None:
    _read_some(conn)
    conn.sendall(b"\x15\x03\x03\x00\x02\x02\x28")  # fatal handshake_failure (RFC 8446 §6)


def tls_http(conn: socket.socket, stop: threading.Event) -> None:
    _read_some(conn)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


def ssh_garbage(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"A" * 300)
    _hold(stop, 2)


def ssh_huge_packet(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"SSH-2.0-hostile\r\n" + b"\x01\x00\x00\x00\x0a")  # packet length 16 MiB
    _hold(stop)


def ssh_silent_after_banner(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"SSH-2.0-hostile\r\n")
    _hold(stop)


def ssh_close(conn: socket.socket, stop: threading.Event) -> None:
    return


def ssh_version1(conn: socket.socket, stop: threading.Event) -> None:
    conn.sendall(b"SSH-1.5-ancient\r\n")
    _hold(stop, 2)


def slow_garbage(conn: socket.socket, stop: threading.Event) -> None:
    """Holds each connection a moment (to measure concurrency), then answers with garbage."""
    _read_some(conn)
    stop.wait(0.2)
    conn.sendall(b"\x00" * 16)



def tls12_once_then_silent() -> Behaviour:
    """A TLS 1.2 ServerHello (ECDHE-RSA-AES128-GCM) on the first connection, silence afterwards:
    the profile stops at the timeout and keeps what the first answer taught."""
    state = {"n": 0}
    lock = threading.Lock()

    def behaviour(conn: socket.socket, stop: threading.Event) -> None:
        _read_some(conn)
        with lock:
            state["n"] += 1
            first = state["n"] == 1
        if not first:
            _hold(stop)
            return
        body = b"\x03\x03" + b"\x42" * 32 + b"\x00" + b"\xc0\x2f" + b"\x00"
        hello = b"\x02" + len(body).to_bytes(3, "big") + body
        done = b"\x0e\x00\x00\x00"
        payload = hello + done
        conn.sendall(b"\x16\x03\x03" + len(payload).to_bytes(2, "big") + payload)
        _hold(stop, 2)

    return behaviour
