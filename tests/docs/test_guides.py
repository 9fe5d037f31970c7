"""The README's developer guides, followed for real: every block that names a file is applied to a
copy of the repository, its commands run there, and its checks must pass (real detector, real
policy engine). A guide that no longer matches the code fails here."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
GUIDES = ("Ajouter un reconnaisseur", "Ajouter un type d'entité", "Ajouter un champ de politique")
_BLOCK = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```$", re.S | re.M)
_ATTRIBUTE = re.compile(r"""(\w+)(?:=(?:"([^"]*)"|'([^']*)'|(\S+)))?""")
_UV_PYTHON = "uv run --locked python"


@dataclass(frozen=True)
class Block:
    info: dict[str, str]
    body: str


def guide(title: str) -> list[Block]:
    """The fenced blocks of the README section `### <title>`, in order."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index(f"\n### {title}\n")
    end = readme.find("\n## ", start + 1)
    end = min(i for i in (readme.find("\n### ", start + 1), end) if i != -1)
    blocks = []
    for match in _BLOCK.finditer(readme[start:end]):
        words = _ATTRIBUTE.findall(match["info"])
        info = {key: next((v for v in values if v), "") for key, *values in words}
        blocks.append(Block(info, match["body"]))
    return blocks


def apply(block: Block, root: Path) -> None:
    """Insert the block into its file: after or before the line equal to the anchor, or at the end."""
    path = root / block.info["file"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    anchor = block.info.get("after") or block.info.get("before")
    if anchor is None:
        assert "append" in block.info, block.info
        index = len(lines)
    else:
        matches = [i for i, line in enumerate(lines) if line.strip() == anchor.strip()]
        assert len(matches) == 1, f"{block.info['file']} : ancre « {anchor} » trouvée {len(matches)} fois"
        index = matches[0] + (1 if "after" in block.info else 0)
    lines[index:index] = [block.body]
    path.write_text("".join(lines), encoding="utf-8")


def _copy(tmp: Path) -> Path:
    root = tmp / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("proxy", "models", "policies"):
        shutil.copytree(REPO / name, root / name, ignore=ignore)
    return root


def _run(command: list[str], root: Path) -> None:
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, f"{shlex.join(command)}\n{done.stdout}\n{done.stderr}"


def test_every_guide_has_steps_commands_and_a_check() -> None:
    for title in GUIDES:
        blocks = guide(title)
        assert sum("file" in b.info for b in blocks) >= 3, title
        assert sum("check" in b.info for b in blocks) == 1, title


def test_the_guides_followed_on_a_copy_of_the_repository(tmp_path: Path) -> None:
    """All three guides on one copy (one interpreter, one detector load per check)."""
    root = _copy(tmp_path)
    checks = []
    for title in GUIDES:
        for block in guide(title):
            if "file" in block.info:
                apply(block, root)
            elif "run" in block.info:
                for line in block.body.strip().splitlines():
                    assert line.startswith(_UV_PYTHON), line
                    _run([sys.executable, *shlex.split(line.removeprefix(_UV_PYTHON))], root)
            elif "check" in block.info:
                checks.append(f"# {title}\n{block.body}")
    script = root / "guide_checks.py"
    script.write_text("\n".join(checks), encoding="utf-8")
    _run([sys.executable, str(script)], root)  # the copy's `proxy` comes first on sys.path
