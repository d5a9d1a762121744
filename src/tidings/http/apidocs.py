"""``/docs``: the OpenAPI document as a dependency-free HTML page."""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tidings.http.deps import limit_anonymous
from tidings.http.openapi import document


def _render_operation(path: str, method: str, op: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{html.escape(p['description'])}</td></tr>"
        for p in op.get("parameters", [])
    )
    table = f"<table><tr><th>parameter</th><th>meaning</th></tr>{rows}</table>" if rows else ""
    codes = ", ".join(html.escape(code) for code in op.get("responses", {}))
    return (
        f"<section><h2><code>{method.upper()} {html.escape(path)}</code></h2>"
        f"<p>{html.escape(op.get('summary', ''))}</p>"
        f"<p>{html.escape(op.get('description', ''))}</p>{table}<p>Responses: {codes}</p></section>"
    )


async def docs(request: Request) -> Response:
    await limit_anonymous(request)
    doc = document()
    body = "".join(
        _render_operation(path, method, op)
        for path, methods in doc["paths"].items()
        for method, op in methods.items()
    )
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<title>Tidings API</title><style>body{font-family:system-ui,sans-serif;max-width:60rem;"
        "margin:auto;padding:1rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
        "padding:.25rem .5rem;text-align:left}code{background:#f4f4f4}</style></head><body>"
        f"<h1>Tidings native API {html.escape(doc['info']['version'])}</h1>"
        f"<p>{html.escape(doc['info']['description'])} The machine-readable document is at "
        "<a href='/openapi.json'>/openapi.json</a>. Errors are RFC 9457 problem+json.</p>"
        f"{body}</body></html>"
    )
    return HTMLResponse(page)
