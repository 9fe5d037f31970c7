"""French words known to the spaCy model's own lemmatizer tables (about 300,000 forms).

spaCy takes a capitalised word that opens a sentence for a place ("Hier", "Besoin exprimé :",
"Coordonnées bancaires"); such a word that the dictionary knows is dropped by the NER rules, unless
it is a known place (`places.py`). The tables ship with the model, so nothing is downloaded; only
the words' 64-bit hashes are kept, sorted (about 2.5 MB instead of 20 MB of strings).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import numpy as np
import spacy
import srsly  # spaCy's own serialisation: reads the tables without building spaCy's Lookups
from spacy.strings import get_string_id

log = logging.getLogger("gardefou")


class CommonWords:
    """`word in words`: the lower-cased word is a form or a lemma of the French dictionary."""

    def __init__(self, hashes: np.ndarray) -> None:
        self._hashes = np.unique(hashes.astype(np.uint64))

    def __contains__(self, word: object) -> bool:
        if not isinstance(word, str) or not self._hashes.size:
            return False
        key = np.uint64(get_string_id(word.lower()))
        index = int(np.searchsorted(self._hashes, key))
        return index < self._hashes.size and self._hashes[index] == key

    def __len__(self) -> int:
        return int(self._hashes.size)


@functools.cache
def load_common_words(model: str) -> CommonWords:
    """The dictionary of the installed model `model` (read once per process); empty, and the rule
    off, if the model has none."""
    directory = _lookups_directory(Path(spacy.util.get_package_path(model)))
    if directory is None:
        log.warning("Le modèle %s n'a pas de tables de lemmes : mots courants non filtrés.", model)
        return CommonWords(np.empty(0, dtype=np.uint64))
    tables: dict[str, Any] = srsly.read_msgpack(directory / "lookups.bin")
    hashes: list[int] = list(tables.get("lemma_lookup", {}))  # keys: the forms' hashes
    for words in tables.get("lemma_index", {}).values():  # per part of speech: the lemmas
        hashes.extend(get_string_id(word) for word in words)
    return CommonWords(np.array(hashes, dtype=np.uint64))


def _lookups_directory(package: Path) -> Path | None:
    for candidate in (package / "lemmatizer" / "lookups", *package.glob("*/lemmatizer/lookups")):
        if (candidate / "lookups.bin").is_file():
            return candidate
    return None
