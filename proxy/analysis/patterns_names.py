"""Pattern recognizers for person names in French administrative writing.

Civilities and titles ("M. DUPONT Jean", "Mme MARTIN-DURAND", "Dr A. Martin"), names written
SURNAME Firstname or Firstname SURNAME (checked against a first-name list), salutations
("Bonjour Marie,") and signatures after a closing formula. The civility itself is not part of
the finding: "Madame [PERSONNE_1]" keeps the agent's text polite and gendered.
"""

from __future__ import annotations

import re
from collections.abc import Container, Sequence, Set

from proxy.analysis.first_names import is_first_name, normalise
from proxy.analysis.lexicon_fr import CALENDAR_WORDS
from proxy.analysis.patterns import Pattern, RecognizerSpec, Validator
from proxy.analysis.places import place_key
from proxy.analysis.wordlists import alternation, alternatives, people_list_labels, prefilter, word_set, words
from proxy.entities import Entity

_UP = "A-ZÀ-ÖØ-Þ"
_LOW = "a-zß-öø-ÿ"
# Capitalised words that follow a civility but are titles or labels, not names.
TITLES = alternatives("titles_after_civility_fr.txt")
# Places and buildings named after people: "collège Jean Moulin", "salle Pierre Mendès France".
NAMED_AFTER_WORDS = alternatives("named_after_places_fr.txt")
# The cheap upper-case lookahead first: the title alternation then runs only where a word is
# capitalised, not at every position of the text (a third of the detector's pattern time).
_NOT_TITLE = rf"(?=[{_UP}])(?!(?i:{TITLES}|{NAMED_AFTER_WORDS})(?![\w'’]))"
_NAMED_AFTER = rf"(?i:{NAMED_AFTER_WORDS})[ \u00a0]+$"
_TOKEN = rf"{_NOT_TITLE}[{_UP}][{_LOW}{_UP}'’]*(?:-[{_UP}][{_LOW}{_UP}'’]*)*"
_INITIAL = rf"(?:[{_UP}]\.?-?[{_UP}]?\.(?:[ \t]?-?[{_UP}]\.)*|[{_UP}](?=[ \t]+[{_UP}]))"
_PARTICLE = f"(?:{alternatives('name_particles.txt')})"
_GAP = r"[ \t\u00a0]+"
_NAME = (
    rf"(?:{_INITIAL}[ \t\u00a0]*)*(?:{_PARTICLE}(?:{_GAP}|(?<=['’])))?{_TOKEN}"
    rf"(?:{_GAP}(?:{_PARTICLE}(?:{_GAP}|(?<=['’])))?{_TOKEN}){{0,3}}"
)
_NAMES = rf"{_NAME}(?:(?:,{_GAP}|{_GAP}et{_GAP}){_NAME})*"
# After a civility, "Le" and "La" begin a surname ("M. LE MEUR", "Mme Le Goff"), not a title: the
# title after them is refused by `_NOT_TITLE` ("M. le Maire").
_SURNAME_PARTICLE = rf"(?:{_PARTICLE}|Le|La|LE|LA)"
_NAME_AFTER_CIVILITY = (
    rf"(?:{_INITIAL}[ \t\u00a0]*)*(?:{_SURNAME_PARTICLE}(?:{_GAP}|(?<=['’])))?{_TOKEN}"
    rf"(?:{_GAP}(?:{_PARTICLE}(?:{_GAP}|(?<=['’])))?{_TOKEN}){{0,3}}"
)
_CIVILITY = (
    f"(?:{alternatives('civility_abbreviations.txt')}|(?i:{alternatives('civilities_before_name_fr.txt')}))"
)
# A rank before the surname: "en présence de l'agent Dubois", "le brigadier LEMAIRE"; not "l'agent du
# Gouvernement" (no "de", "du", "des" after a rank).
_RANK = f"(?i:{alternatives('ranks_before_name_fr.txt')})"
# Form fields whose value is a name: "Nom : MARTIN", "Prénom(s) : Julie", "Titulaire : ...".
_NAME_FIELD = f"(?i:{alternatives('name_fields_fr.txt')})"
_PLURAL_CIVILITY = r"(?:MM\.|Mmes\.?|Mlles\.?|Drs\.?|(?i:messieurs|mesdames|docteurs|ma[iî]tres))"
_SURNAME_UP = rf"{_NOT_TITLE}[{_UP}][{_UP}'’]+(?:-[{_UP}][{_UP}'’]+)*"
_FIRST = rf"{_NOT_TITLE}[{_UP}][{_LOW}'’]+(?:-[{_UP}][{_LOW}'’]+)?"
_GREETING = f"(?i:{alternatives('greetings_before_name.txt')})"
_NOT_CIVILITY = rf"(?!(?i:{alternatives('not_a_name_after_greeting_fr.txt')})\b)"
_CLOSING = f"(?i:{alternatives('closings.txt')})"
# Anonymised people written as one initial ("le témoignage de K", "[L.] a indiqué", "W., témoin"):
# the initial follows a preposition or a comma and is followed by punctuation or a verb.
_BEFORE_INITIAL = "|".join(rf"(?<=\b{word}[ \u00a0])" for word in words("prepositions_before_initial_fr.txt"))
_VERB_AFTER = alternatives("verbs_after_initial_fr.txt")
_AFTER_INITIAL = rf"(?=[ \u00a0]*[,;:)»\]]|[ \u00a0]+(?:{_VERB_AFTER})\b|\.(?:[ \u00a0]+[{_UP}]|$))"
_INITIAL_ALONE = (
    rf"(?=[{_UP}])(?:{_BEFORE_INITIAL}|(?<=, )|(?<=qu['’]))(?<![{_UP}] à )(?<![{_UP}] et )(?<![{_UP}], )"
    rf"(?!M\.)[{_UP}]\.?{_AFTER_INITIAL}"  # "M." is the civility, never an initial
)

