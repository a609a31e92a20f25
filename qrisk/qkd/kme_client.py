"""A minimal ETSI GS QKD 014 V1.1.1 SAE client over mutual TLS (standard library only).

Used by the hybrid demo's SAE applications. It keeps one HTTPS connection alive, returns key
material as bytes, and never logs it; errors carry the KME's Error object (§6).
"""

from __future__ import annotations

import base64
import http.client
import json
import ssl
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from qrisk.errors import QriskError
from qrisk.qkd.kme import API_PREFIX


class KmeHttpError(QriskError):
    """The KME answered with an error status (its Error object's message is kept)."""

    def __init__(self, status: int, message: str, details: Any = None) -> None:
        super().__init__(f"KME returned HTTP {status}: {message}")
        self.status = status
        self.message = message
        self.details = details


def client_ssl_context(cert: Path, key: Path, ca: Path) -> ssl.SSLContext:
    """TLS 1.2+ client context that verifies the KME against ``ca`` and presents the SAE certificate."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=str(ca))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2  # ETSI GS QKD 014 V1.1.1: HTTPS over TLS 1.2 or higher
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


class KmeClient:
    """One SAE talking to its KME: status, enc_keys (master) and dec_keys (slave)."""

    def __init__(self, base_url: str, *, cert: Path, key: Path, ca: Path, timeout_s: float = 10.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "https" or not parts.hostname:
            raise QriskError(f"KME URL must be https://host:port, got {base_url!r}")
        self.base_url = base_url.rstrip("/")
        self._host = parts.hostname
        self._port = parts.port or 443
        self._ctx = client_ssl_context(cert, key, ca)
        self._timeout = timeout_s
        self._conn: http.client.HTTPSConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> KmeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        payload = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self._conn is None:
                self._conn = http.client.HTTPSConnection(
                    self._host, self._port, context=self._ctx, timeout=self._timeout
                )
            try:
                self._conn.request(method, path, body=payload, headers=headers)
                resp = self._conn.getresponse()
                raw = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()  # the KME closed an idle keep-alive connection: reconnect once
                if attempt:
                    raise
        try:
            data = json.loads(raw) if raw else {}
        except ValueError:
            data = {}
        if resp.status != 200:
            message = data.get("message") if isinstance(data, dict) else None
            raise KmeHttpError(resp.status, str(message or resp.reason), data.get("details") if isinstance(data, dict) else None)
        if not isinstance(data, dict):
            raise KmeHttpError(resp.status, "response is not a JSON object")
        return data

    @staticmethod
    def _keys(data: dict[str, Any]) -> list[tuple[str, bytes]]:
        return [(k["key_ID"], base64.b64decode(k["key"], validate=True)) for k in data.get("keys", [])]

    def status(self, slave_sae_id: str) -> dict[str, Any]:
        """ETSI GS QKD 014 V1.1.1 §5.2 Get status."""
        return self._request("GET", f"{API_PREFIX}/{quote(slave_sae_id, safe='')}/status")

    def enc_keys(self, slave_sae_id: str, number: int = 1, size: int | None = None) -> list[tuple[str, bytes]]:
        """§5.3 Get key (POST form): ``number`` keys of ``size`` bits as (key_ID, key) pairs."""
        body: dict[str, Any] = {"number": number}
        if size is not None:
            body["size"] = size
        return self._keys(self._request("POST", f"{API_PREFIX}/{quote(slave_sae_id, safe='')}/enc_keys", body))

    def dec_keys(self, master_sae_id: str, key_ids: list[str]) -> list[tuple[str, bytes]]:
        """§5.4 Get key with key IDs (POST form)."""
        body = {"key_IDs": [{"key_ID": k} for k in key_ids]}
        return self._keys(self._request("POST", f"{API_PREFIX}/{quote(master_sae_id, safe='')}/dec_keys", body))
