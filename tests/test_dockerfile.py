"""No Docker engine runs here: this test mirrors the Dockerfile's steps instead (copy what it copies,
install with the same uv command into a fresh environment, run its CMD's program)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")


def instructions(kind: str) -> list[str]:
    return [line[len(kind) + 1 :].strip() for line in DOCKERFILE.splitlines() if line.startswith(kind + " ")]


def test_dockerfile_steps_install_and_run(tmp_path: Path) -> None:
    build = tmp_path / "app"
    build.mkdir()
    for copy in instructions("COPY"):
        *sources, _destination = copy.split()
        for source in sources:
            origin = REPO / source
            assert origin.exists(), f"COPY {source}: absent du dépôt"
            target = build / source
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(origin, target)
    uv = shutil.which("uv") or str(REPO / ".cache" / "uv-bootstrap" / "bin" / "uv")
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"), "UV_LINK_MODE": "copy"}
    env.pop("VIRTUAL_ENV", None)
    syncs = [run for run in instructions("RUN") if run.startswith("uv sync")]
    assert syncs, "the Dockerfile installs with uv sync"
    for sync in syncs:
        subprocess.run([uv, *shlex.split(sync)[1:]], cwd=build, env=env, check=True, capture_output=True)
    command = json_cmd()
    program = tmp_path / "venv" / "bin" / command[0]
    result = subprocess.run([str(program), *command[1:], "--help"], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout
    # the image detects with its own files and runtime dependencies only (no Faker, no dev tools)
    text = "Bonjour, je suis M. DUPONT Jean, tél. 06 12 34 56 78."
    gardefou = tmp_path / "venv" / "bin" / "gardefou"
    analysed = subprocess.run(
        [str(gardefou), "analyze", text], cwd=build, capture_output=True, text=True, env=env, timeout=300
    )
    assert analysed.returncode == 0, analysed.stderr
    sent = analysed.stdout.splitlines()[1]  # the text as the model would get it
    assert re.fullmatch(r"Bonjour, je suis M\. \[PERSONNE_\d+\], tél\. \[TELEPHONE_\d+\]\.", sent), sent


def json_cmd() -> list[str]:
    (line,) = instructions("CMD")
    command: list[str] = json.loads(line)
    return command