# People named by their tie to someone ("sa fille Manon", "ses deux enfants, Ibrahim et Salimata",
# "my wife Helen") or by their age ("Yanis (12 ans)", "Fanta, 5 ans"): mostly first names alone,
# which spaCy misses. The tie is a lower-case word: "la Petite Enfance" is a service, not a girl.
_KIN = f"(?:{alternatives('kinship_fr.txt')})"
_KIN_OWNER = f"(?i:{alternatives('kin_owners.txt')})"
_KIN_MODIFIER = rf"(?:(?:{alternatives('kin_modifiers.txt')})[ \t]+)*"
_UP_WORD = rf"[{_UP}][^\W\d_]*(?:['’-][^\W\d_]+)*"  # any script: "Bảo", "Ionuț", "N'Diaye"
_ANY_UP = rf"{_NOT_TITLE}{_UP_WORD}"
_PLAIN_NAME = rf"{_ANY_UP}(?:[ \t]+{_ANY_UP}){{0,2}}(?:[ \t]+[{_UP}]\.)?"
# Without the title check: its first word must be a known first name.
_BARE_NAME = rf"{_UP_WORD}(?:[ \t]+{_UP_WORD}){{0,2}}"
_NAME_SEPARATOR = r"[ \t]*,[ \t]*(?:et[ \t]+)?|[ \t]+et[ \t]+|[ \t]*;[ \t]*"
_NAME_LIST = rf"(?:{_PLAIN_NAME})(?:(?:{_NAME_SEPARATOR})(?:{_PLAIN_NAME}))*"  # split into one name each
_AGE = r"(?:[ \t]*\([ \t]*|[ \t]*,[ \t]*)(?:[âa]g[ée]e?[ \t]+de[ \t]+)?\d{1,3}[ \t]*ans\b"
_AGE_BARE = r"[ \t]+\d{1,3}[ \t]*ans\b"
# Each pattern below opens with a cheap look-ahead at its first letter (generated by `prefilter`
# from the words, or an upper-case class): the look-behinds and alternations then run at few positions.
# Not at a sentence's start ("Enfin, 3 ans après"): after a word, a comma, a bracket or a bullet.
_INSIDE_SENTENCE = r"(?:(?<=[\w,;][ \t])|(?<=[(\[])|(?<=[(\[][ \t])|(?<=^[-–—•*][ \t]))"

