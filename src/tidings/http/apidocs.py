"""``/docs``: the OpenAPI document as a dependency-free HTML page.

Descriptions are Markdown, rendered on the server with markdown-it-py (already installed with
rich) with raw HTML off, so the page needs no script and no CDN and fits the CSP."""

from __future__ import annotations

import html
from typing import Any

from markdown_it import MarkdownIt
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from tidings.http.deps import limit_anonymous
from tidings.http.openapi import served_document

#: CommonMark plus tables; raw HTML in a description is shown as text, never as markup.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:64rem;margin:auto;padding:1rem}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;"
    "text-align:left;vertical-align:top}code,pre{background:#f4f4f4}pre{padding:.5rem;"
    "overflow-x:auto}section{border-top:1px solid #ddd;margin-top:1rem}td p{margin:0}"
)


def markdown(text: str) -> str:
    """Block Markdown as HTML."""
    return str(_MARKDOWN.render(text))


def inline(text: str) -> str:
    """One line of Markdown as HTML, without the paragraph around it."""
    return str(_MARKDOWN.renderInline(text))


def _schema(schema: dict[str, Any]) -> str:
    """A schema for people: a table of an object's fields (nested objects inside), the
    choices of a ``oneOf``, links to named schemas; descriptions rendered as Markdown."""
    if "$ref" in schema:
        name = html.escape(schema["$ref"].rsplit("/", 1)[1])
        return f"<a href='#schema-{name}'>{name}</a>"
    if "oneOf" in schema:
        return "one of:<ul>" + "".join(f"<li>{_schema(s)}</li>" for s in schema["oneOf"]) + "</ul>"
    if schema.get("type") == "array" and "items" in schema:
        return f"list of {_schema(schema['items'])}"
    properties = schema.get("properties")
    if not properties:
        return f"<code>{html.escape(_type(schema))}</code>"
    required = set(schema.get("required", ()))
    rows = "".join(
        f"<tr><td><code>{html.escape(name)}</code>{' (required)' if name in required else ''}"
        f"</td><td>{_schema(sub)}</td><td>{inline(sub.get('description', ''))}</td></tr>"
        for name, sub in properties.items()
    )
    return f"<table><tr><th>field</th><th>type</th><th>meaning</th></tr>{rows}</table>"


def _parameters(op: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{html.escape(p['in'])}"
        f"{' (required)' if p.get('required') else ''}</td>"
        f"<td><code>{html.escape(_type(p.get('schema', {})))}</code></td>"
        f"<td>{inline(p.get('description', ''))}</td></tr>"
        for p in op.get("parameters", [])
    )
    head = "<tr><th>parameter</th><th>in</th><th>type</th><th>meaning</th></tr>"
    return f"<h4>Parameters</h4><table>{head}{rows}</table>" if rows else ""


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "oneOf" in schema:
        return " | ".join(_type(s) for s in schema["oneOf"])
    kind = schema.get("type", "any")
    if kind == "array":
        return _type(schema.get("items", {})) + "[]"
    return kind if isinstance(kind, str) else " | ".join(kind)


def _body(op: dict[str, Any]) -> str:
    body = op.get("requestBody")
    if not body:
        return ""
    parts = "".join(
        f"<p><code>{html.escape(kind)}</code></p>{_schema(media.get('schema', {}))}"
        for kind, media in body.get("content", {}).items()
    )
    required = " (required)" if body.get("required") else ""
    return f"<h4>Request body{required}</h4>{markdown(body.get('description', ''))}{parts}"


def _responses(op: dict[str, Any]) -> str:
    items = []
    for code, answer in op.get("responses", {}).items():
        kinds = answer.get("content", {})
        shown = ", ".join(f"<code>{html.escape(k)}</code>" for k in kinds)
        schemas = "".join(
            f"<details><summary>body</summary>{_schema(m['schema'])}</details>"
            for m in kinds.values()
            if "schema" in m
        )
        items.append(
            f"<li><b>{html.escape(code)}</b> {inline(answer.get('description', ''))}"
            f"{' - ' + shown if shown else ''}{schemas}</li>"
        )
    return f"<h4>Responses</h4><ul>{''.join(items)}</ul>"


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    anchor = html.escape(op["operationId"])
    security = op.get("security")
    who = (
        "<p>Credentials: "
        + " or ".join(
            html.escape(", ".join(f"{k} {' '.join(v)}".strip() for k, v in s.items()) or "none")
            for s in security
        )
        + "</p>"
        if security
        else ""
    )
    return (
        f"<section id='{anchor}'><h3><code>{method.upper()} {html.escape(path)}</code></h3>"
        f"<p>{inline(op.get('summary', ''))}</p>{markdown(op.get('description', ''))}{who}"
        f"{_parameters(op)}{_body(op)}{_responses(op)}</section>"
    )


def page(doc: dict[str, Any]) -> str:
    """The whole page: a table of contents by tag, then each operation of each tag."""
    by_tag: dict[str, list[str]] = {t["name"]: [] for t in doc.get("tags", [])}
    toc: dict[str, list[str]] = {name: [] for name in by_tag}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            tag = op.get("tags", ["other"])[0]
            by_tag.setdefault(tag, []).append(_operation(path, method, op))
            toc.setdefault(tag, []).append(
                f"<li><a href='#{html.escape(op['operationId'])}'>"
                f"<code>{method.upper()} {html.escape(path)}</code></a></li>"
            )
    described = {t["name"]: t.get("description", "") for t in doc.get("tags", [])}
    contents = "".join(
        f"<li><a href='#tag-{html.escape(tag)}'>{html.escape(tag)}</a><ul>{''.join(links)}</ul>"
        "</li>"
        for tag, links in toc.items()
        if links
    )
    sections = "".join(
        f"<h2 id='tag-{html.escape(tag)}'>{html.escape(tag)}</h2>"
        f"{markdown(described.get(tag, ''))}{''.join(ops)}"
        for tag, ops in by_tag.items()
        if ops
    )
    schemas = "".join(
        f"<h3 id='schema-{html.escape(name)}'>{html.escape(name)}</h3>{_schema(schema)}"
        for name, schema in doc["components"]["schemas"].items()
    )
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>Tidings API</title><style>{_STYLE}</style></head><body>"
        f"<h1>{html.escape(doc['info']['title'])} {html.escape(doc['info']['version'])}</h1>"
        f"{markdown(doc['info']['description'])}<p>The machine-readable document is at "
        "<a href='/openapi.json'>/openapi.json</a>.</p>"
        f"<nav><ul>{contents}</ul></nav>{sections}<h2>Schemas</h2>{schemas}</body></html>"
    )


async def docs(request: Request) -> Response:
    await limit_anonymous(request)
    return HTMLResponse(page(served_document(request)))
