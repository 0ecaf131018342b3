"""Load runs over TLS, as every real endpoint serves them: the mock behind https on 127.0.0.1, with a
certificate from a CA of the test's own making.

The target's certificate is verified (Locust's fast client skips that by default, and the token would
then go to whoever answers): trusted through SSL_CERT_FILE, as OpenSSL and httpx read it, the run
measures streams as on plain http; untrusted, `servecheck load` stops at its pre-flight, and a plain
`locust -f` run sends nothing but failed handshakes.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgi_support import serving
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from test_load_distributed import LOCUST
from test_load_run import load_env, servecheck_load

from mock_server.app import create_app
from mock_server.profile import load_profile

pytestmark = [pytest.mark.timeout(90), pytest.mark.slow]
TOKEN = "sk-tls-test-5e1f"
PROFILE = "latency: {ttft: {dist: constant, mean_ms: 20}, itl_ms: 2}\noutput_tokens: {min: 8, max: 8}\n"


def _certificate(name: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer, ca: bool):
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The mock on https://127.0.0.1:PORT (root URL) and the PEM file of the CA that signed it."""
    folder = tmp_path_factory.mktemp("tls")
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "servecheck test CA")])
    ca = _certificate("servecheck test CA", ca_key, ca_name, ca_key, ca=True)
    leaf = _certificate("127.0.0.1", key, ca_name, ca_key, ca=False)
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "cert.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (folder / "profile.yaml").write_text(PROFILE)
    app = create_app(load_profile(folder / "profile.yaml"), TOKEN)
    with serving(app, ssl_certfile=str(folder / "cert.pem"), ssl_keyfile=str(folder / "key.pem")) as url:
        yield url, folder / "ca.pem"


def test_a_load_run_over_tls_with_the_targets_ca(tls: tuple[str, Path], tmp_path: Path) -> None:
    url, ca = tls
    env = load_env(OPENAI_API_KEY=TOKEN, SSL_CERT_FILE=str(ca))
    out = tmp_path / "run"
    done = servecheck_load(
        out, "--base-url", url + "/v1", "--model", "mock-chat", "--users", "2", "--duration", "2s", env=env
    )
    assert done.returncode == 0, done.stdout + done.stderr
    run = json.loads((out / "load.json").read_text())
    assert run["requests"] > 0 and run["errors"] == 0 and run["verdict"] == "passed"
    assert run["metrics"]["ttft_ms"]["p50"] >= 20 and run["metrics"]["itl_ms"]["count"] > 0
    assert TOKEN not in (out / "locust.log").read_text()


def test_an_untrusted_certificate_gets_no_request(tls: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = tls
    env = load_env(OPENAI_API_KEY=TOKEN)
    refused = servecheck_load(tmp_path / "cli", "--base-url", url + "/v1", "--model", "mock-chat", env=env)
    assert refused.returncode == 2 and "certificate" in refused.stderr.lower(), refused.stderr
    assert "Traceback" not in refused.stderr
    out = tmp_path / "locust"  # Locust on its own (no pre-flight): every handshake fails
    command = [*LOCUST, "--headless", "-u", "2", "-r", "2", "-t", "2s", "--host", url + "/v1"]
    subprocess.run([*command, "--servecheck-out", str(out)], env=env, capture_output=True, timeout=60)
    run = json.loads((out / "load.json").read_text())
    assert run["requests"] > 0 and run["errors"] == run["requests"], run["errors_by_kind"]
    samples = " ".join(s for kind in run["error_samples"].values() for s in kind)
    assert "SSLCertVerificationError (unable to get local issuer certificate)" in samples, samples
