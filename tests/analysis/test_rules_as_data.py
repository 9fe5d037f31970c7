"""Rules are data: no word list and no regex alternation of more than 10 items inside a .py file of
proxy/analysis/ (they live in proxy/analysis/data/, one file per concept, each naming its source),
and every data file is well formed and used."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from proxy.analysis import wordlists

ANALYSIS = Path(__file__).resolve().parents[2] / "proxy" / "analysis"
DATA = ANALYSIS / "data"
MAX_ITEMS = 10


def _is_datum(node: ast.expr) -> bool:
    """A literal item (word, number) or an enum member (`Entity.NIR`): data, not code."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str | int | float)
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)


def _literal_lists(tree: ast.AST) -> list[tuple[int, int]]:
    """(line, items) of every list, tuple, set or dict literal of data longer than MAX_ITEMS."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            items = [e for e in node.elts if _is_datum(e)]
        elif isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None and _is_datum(k)]
        else:
            continue
        if len(items) > MAX_ITEMS:
            found.append((node.lineno, len(items)))
    return found


def alternation_sizes(regex: str) -> list[int]:
    """The number of alternatives of each group of a regex (its top level counts as one group);
    escapes and character classes are skipped. Works on fragments of regexes too."""
    sizes: list[int] = []
    stack = [1]
    in_class = False
    index = 0
    while index < len(regex):
        char = regex[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            stack.append(1)
        elif char == ")" and len(stack) > 1:
            sizes.append(stack.pop())
        elif char == "|":
            stack[-1] += 1
        index += 1
    return sizes + stack


def _alternations(tree: ast.AST) -> list[tuple[int, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            largest = max(alternation_sizes(node.value))
            if largest > MAX_ITEMS:
                found.append((node.lineno, largest))
    return found


def _modules() -> list[Path]:
    return sorted(ANALYSIS.rglob("*.py"))


def test_the_scan_sees_what_it_must_refuse() -> None:
    tree = ast.parse(
        "A = ('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k')\n"
        "B = frozenset({E.A, E.B, E.C, E.D, E.E, E.F, E.G, E.H, E.I, E.J, E.K})\n"
        "C = {'a': 1, 'b': 1, 'c': 1, 'd': 1, 'e': 1, 'f': 1, 'g': 1, 'h': 1, 'i': 1, 'j': 1, 'k': 1}\n"
        "D = r'(?i:a|b|c|d|e|f|g|h|i|j|k)'\n"
        "E = ('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j')\n"
        "F = r'(?:a|b|c|d|e)(?:f|g|h|i|j|[k|l|m])'\n"
    )
    assert sorted(line for line, _ in _literal_lists(tree)) == [1, 2, 3]
    assert [line for line, _ in _alternations(tree)] == [4]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ANALYSIS)))
def test_no_word_list_inside_python(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    lists = _literal_lists(tree)
    alternations = _alternations(tree)
    assert not lists, f"{path.name} : listes de plus de {MAX_ITEMS} éléments (ligne, taille) : {lists}"
    assert not alternations, f"{path.name} : alternations de plus de {MAX_ITEMS} mots : {alternations}"


def _data_files() -> list[Path]:
    return sorted(p for p in DATA.iterdir() if p.suffix in {".txt", ".yaml"})


@pytest.mark.parametrize("path", _data_files(), ids=lambda p: p.name)
def test_each_data_file_names_its_source_and_is_used(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("#"), f"{path.name} : un en-tête de commentaire (source) est attendu"
    items = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert items, f"{path.name} : aucun élément"
    if path.suffix == ".txt":
        assert all(line == line.strip() for line in items), f"{path.name} : espaces en bord de ligne"
    readers = [p for p in _modules() if path.name in p.read_text(encoding="utf-8")]
    assert readers, f"{path.name} : lu par aucun module de proxy/analysis"


@pytest.mark.parametrize("path", _data_files(), ids=lambda p: p.name)
def test_regex_data_files_compile_item_by_item(path: Path) -> None:
    """A file of regex alternatives: each line compiles alone (a stray "|" or bracket would
    silently merge or break the alternation)."""
    text = path.read_text(encoding="utf-8")
    if "Une alternative d'expression régulière par ligne" not in text:
        return
    for item in wordlists.words(path.name):
        re.compile(item)
        assert max(alternation_sizes(item)) <= MAX_ITEMS, f"{path.name} : {item!r}"
        assert alternation_sizes(item)[-1] == 1, f"{path.name} : « | » hors groupe dans {item!r}"
