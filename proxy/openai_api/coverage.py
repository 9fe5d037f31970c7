"""The coverage table (route x field -> treatment), generated from the wire inventory for the README.

    python -m proxy.openai_api.coverage            print the table
    python -m proxy.openai_api.coverage --write    rewrite it in README.md (between its markers)

tests/openai_api/test_coverage.py fails when the README's table is not the generated one.
"""

from __future__ import annotations

import sys
from pathlib import Path

from proxy.openai_api.inventory import Kind, Kinds, Route, Rule, Treatment, routes

START = "<!-- couverture:début (généré par python -m proxy.openai_api.coverage --write) -->"
END = "<!-- couverture:fin -->"
_REPLACED = {
    "caller_id": "remplacé par l'identifiant pseudonyme de l'agent",
    "caller_hash": "remplacé par une empreinte à clé propre à l'agent",
}
_KINDS = {Kind.TEXT: "texte", Kind.ATTACHMENT: "pièce jointe", Kind.REFUSED: "refusé"}


def treatment(rule: Rule) -> str:
    """A rule in French, as the README shows it."""
    if rule.treatment is Treatment.TEXT:
        only = " (texte seulement, pas de jetons)" if rule.strings_only else ""
        return f"texte : analysé et caviardé{only}"
    if rule.treatment is Treatment.REPLACED:
        return f"analysé, puis {_REPLACED[rule.by or 'caller_id']}"
    if rule.treatment is Treatment.REFUSED:
        return "refusé (400)"
    return "structurel : " + _structural(rule)


def _structural(rule: Rule) -> str:
    if rule.type in ("enum", "enum_list"):
        values = ", ".join(f"`{str(v).lower()}`" for v in rule.values)
        return f"{'liste de ' if rule.type == 'enum_list' else ''}valeurs {values}"
    bounds = [f"≥ {rule.min:g}"] if rule.min is not None else []
    bounds += [f"≤ {rule.max:g}"] if rule.max is not None else []
    names = {"model": "modèle servi", "bool": "booléen", "int": "entier", "number": "nombre fini"}
    names |= {"object": "objet (champs listés ; tout autre champ : texte)", "token_map": "jetons → biais"}
    name = names.get(rule.type or "", rule.type or "")
    return f"{name} {' et '.join(bounds)}".strip()


def _dispatch(kinds: Kinds) -> str:
    by_kind = {kind: [t for t, k in kinds.types.items() if k is kind] for kind in Kind}
    listed = {kind: ", ".join(f"`{t}`" for t in types) for kind, types in by_kind.items() if types}
    parts = [f"{_KINDS[kind]} : {types}" for kind, types in listed.items()]
    return " ; ".join([*parts, f"sans type : {_KINDS[kinds.untyped]}", "autre type : refusé (400)"])


def _rows(route: Route) -> list[str]:
    rows = [f"| `{route.name}` | `{path}` | {treatment(rule)} |" for path, rule in route.rules.items()]
    rows += [
        f"| `{route.name}` | `{path}` (par `type`) | {_dispatch(d)} |" for path, d in route.kinds.items()
    ]
    rows.append(f"| `{route.name}` | tout autre champ | texte : analysé et caviardé |")
    return rows


def table() -> str:
    lines = ["| route | champ | traitement |", "|---|---|---|"]
    for route in routes().values():
        lines += _rows(route)
    return "\n".join(lines)


def with_table(readme: str) -> str:
    """`readme` with the generated table between the markers."""
    before, rest = readme.split(START, 1)
    _, after = rest.split(END, 1)
    return f"{before}{START}\n{table()}\n{END}{after}"


def main(argv: list[str]) -> int:
    if "--write" in argv:
        readme = Path(__file__).resolve().parents[2] / "README.md"
        readme.write_text(with_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        sys.stdout.write(table() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