# Words that make an upper-case pair an institution or a heading rather than a person.
_INSTITUTION_WORDS = word_set("institution_words_fr.txt")


class NameCheck:
    """A match is a name if its words include a known first name and no institution word.

    With a SURNAME in capitals, every other word must be a first name ("DUPONT Jean Pierre", not
    "Boulangerie Martin SARL"); with `leading_first_name`, the first word must be one ("Jean Moulin",
    not "Rapport Martin").
    """

    def __init__(self, first_names: Set[str], leading_first_name: bool = False) -> None:
        self._first_names = first_names
        self._leading = leading_first_name

    def __call__(self, text: str) -> bool:
        raw = re.findall(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", text)
        words = [normalise(w) for w in raw]
        if len(words) < 2 or any(w in _INSTITUTION_WORDS for w in words):
            return False
        if all(w.isupper() for w in raw):  # all capitals: headings, drug names... be stricter
            return min(map(len, words)) > 2 and any(len(w) > 3 and self._is_first_name(w) for w in words)
        if self._leading and not self._is_first_name(words[0]):
            return False
        if any(w.isupper() and len(w) > 1 for w in raw):
            return all(self._is_first_name(n) for w, n in zip(raw, words, strict=True) if not w.isupper())
        return any(self._is_first_name(w) for w in words)

    def _is_first_name(self, word: str) -> bool:
        return is_first_name(self._first_names, word)


CIVILITY = RecognizerSpec(
    "fr_person_civility",
    Entity.PERSON,
    (
        Pattern(rf"(?<![\w.]){_CIVILITY}(?:[ \t]*:)?{_GAP}({_NAME_AFTER_CIVILITY})(?![\w'’-])", 0.9, group=1),
        Pattern(rf"(?<![\w.]){_CIVILITY}(?<=\.)({_NAME_AFTER_CIVILITY})(?![\w'’-])", 0.9, group=1),
        Pattern(
            rf"(?<![\w.]){_RANK}{_GAP}(?!(?:de|du|des|d['’])[ \t'’])({_NAME_AFTER_CIVILITY})(?![\w'’-])",
            0.9,
            group=1,
        ),
        Pattern(rf"(?<![\w.]){_PLURAL_CIVILITY}{_GAP}({_NAMES})(?![\w'’-])", 0.9, group=1),
        # at a line's start, or after a column gap: "Date : 14/10/2024     Signature : S. Garnier"
        Pattern(
            rf"(?:^[ \t]*|(?<=[ \t]{{2}})|(?<=\t)){_NAME_FIELD}[ \t]*:[ \t]*({_NAME})(?![\w'’-])",
            0.9,
            flags=re.M,
            group=1,
        ),
    ),
)

GREETING = RecognizerSpec(
    "fr_person_greeting",
    Entity.PERSON,
    (
        Pattern(rf"(?<!\w){_GREETING}{_GAP}{_NOT_CIVILITY}({_NAME})(?![\w'’-])", 0.86, group=1),
        Pattern(
            rf"(?m)^[ \t]*{_CLOSING}[ \t]*[,.!]*[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t]*({_NAME})"
            rf"[ \t]*(?:[,–—-][^\n]*)?$",
            0.85,
            group=1,
        ),
        # On the closing's line: "Merci !! Julie", "Cordialement, Jean Dupont".
        Pattern(
            rf"(?m){prefilter(_CLOSING)}(?<![\w'’]){_CLOSING}[ \t]*[,.!]*[ \t]+({_NAME})[ \t]*$",
            0.85,
            group=1,
        ),
    ),
)


class _FirstNameFirst:
    """The name starts with a known first name ("Aylin Yılmaz 10 ans", not "Depuis 3 ans")."""

    def __init__(self, first_names: Set[str]) -> None:
        self._first_names = first_names

    def __call__(self, text: str) -> bool:
        return is_first_name(self._first_names, normalise(text.split()[0]))


class _ListedName:
    """One name of a list after a field label ("Enfants : Naïma, Ansuf et Nassim"): a known first
    name, or a word that is neither in the dictionary nor an acronym ("Commission", "PM")."""

    def __init__(self, first_names: Set[str], common_words: Container[str]) -> None:
        self._first_names = first_names
        self._common_words = common_words

    def __call__(self, text: str) -> bool:
        first = text.split()[0]
        if is_first_name(self._first_names, normalise(first)):
            return True
        return first.lower() not in self._common_words and not (first.isupper() and len(first) <= 3)


def _has_lower_case(name: str) -> bool:
    """Not an acronym: "CDI, 3 ans" is a contract."""
    return any(c.islower() for c in name.split()[0])


class _LowerCaseName:
    """A name written in lower case in a list: a known first name, then at least one more word."""

    def __init__(self, first_names: Set[str]) -> None:
        self._first_names = first_names

    def __call__(self, text: str) -> bool:
        words = text.split()
        return len(words) >= 2 and is_first_name(self._first_names, normalise(words[0]))


_LOW_WORD = rf"[{_LOW}][{_LOW}'’]+(?:-[{_LOW}][{_LOW}'’]+)*"
_LOW_NAME = rf"{_LOW_WORD}(?:[ \t]+{_LOW_WORD}){{1,3}}"
# Names are split from one another by commas, "et" or semicolons (never "et" inside a name).
_LOW_NAME_LIST = rf"(?!et[ \t]){_LOW_NAME}(?:(?:{_NAME_SEPARATOR}){_LOW_NAME})*"


def _lower_case_list(labels: Sequence[str], first_names: Set[str]) -> Pattern:
    """ "Infirmiers : theodore roux, marie cécile lefevre": people listed after a label, in lower case."""
    return Pattern(
        rf"(?m)^[ \t]*(?i:{alternation(labels)})[ \t]*:[ \t]*({_LOW_NAME_LIST})(?![\w'’-])",
        0.87,
        _LowerCaseName(first_names),
        group=1,
        split=_NAME_SEPARATOR,
    )


def _family_spec(check: Validator, listed: Validator) -> RecognizerSpec:
    return RecognizerSpec(
        "fr_person_family",
        Entity.PERSON,
        (
            Pattern(
                rf"{prefilter(_KIN_OWNER)}(?<![\w'’]){_KIN_OWNER}[ \t]+{_KIN_MODIFIER}{_KIN}"
                rf"(?:[ \t]*[,:(][ \t]*|[ \t]+)"
                rf"({_NAME_LIST})(?![\w'’-])",
                0.87,  # beats spaCy's place or organisation on the same words ("Fanta", "Helen")
                group=1,
                split=_NAME_SEPARATOR,
            ),
            Pattern(
                rf"(?m)^[ \t]*(?i:{_KIN}|agents?|membres?|pr[ée]sents?|absents?|excus[ée]e?s?)"
                rf"[ \t]*:[ \t]*({_NAME_LIST})(?![\w'’-])",
                0.87,
                listed,
                group=1,
                split=_NAME_SEPARATOR,
            ),
            Pattern(
                rf"(?m)(?=[{_UP}]){_INSIDE_SENTENCE}({_PLAIN_NAME})(?={_AGE})",
                0.87,
                _has_lower_case,
                group=1,
            ),
            Pattern(rf"(?=[{_UP}])(?<![\w'’-])({_BARE_NAME})(?={_AGE_BARE})", 0.87, check, group=1),
        ),
    )


def _names_spec(check: NameCheck, leading: NameCheck) -> RecognizerSpec:
    """Names without civility: checked against the first names; anonymised initials."""
    return RecognizerSpec(
        "fr_person_name",
        Entity.PERSON,
        (
            Pattern(
                rf"(?<![\w'’-]){_SURNAME_UP}(?:[ \t\-]{_SURNAME_UP})?[ \t]*,?[ \t]+"
                rf"(?:{_FIRST}|{_SURNAME_UP})(?:[ \t]+(?:{_FIRST}|{_SURNAME_UP}))?(?![\w'’-])",
                0.86,
                check,
                shrink=True,
                not_after=_NAMED_AFTER,
            ),
            Pattern(
                rf"(?<![\w'’-]){_FIRST}(?:[ \t]+{_FIRST})?[ \t]+{_SURNAME_UP}"
                rf"(?:[ \t\-]{_SURNAME_UP})?(?![\w'’-])",
                0.86,
                check,
                not_after=_NAMED_AFTER,
            ),
            Pattern(
                rf"(?<![\w'’-]){_FIRST}[ \t]+(?:{_PARTICLE}[ \t]+)?{_FIRST}(?![\w'’-])",
                0.7,
                leading,
                not_after=_NAMED_AFTER,
            ),
            Pattern(rf"\[[{_UP}]\.?\]|(?<=\" )[{_UP}](?= \")|(?<=\")[{_UP}](?=\")", 0.7),
            Pattern(_INITIAL_ALONE, 0.6),
        ),
    )


class LoneFirstName:
    """A known first name that is no French word and no place: "Patrick", not "Pierre" or "Rose"."""

    def __init__(self, first_names: Set[str], common_words: Container[str], places: Set[str]) -> None:
        self._first_names = first_names
        self._common_words = common_words
        self._places = places

    def __call__(self, text: str) -> bool:
        key = normalise(text)
        return (
            key in self._first_names
            and key not in CALENDAR_WORDS
            and text.lower() not in self._common_words
            and place_key(text) not in self._places
        )


# A first name alone, inside a sentence, away from other capitalised words and numbers: "écrire
# à Patrick pour", not "Avis de", "collège Louise Michel", "Agence Immo Flandres", "13 June 2024".
_LONE_FIRST_NAME = (
    rf"(?=[{_UP}])(?<![\w'’-]){_NOT_TITLE}[{_UP}][{_LOW}]{{2,}}(?:-[{_UP}][{_LOW}]+)?"
    rf"(?![\w'’-])(?![ \t\u00a0]*(?:[{_UP}\d]|&))"
)
_NOT_LONE = (
    rf"{_NAMED_AFTER}|(?:[{_UP}][\w'’.-]*|\d[\w]*|&)[ \t\u00a0]+$|"
    rf"(?:^|[.!?:;\n•|>–—-])[ \t\u00a0]*$"
)


def name_specs(
    first_names: Set[str], common_words: Container[str] = frozenset(), places: Set[str] = frozenset()
) -> tuple[RecognizerSpec, ...]:
    """The name recognizers; the upper-case patterns check their words against `first_names`."""
    leading = NameCheck(first_names, leading_first_name=True)
    names = _names_spec(NameCheck(first_names), leading)
    alone = LoneFirstName(first_names, common_words, places)
    lone = Pattern(_LONE_FIRST_NAME, 0.6, alone, not_after=_NOT_LONE)
    names = RecognizerSpec(names.name, names.entity, (*names.patterns, lone))
    family = _family_spec(_FirstNameFirst(first_names), _ListedName(first_names, common_words))
    lower_case = _lower_case_list(people_list_labels(), first_names)
    family = RecognizerSpec(family.name, family.entity, (*family.patterns, lower_case))
    return (CIVILITY, names, GREETING, family)


NAME_RECOGNIZERS = (CIVILITY.name, "fr_person_name", GREETING.name, "fr_person_family")
