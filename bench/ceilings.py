"""What the parts under Tidings can do on this machine, without Tidings.

    python bench/ceilings.py server   # uvicorn (httptools + uvloop) serving a raw ASGI
                                      # hello-world app, driven by wrk -c64 (needs wrk)
    python bench/ceilings.py sqlite   # SQLite inserting event-shaped rows in 4,000-row
                                      # transactions (WAL, synchronous=FULL), schema and
                                      # statement variants

They bound what ingest can reach: a single-event request cannot be served faster than the
server answers an empty app, and a batch cannot be stored faster than SQLite inserts rows.
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

from tidings.model.ids import uuid7
from tidings.storage.batch_plan import EVENT_COLUMNS as _EVENT_COLUMN_NAMES
from tidings.storage.bulk_insert import insert_rows

HELLO = """
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await receive()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"{}"})
"""
_NO_IDS = (None, None, None, None)  # context, user, anonymous and session ids


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server(duration: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "hello.py").write_text(HELLO)
        port = _free_port()
        command = [sys.executable, "-m", "uvicorn", "hello:app", "--port", str(port)]
        command += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
        proc = subprocess.Popen(
            [*command, "--log-level", "warning"],
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2)
            out = subprocess.run(
                ["wrk", "-t1", "-c64", f"-d{duration}s", f"http://127.0.0.1:{port}/"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        finally:
            proc.terminate()
            proc.wait(10)
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    print(f"uvicorn hello-world: {float(found.group(1)) if found else float('nan'):,.0f} req/s")


def _database(path: Path, *, unique: bool) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE events (id INTEGER PRIMARY KEY, source_id BIGINT NOT NULL, "
        "stream_id BIGINT NOT NULL, ts BIGINT NOT NULL, received_at BIGINT NOT NULL, "
        "value FLOAT NOT NULL, message_id VARCHAR(255), properties TEXT, context TEXT, "
        "user_id VARCHAR(255), anonymous_id VARCHAR(255), session_id VARCHAR(255)"
        + (", UNIQUE (source_id, message_id))" if unique else ")")
    )
    conn.execute("CREATE INDEX ix_events_stream_ts ON events (stream_id, ts)")
    conn.execute("CREATE INDEX ix_events_user ON events (user_id) WHERE user_id IS NOT NULL")
    return conn


#: The writer's statement before storage/bulk_insert.py: the batch as one JSON array,
#: unpacked by json_each (SQLite re-parses each row's JSON once per column).
_JSON_EACH = (
    "INSERT INTO events SELECT "
    + ", ".join(f"value ->> {i}" for i in range(12))
    + " FROM json_each(?)"
)


def _bound(conn: sqlite3.Connection, batch: list[tuple[object, ...]]) -> None:
    insert_rows(conn, "events", _EVENT_COLUMN_NAMES, batch)


def _json_each(conn: sqlite3.Connection, batch: list[tuple[object, ...]]) -> None:
    conn.execute(_JSON_EACH, (orjson.dumps(batch),))


def _null() -> None:
    return None


def _uuid4() -> str:
    return str(uuid.uuid4())


def sqlite(rounds: int, rows: int = 4000) -> None:
    variants = {
        "our schema, events without a client id (NULL, as stored now)": (True, _null, _bound),
        "our schema, client-chosen UUIDv7 ids": (True, uuid7, _bound),
        "our schema, client-chosen UUIDv4 ids (Segment SDKs)": (True, _uuid4, _bound),
        "no unique message-id index, UUIDv7 ids": (False, uuid7, _bound),
        "our schema, UUIDv7 ids, rows unpacked by json_each (the writer before)": (
            True,
            uuid7,
            _json_each,
        ),
        "our schema, NULL ids, rows unpacked by json_each": (True, _null, _json_each),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for label, (unique, message_id, insert) in variants.items():
            conn = _database(Path(tmp, f"{random.random()}.db"), unique=unique)
            spent = 0.0
            for n in range(rounds):
                now = time.time_ns() // 1000
                batch = [
                    (n * rows + i + 1, 1, 1, now + i, now, 1.0, message_id(), "{}", *_NO_IDS)
                    for i in range(rows)
                ]
                began = time.perf_counter()
                conn.execute("BEGIN IMMEDIATE")
                insert(conn, batch)
                conn.execute("COMMIT")
                spent += time.perf_counter() - began
            conn.close()
            print(f"sqlite {sqlite3.sqlite_version}, {label}: {rounds * rows / spent:,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("part", choices=("server", "sqlite"))
    parser.add_argument("--duration", type=int, default=6, help="seconds of wrk (server)")
    parser.add_argument("--rounds", type=int, default=25, help="transactions per variant")
    args = parser.parse_args()
    if args.part == "server":
        server(args.duration)
    else:
        sqlite(args.rounds)


if __name__ == "__main__":
    main()
