"""``tidings serve --ssl-certfile/--ssl-keyfile``: HTTPS offering HTTP/2 and HTTP/1.1, live
streams over both, and a clean exit on SIGTERM."""

from __future__ import annotations

import datetime
import ipaddress
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.server import ADMIN_PASSWORD, free_port


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_serves_http2_and_http11_and_streams_over_both(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "TIDINGS_DATA_DIR": str(tmp_path / "data"),
        "TIDINGS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "TIDINGS_LOG_LEVEL": "warning",
        "TIDINGS_LIVE_KEEPALIVE_S": "1",
    }
    args = ["serve", "--port", str(port), "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tidings", *args], env=env, stdout=log, stderr=log
    )
    verify = ssl.create_default_context(cafile=str(cert))
    url = f"https://127.0.0.1:{port}"
    try:
        with httpx.Client(http2=True, verify=verify, timeout=10) as h2:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None, (tmp_path / "server.log").read_text()
                try:
                    if h2.get(f"{url}/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    assert time.monotonic() < deadline, "the TLS server did not start"
                    time.sleep(0.1)
            assert h2.get(f"{url}/readyz").http_version == "HTTP/2"
            auth = ("admin", ADMIN_PASSWORD)
            with h2.stream("GET", f"{url}/system/autoupdate?change_id=0", auth=auth) as stream:
                assert stream.http_version == "HTTP/2"
                assert next(stream.iter_lines()) == '{"connected":true}'
        with httpx.Client(verify=verify, timeout=10) as h11:
            response = h11.get(f"{url}/system/health")
            assert response.http_version == "HTTP/1.1"
            assert response.json() == {"healthy": True}
            with h11.stream("GET", f"{url}/system/autoupdate?change_id=0", auth=auth) as stream:
                assert next(stream.iter_lines()) == '{"connected":true}'
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(40) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
        log.close()
