"""Local-first means offline: the server starts and serves with every non-loopback connection refused,
and never even tries one (no model download, no public-suffix list, no telemetry)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from proxy.keystore import KeyStore

GUARD = Path(__file__).with_name("offline_guard.py")
REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"server exited early: {process.stderr.read().decode() if process.stderr else ''}"
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def test_server_starts_and_serves_with_the_network_cut_off(tmp_path: Path) -> None:
    config = tmp_path / "gardefou.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data")}), encoding="utf-8")
    key = KeyStore(tmp_path / "data" / "keys.sqlite").create(user="agent", service="demo").secret_key
    attempts, port = tmp_path / "network-attempts.log", free_port()
    command = [
        sys.executable,
        str(GUARD),
        str(attempts),
        "serve",
        "--config",
        str(config),
        "--port",
        str(port),
    ]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, process)
        prompt = "Écrire à jean.martin@mairie-exemple.fr, voir https://www.service-public.fr/particuliers"
        response = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "demo", "messages": [{"role": "user", "content": prompt}]},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        assert "jean.martin@mairie-exemple.fr" in response.json()["choices"][0]["message"]["content"]
        # the NER workers said how they run: the direct path, checked equal to spaCy at start-up
        assert httpx.get(f"{url}/healthz", timeout=5).json() == {"status": "ok", "ner": "direct"}
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert not attempts.exists(), attempts.read_text()
