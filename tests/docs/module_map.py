"""The README's module map, generated from the modules' own docstrings.

    .venv/bin/python -m tests.docs.module_map --write    # rewrite the map in README.md

One line per module of `proxy/`: its path and the first sentence of its docstring. The test in
tests/docs/test_module_map.py fails when the map in the README is not the generated one, so a new
module without a docstring, or a moved one, is seen at once.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
START, END = "<!-- module-map:start -->", "<!-- module-map:end -->"


def first_sentence(path: Path) -> str:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    line = " ".join(docstring.strip().split("\n\n")[0].split())
    return line.replace("|", "\\|")


def module_map() -> str:
    rows = ["| module | rôle (docstring, en anglais) |", "|---|---|"]
    for path in sorted((REPO / "proxy").rglob("*.py")):
        relative = path.relative_to(REPO).as_posix()
        if path.name == "__main__.py":
            continue
        rows.append(f"| `{relative}` | {first_sentence(path) or '(sans docstring)'} |")
    return "\n".join(rows)


def readme_with_map(readme: str) -> str:
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{module_map()}\n{END}{after}"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        README.write_text(readme_with_map(README.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(module_map())
