"""The baseline: a minimal Flask + SQLite event server, one row inserted and committed per request.

This is the shape of the small tracking servers Tidings replaces (a Flask view, a synchronous
insert, a commit per request, several gunicorn sync workers on one SQLite file), so the ingest
benchmark runs it beside Tidings and reports every figure as a ratio too. It is not Tidings
code and shares nothing with it but the request body. Commits are as durable as Tidings'
(WAL, synchronous=FULL) unless BASELINE_JOURNAL says otherwise.

    BASELINE_DB=/tmp/base.db gunicorn -w 5 -b 127.0.0.1:8000 --chdir bench baseline_flask:app
"""

from __future__ import annotations

import json
import os
import sqlite3
import time

from flask import Flask, jsonify, request

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, "
    "name TEXT NOT NULL, value REAL NOT NULL, properties TEXT, received_at REAL NOT NULL)"
)
app = Flask(__name__)


_conn: sqlite3.Connection | None = None


def db() -> sqlite3.Connection:
    """One connection per worker process (sync workers serve one request at a time), opened
    after the fork, as a pooled ORM session would hold it."""
    global _conn
    if _conn is None:
        _conn = sqlite3.connect(os.environ.get("BASELINE_DB", "baseline.db"), timeout=30)
        _conn.execute(f"PRAGMA journal_mode={os.environ.get('BASELINE_JOURNAL', 'wal')}")
        _conn.execute("PRAGMA synchronous=FULL")
        _conn.execute(SCHEMA)
        _conn.commit()
    return _conn


@app.post("/events")
def track() -> tuple[object, int]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error="body: expected a JSON object"), 400
    for field in ("namespace", "name"):
        if not isinstance(body.get(field), str) or not body[field]:
            return jsonify(error=f"{field}: required string"), 400
    value = body.get("value", 1)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return jsonify(error="value: expected a number"), 400
    conn = db()
    cursor = conn.execute(
        "INSERT INTO events (namespace, name, value, properties, received_at) VALUES (?,?,?,?,?)",
        (body["namespace"], body["name"], value, json.dumps(body.get("properties")), time.time()),
    )
    conn.commit()
    return jsonify(id=cursor.lastrowid), 200


@app.get("/healthz")
def healthz() -> tuple[object, int]:
    return jsonify(status="ok"), 200
