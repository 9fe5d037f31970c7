"""Pattern recognizers for French postal addresses and "code postal + commune"."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Set

from proxy.analysis import checksums
from proxy.analysis.patterns import Pattern, RecognizerSpec
from proxy.analysis.places import place_key
from proxy.analysis.wordlists import alternatives, prefilter
from proxy.entities import Entity

STREET_TYPES = alternatives("street_types_fr.txt")
_UPPER = "A-ZÀ-ÖØ-Þ"
_WORD = rf"[{_UPPER}][\w'’\-]*(?:\.\w[\w'’\-]*)*"  # "G.al" inside, no sentence dot
_INNER_WORD = rf"(?:{_WORD}|\d{{1,4}})"  # "rue du 8 Mai 1945": numbers inside, never last
_PARTICLE = f"(?i:{alternatives('street_name_particles_fr.txt')})"
_GAP = r"[ \u00a0]+"
# Street name: capitalised words and particles on one line, ending with a capitalised word.
_STREET_NAME = rf"(?:{_PARTICLE}(?:{_GAP}|(?<=['’]))|{_INNER_WORD}{_GAP}){{0,6}}{_WORD}"
_NUMBER = r"\d{1,4}(?:[ \u00a0]?(?i:bis|ter|quater|[a-d])\b)?,?"
_POSTCODE = r"(?:\d{5}|\d{2}[ \u00a0]\d{3})"
_TOWN_WORD = rf"[{_UPPER}][\w'’]*"
_TOWN = (
    rf"{_TOWN_WORD}(?:(?:[ \u00a0]|-)(?:(?i:{alternatives('town_particles_fr.txt')})"
    rf"[ \u00a0\-]?)?{_TOWN_WORD})*(?:[ \u00a0]+(?i:cedex)(?:[ \u00a0]+\d{{1,2}})?)?"
)
_NOT_MONEY = r"(?!(?i:euros?|eur|francs?|nok|usd|dollars?|livres?)\b)"
_TOWN_TAIL = rf"(?:[ \u00a0]*[,\-–]?[ \u00a0]*\n?[ \u00a0]*{_POSTCODE}[ \u00a0]+{_NOT_MONEY}{_TOWN})?"

ADDRESS = RecognizerSpec(
    "fr_address",
    Entity.ADDRESS,
    (
        Pattern(
            rf"(?<![\w,.])(?:{_NUMBER}[ \u00a0]*)(?i:{STREET_TYPES})(?![\w-]){_GAP}{_STREET_NAME}"
            + _TOWN_TAIL,
            0.9,
        ),
        Pattern(
            rf"(?<![\w.])(?i:{STREET_TYPES})(?![\w-]){_GAP}{_STREET_NAME}{_TOWN_TAIL}",
            0.6,
            needs_context=False,
        ),
        Pattern(
            rf"(?<![\w.,]){_POSTCODE}[ \u00a0]+{_NOT_MONEY}{_TOWN}(?![\w-])(?![ \t]*:)",
            0.86,
            checksums.is_postcode,
        ),
    ),
)


def _capitalised(text: str) -> bool:
    return text[:1].isupper()


# A place name, any Latin script ("Şanlıurfa", "Stoke-on -Trent", "Saint-Denis", "Aix-en-Provence").
_PLACE = (
    r"[^\W\d_][\w'’]*(?:(?:[ \u00a0]?-[ \u00a0]?|[ \u00a0]+(?:sur|sous|en|le|la|les|lès|de|du)"
    r"[ \u00a0]+)[^\W\d_][\w'’]*)*"
)
_LIVES_IN = f"(?i:{alternatives('lives_in_fr.txt')})"
_BODY_OR_PLACE = f"(?i:{alternatives('bodies_named_after_place_fr.txt')})"

# Form fields whose value is a place: "Ville : Bordeaux", "Lieu de naissance : Oran".
_PLACE_FIELD = (
    r"(?i:ville|commune|localit[ée]|lieu[ \t]+de[ \t]+(?:naissance|r[ée]sidence|d[ée]c[èe]s)|domicile|"
    r"pays(?:[ \t]+de[ \t]+naissance)?)"
)

PLACE = RecognizerSpec(
    "fr_place",
    Entity.LOCATION,
    (
        Pattern(
            rf"(?<!\w){_LIVES_IN}[ \u00a0]+(?:(?:le|en)[ \u00a0][^,;]{{0,30}}?[ \u00a0])?"
            rf"(?:à|a|au|en)[ \u00a0]+({_PLACE})",
            0.8,
            _capitalised,
            group=1,
        ),
        Pattern(
            rf"(?<!\w){_BODY_OR_PLACE}(?:[ \u00a0]+[\w'’-]+){{0,3}}?[ \u00a0]+"
            rf"(?:de|du|d['’])[ \u00a0]*(?:la[ \u00a0]+|l['’])?({_PLACE})",
            0.75,
            _capitalised,
            group=1,
        ),
        Pattern(
            rf"^[ \t]*{_PLACE_FIELD}[ \t]*:[ \t]*({_PLACE})",
            0.8,
            _capitalised,
            flags=re.MULTILINE,
            group=1,
        ),
        Pattern(
            r"(?<!\w)(?i:dans le|code postal|cp)[ \u00a0]*:?[ \u00a0]*(\d{5})(?!\d)",
            0.7,
            checksums.is_postcode,
            group=1,
        ),
    ),
)


class KnownCommune:
    """A capitalised name that is a French commune: "de Rouen", "DE VILLENEUVE-D'ASCQ"."""

    def __init__(self, communes: Set[str]) -> None:
        self._communes = communes

    def __call__(self, text: str) -> bool:
        return text[:1].isupper() and place_key(text) in self._communes


# After a preposition of place, in any case: headings in capitals ("POLICE MUNICIPALE DE LOMME"),
# tables and lists, which the NER misses. The longest known commune wins ("Rouen en Normandie").
_TO_OR_FROM = rf"(?<![\w'’])(?i:{alternatives('place_prepositions_fr.txt')})[ \u00a0]*(?<=[ \u00a0'’])"


def place_spec(communes: Set[str]) -> RecognizerSpec:
    """`PLACE`, and the communes of `communes` named after a preposition of place."""
    after_preposition = Pattern(
        rf"{prefilter(_TO_OR_FROM)}{_TO_OR_FROM}({_PLACE})",
        0.75,
        KnownCommune(communes),
        shrink=True,
        group=1,
    )
    return dataclasses.replace(PLACE, patterns=(*PLACE.patterns, after_preposition))
