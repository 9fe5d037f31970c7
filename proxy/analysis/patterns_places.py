"""Pattern recognizers for French postal addresses and "code postal + commune"."""

from __future__ import annotations

from proxy.analysis import checksums
from proxy.analysis.patterns import Pattern, RecognizerSpec
from proxy.entities import Entity

STREET_TYPES = (
    "rue|ruelle|avenue|av\\.?|boulevard|bd|bld|place|pl\\.|all[ée]e|impasse|imp\\.|chemin|ch\\.|"
    "route|rte|quai|cours|square|passage|voie|faubourg|fbg|rond-point|lotissement|lot\\.|"
    "r[ée]sidence|hameau|lieu-dit|sentier|promenade|esplanade|parvis|cit[ée]|villa|traverse|"
    "mont[ée]e|clos|domaine|zone|zac|za|zi|square|parc|carrefour|chauss[ée]e|venelle|sente"
)
_UPPER = "A-ZÀ-ÖØ-Þ"
_WORD = rf"[{_UPPER}0-9][\w'’\-]*\.?"
_PARTICLE = r"(?i:de|du|des|la|le|les|aux|au|à|en|sur|sous|et|d['’]|l['’])"
_GAP = r"[ \u00a0]+"
# Street name: capitalised words and particles on one line, ending with a capitalised word.
_STREET_NAME = rf"(?:{_PARTICLE}(?:{_GAP}|(?<=['’]))|{_WORD}{_GAP}){{0,6}}{_WORD}"
_NUMBER = r"\d{1,4}(?:[ \u00a0]?(?i:bis|ter|quater|[a-d])\b)?,?"
_POSTCODE = r"(?:\d{5}|\d{2}[ \u00a0]\d{3})"
_TOWN_WORD = rf"[{_UPPER}][\w'’]*"
_TOWN = (
    rf"{_TOWN_WORD}(?:(?:[ \u00a0]|-)(?:(?i:sur|sous|en|le|la|les|de|du|des|lès|lez|aux?|d['’]|l['’])"
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
            rf"(?<![\w.,]){_POSTCODE}[ \u00a0]+{_NOT_MONEY}{_TOWN}(?![\w-])",
            0.7,
            checksums.is_postcode,
        ),
    ),
)
