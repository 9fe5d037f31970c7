"""Open WebUI (PyPI) in its own environment, started against a Garde-fou for the browser test.

`.ci/openwebui` installs it once under .cache/openwebui/; `running_openwebui` starts it on a free
loopback port with identity forwarding (signed token), the task and group headers, no Ollama, no
model download, and the network cut off beyond loopback (attempts logged), and stops it at the end.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
INSTALL = REPO / ".ci" / "openwebui"
START_TIMEOUT_S = 300
HEADERS = {"X-Gardefou-Task": "{{TASK}}", "X-OpenWebUI-User-Groups": "{{USER_GROUPS}}"}


def install() -> Path:
    """The `open-webui` command, installed by .ci/openwebui if needed (RuntimeError if impossible)."""
    done = subprocess.run(["sh", str(INSTALL)], capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"Open WebUI install failed: {done.stderr[-2000:]}")
    return Path(done.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def environment(data: Path, gardefou_url: str, key: str, jwt_secret: str) -> dict[str, str]:
    """Open WebUI's settings: everything through Garde-fou, the agent named, nothing downloaded."""
    keep = {name: os.environ[name] for name in ("PATH", "HOME", "LANG", "TZ") if name in os.environ}
    return keep | {
        "DATA_DIR": str(data),
        "WEBUI_SECRET_KEY": "cle-de-session-open-webui-pour-les-tests",
        "OPENAI_API_BASE_URL": f"{gardefou_url}/v1",
        "OPENAI_API_KEY": key,
        "OPENAI_API_CONFIGS": json.dumps({"0": {"enable": True, "headers": HEADERS}}),
        "ENABLE_OLLAMA_API": "false",
        "ENABLE_FORWARD_USER_INFO_HEADERS": "true",
        "FORWARD_USER_INFO_HEADER_JWT_SECRET": jwt_secret,
        "DEFAULT_MODELS": "demo",
        "DEFAULT_USER_ROLE": "user",
        "BYPASS_MODEL_ACCESS_CONTROL": "true",
        # no built-in tools (36 tool definitions on every request; a simple model loops on them)
        "DEFAULT_MODEL_METADATA": json.dumps({"capabilities": {"builtin_tools": False}}),
        # documents read on the spot and sent in the chat (no embedding model, no vector search)
        "BYPASS_EMBEDDING_AND_RETRIEVAL": "true",
        "RAG_EMBEDDING_ENGINE": "openai",
        "RAG_EMBEDDING_MODEL_AUTO_UPDATE": "false",
        "RAG_RERANKING_MODEL_AUTO_UPDATE": "false",
        # no download, no update check, no telemetry, no web search
        "OFFLINE_MODE": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ENABLE_VERSION_UPDATE_CHECK": "false",
        "ENABLE_COMMUNITY_SHARING": "false",
        "ENABLE_WEB_SEARCH": "false",
        "SCARF_NO_ANALYTICS": "true",
        "DO_NOT_TRACK": "true",
        "ANONYMIZED_TELEMETRY": "false",
        "ENABLE_AUTOCOMPLETE_GENERATION": "false",
    }


GUARD = Path(__file__).with_name("offline_openwebui.py")


@dataclass
class OpenWebUI:
    url: str
    log: Path
    started_in_s: float
    outside: Path  # every connection or lookup it tried beyond loopback (refused)

    def tried_outside(self) -> list[str]:
        return self.outside.read_text().splitlines() if self.outside.exists() else []


@contextmanager
def running_openwebui(command: Path, env: dict[str, str], tmp: Path) -> Iterator[OpenWebUI]:
    port = free_port()
    log, outside = tmp / "openwebui.log", tmp / "openwebui-outside.log"
    python = command.parent / "python"
    start = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(python), str(GUARD), str(outside), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp,
            start_new_session=True,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, log)
        yield OpenWebUI(url, log, time.monotonic() - start, outside)
    finally:
        _stop(process)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Open WebUI exited ({process.returncode}): {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2, trust_env=False).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise RuntimeError(f"Open WebUI did not start in {START_TIMEOUT_S} s: {log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop Open WebUI and only it: its own process group (started with start_new_session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class Admin:
    """Open WebUI's admin, through its REST API: accounts and groups."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=60, trust_env=False)
        body = {"name": "Admin DSI", "email": "admin@ville.fr", "password": "Admin-2026-gardefou!"}
        token = self.http.post("/api/v1/auths/signup", json=body).raise_for_status().json()["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def add_user(self, name: str, email: str, password: str) -> str:
        body = {"name": name, "email": email, "password": password, "role": "user"}
        user_id: str = self.http.post("/api/v1/auths/add", json=body).raise_for_status().json()["id"]
        return user_id

    def group(self, name: str, user_ids: list[str]) -> None:
        body = {"name": name, "description": f"Agents du service {name}"}
        group_id = self.http.post("/api/v1/groups/create", json=body).raise_for_status().json()["id"]
        path = f"/api/v1/groups/id/{group_id}/users/add"
        self.http.post(path, json={"user_ids": user_ids}).raise_for_status()

    def close(self) -> None:
        self.http.close()
