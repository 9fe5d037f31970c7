"""French words known to the spaCy model's own lemmatizer tables (about 300,000 forms).

spaCy takes a capitalised word that opens a sentence for a place ("Hier", "Besoin exprimé :",
"Coordonnées bancaires"); such a word that the dictionary knows is dropped by the NER rules, unless
it is a known place (`places.py`). The tables ship with the model, so nothing is downloaded; only
the words' 64-bit hashes are kept, sorted (about 2.5 MB instead of 20 MB of strings).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import spacy
from spacy.strings import get_string_id
from srsly.msgpack import Unpacker  # spaCy's own serialisation of the tables

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
    with (directory / "lookups.bin").open("rb") as tables:
        unpacker = Unpacker(tables, raw=False, strict_map_key=False, read_size=1 << 16)
        return CommonWords(np.fromiter(_word_hashes(unpacker), dtype=np.uint64))


def _word_hashes(tables: Any) -> Iterator[int]:
    """The forms (already hashed: the keys of `lemma_lookup`) and the lemmas (`lemma_index`), read
    as a stream: building the tables whole would take 100 MB for a moment."""
    for _ in range(tables.read_map_header()):
        name = tables.unpack()
        if name == "lemma_lookup":
            for _ in range(tables.read_map_header()):
                yield tables.unpack()
                tables.skip()  # the lemma
        elif name == "lemma_index":
            for _ in range(tables.read_map_header()):
                tables.skip()  # the part of speech
                for _ in range(tables.read_array_header()):
                    yield get_string_id(tables.unpack())
        else:
            tables.skip()


def _lookups_directory(package: Path) -> Path | None:
    for candidate in (package / "lemmatizer" / "lookups", *package.glob("*/lemmatizer/lookups")):
        if (candidate / "lookups.bin").is_file():
            return candidate
    return None
