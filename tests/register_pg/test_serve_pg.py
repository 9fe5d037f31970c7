"""`gardefou serve` with `register_url: postgresql://...`: every answered request has its row in
PostgreSQL, and `gardefou register verify` (configuration only) says the register is intact."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from proxy.cli import main
from proxy.governance.acks_pg import install_schema as install_ack_schema
from proxy.keystore_configured import open_keystore
from proxy.keystore_pg import install_schema
from proxy.register.store import Register
from proxy.settings import load_settings
from tests.engines.postgres_server import APP
from tests.engines.redis_server import free_port
from tests.register_pg.conftest import Database

REPO = Path(__file__).resolve().parents[2]
PROMPT = "Rédigez une réponse courte à Marie Dubois (06 12 34 56 78) au sujet de son dossier."


def write_config(tmp: Path, url: str) -> Path:
    models = tmp / "models"
    shutil.copytree(REPO / "models", models)
    nlp = models / "nlp.yaml"
    nlp.write_text(nlp.read_text().replace("fr_core_news_md", "fr_core_news_sm"))
    config = {
        "data_dir": str(tmp / "data"),
        "models_dir": str(models),
        "register_url": url,
        "register_key": str(tmp / "cle-registre.pem"),
        "detection": {"processes": 0},  # NER in the server process: one model to load, not three
    }
    path = tmp / "gardefou.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def wait_ready(url: str, key: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text(errors="replace")[-3000:]
        try:
            if httpx.get(f"{url}/v1/models", headers={"Authorization": f"Bearer {key}"}).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not start")


def test_serve_appends_to_postgresql_and_verify_reads_it(
    tmp_path: Path, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, database.app_url)
    settings = load_settings(config)
    install_schema(database.owner_url, APP)  # the keys follow the register into PostgreSQL
    install_ack_schema(database.owner_url, APP)  # and the charter acknowledgements (as `keys init` does)
    key = open_keystore(settings).create(user="agent.pg", service="demo").secret_key
    port, log = free_port(), tmp_path / "serve.log"
    command = [sys.executable, "-m", "proxy", "serve", "--config", str(config), "--port", str(port)]
    with log.open("ab") as out:
        server = subprocess.Popen(command, stdout=out, stderr=out, cwd=REPO, start_new_session=True)
    answered: list[str] = []
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, key, server, log)
        body = {"model": "demo", "messages": [{"role": "user", "content": PROMPT}]}
        headers = {"Authorization": f"Bearer {key}"}
        for _ in range(5):
            response = httpx.post(f"{url}/v1/chat/completions", json=body, headers=headers, timeout=60)
            assert response.status_code == 200, response.text
            answered.append(response.headers["x-request-id"])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    register = Register.open(database.app_url, readonly=True)
    try:
        recorded = {row["request_id"] for row in register.rows()}
    finally:
        register.close()
    assert set(answered) <= recorded
    assert main(["register", "verify", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Registre intègre." in out
    assert "mot-de-passe" not in out  # the URL is shown without its password
