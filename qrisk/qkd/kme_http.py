"""The ETSI GS QKD 014 V1.1.1 REST API (§5) of one KME as a FastAPI app.

Handlers parse requests themselves so that every error, including malformed JSON, a wrong
content type and unknown routes, is answered with the spec's Error object (§6) and status
(400, 401, 503; 404/405 for unknown routes and methods). The caller's SAE ID is taken from
``scope["state"][PEER_STATE_KEY]``, which only the mTLS server of :mod:`qrisk.qkd.kme_server`
sets: without it every call is 401.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from qrisk.qkd.kme import API_PREFIX, MAX_BODY_BYTES, PEER_STATE_KEY, EtsiError, KeyManager, bad_request


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate member {k!r}")
        out[k] = v
    return out


def parse_json_body(body: bytes, content_type: str | None, *, lenient: bool) -> dict[str, Any]:
    """Decode a request body as an RFC 8259 JSON object, or raise a 400 EtsiError."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json" and not (lenient and media in ("", "text/plain")):
        raise bad_request("Content-Type must be application/json", parameter="Content-Type")
    if not body.strip():
        if lenient:
            return {}
        raise bad_request("the request body must be a JSON object")
    try:
        text = body.decode("utf-8")  # RFC 8259 §8.1: JSON exchanged between systems is UTF-8
        data = json.loads(text, object_pairs_hook=None if lenient else _reject_duplicates)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = str(exc) if isinstance(exc, ValueError) and "duplicate member" in str(exc) else "malformed JSON"
        raise bad_request(f"the request body is not valid JSON: {reason}") from None
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object")
    return data


def create_app(manager: KeyManager, *, max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The REST API of one KME (see the module docstring)."""
    app = FastAPI(
        title=f"qrisk KME {manager.kme_id}",
        docs_url=None, redoc_url=None, openapi_url=None,
    )

    def respond(status: int, body: Mapping[str, Any]) -> Response:
        return Response(
            json.dumps(body, separators=(",", ":")).encode("utf-8"),
            status_code=status,
            media_type="application/json",
            headers={"Cache-Control": "no-store"},  # key containers must not be cached
        )

    def caller_of(request: Request) -> str | None:
        state = request.scope.get("state") or {}
        peer = state.get(PEER_STATE_KEY)
        return getattr(peer, "sae_id", None)

    def query(request: Request, allowed: set[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k, v in request.query_params.multi_items():
            out.setdefault(k, []).append(v)
        unknown = sorted(set(out) - allowed)
        if unknown and not manager.lenient:
            raise bad_request(f"unknown query parameter(s): {', '.join(unknown)}", unknown_parameters=unknown)
        for k, vs in out.items():
            if len(vs) > 1 and k in allowed:
                raise bad_request(f"query parameter {k} given more than once", parameter=k)
        return out

    def int_param(values: dict[str, list[str]], name: str) -> int | None:
        if name not in values:
            return None
        text = values[name][0].strip()
        if not text or len(text) > 9 or not text.isdigit():
            raise bad_request(f"{name} must be a positive integer", parameter=name)
        return int(text)

    async def read_body(request: Request) -> bytes:
        length = request.headers.get("content-length")
        if length is not None:
            if not length.isdigit():
                raise bad_request("invalid Content-Length")
            if int(length) > max_body_bytes:
                raise bad_request(f"request body larger than {max_body_bytes} bytes")
        chunks = bytearray()
        async for chunk in request.stream():
            chunks += chunk
            if len(chunks) > max_body_bytes:
                raise bad_request(f"request body larger than {max_body_bytes} bytes")
        return bytes(chunks)

    @app.exception_handler(EtsiError)
    async def _etsi_error(request: Request, exc: EtsiError) -> Response:
        return respond(exc.status, exc.body())

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return respond(exc.status_code, {"message": str(exc.detail)})

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:  # pragma: no cover - defensive
        return respond(503, {"message": f"internal KME error ({type(exc).__name__})"})

    @app.get(API_PREFIX + "/{slave_sae_id}/status")
    async def get_status(slave_sae_id: str, request: Request) -> Response:
        query(request, set())
        return respond(200, manager.status(caller_of(request), slave_sae_id))

    @app.get(API_PREFIX + "/{slave_sae_id}/enc_keys")
    async def get_key_simple(slave_sae_id: str, request: Request) -> Response:
        caller = caller_of(request)
        manager.authorize_master(caller, slave_sae_id)  # 401 before any parameter check
        q = query(request, {"number", "size"})
        req = {k: v for k in ("number", "size") if (v := int_param(q, k)) is not None}
        return respond(200, manager.enc_keys(caller, slave_sae_id, req))

    @app.post(API_PREFIX + "/{slave_sae_id}/enc_keys")
    async def post_key(slave_sae_id: str, request: Request) -> Response:
        caller = caller_of(request)
        manager.authorize_master(caller, slave_sae_id)
        query(request, set())
        body = parse_json_body(await read_body(request), request.headers.get("content-type"),
                               lenient=manager.lenient)
        return respond(200, manager.enc_keys(caller, slave_sae_id, body))

    @app.get(API_PREFIX + "/{master_sae_id}/dec_keys")
    async def get_key_with_id_simple(master_sae_id: str, request: Request) -> Response:
        caller = caller_of(request)
        manager.authorize_sae(caller)
        q = query(request, {"key_ID"})
        if "key_ID" not in q:
            raise bad_request("key_ID query parameter is required", parameter="key_ID")
        return respond(200, manager.dec_keys(caller, master_sae_id, {"key_IDs": [{"key_ID": q["key_ID"][0]}]}))

    @app.post(API_PREFIX + "/{master_sae_id}/dec_keys")
    async def post_key_with_ids(master_sae_id: str, request: Request) -> Response:
        caller = caller_of(request)
        manager.authorize_sae(caller)
        query(request, set())
        body = parse_json_body(await read_body(request), request.headers.get("content-type"),
                               lenient=manager.lenient)
        return respond(200, manager.dec_keys(caller, master_sae_id, body))

    return app


