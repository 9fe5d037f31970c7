"""Regenerate the data files drawn from Faker's providers (a development tool: the detector reads
the files, never Faker, so a Faker upgrade cannot change detection without a reviewed diff).

    uv run python -m proxy.analysis.data.regenerate first_names
    uv run python -m proxy.analysis.data.regenerate places
"""

from __future__ import annotations

import argparse
import importlib
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from proxy.analysis.wordlists import words

DATA = Path(__file__).resolve().parent
_ATTRIBUTES = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")


def _normalise(word: str) -> str:
    """As first_names.normalise (not imported: that module reads the file written here)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _split(values: Iterable[str]) -> Iterable[str]:
    """'Jean-Pierre' gives 'jean-pierre', 'jean' and 'pierre'."""
    for value in values:
        name = _normalise(value)
        yield name
        yield from name.replace("-", " ").split()


def first_names() -> list[str]:
    """Every first name of Faker's person providers for the locales of data/faker_locales.txt."""
    names: set[str] = set()
    for locale in words("faker_locales.txt"):
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in _ATTRIBUTES:
            values = getattr(provider, attribute, ())
            if isinstance(values, list | tuple | dict):
                names.update(_split(values))
    return sorted(name for name in names if name.strip() == name and name)


def places() -> dict[str, list[str]]:
    addresses = importlib.import_module("faker.providers.address.fr_FR").Provider
    return {
        "departements_fr.txt": [name for _, name in addresses.departments],
        "regions_fr.txt": list(addresses.regions),
        "countries_fr.txt": list(addresses.countries),
    }


def _write(name: str, items: Sequence[str]) -> None:
    """Rewrite the file's items under its own header (its leading comment lines)."""
    path = DATA / name
    header = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
    path.write_text("\n".join([*header, *items]) + "\n", encoding="utf-8")
    print(f"{path} : {len(items)} éléments")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", choices=("first_names", "places"))
    which = parser.parse_args(argv).which
    if which == "first_names":
        _write("first_names.txt", first_names())
    else:
        for name, items in places().items():
            _write(name, items)


if __name__ == "__main__":
    main()
