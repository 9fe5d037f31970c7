"""Small French lexicons used to correct spaCy's named entities in administrative writing.

The words are data (`data/*.txt`, one file per concept, each naming its source); this module only
names them. All entries are normalised (lower case, no accents; see first_names.normalise).
"""

from __future__ import annotations

from proxy.analysis.wordlists import word_set, words

# Public bodies are not personal data: "la Cour", "le ministère de l'Intérieur", "la mairie de X".
PUBLIC_BODY_HEADS: tuple[str, ...] = words("public_bodies_fr.txt")
# Capitalised words that spaCy tags alone although they name nothing personal.
GENERIC_WORDS = word_set("generic_words_fr.txt")
# Single words with these endings are common nouns rather than places or organisations.
COMMON_NOUN_SUFFIXES: tuple[str, ...] = words("common_noun_suffixes_fr.txt")
# A span starting with one of these names an establishment: an organisation, not a place.
ESTABLISHMENT_HEADS: tuple[str, ...] = words("establishments_fr.txt")
CIVILITY_WORDS = word_set("civilities_fr.txt")
# Titles and functions: "le Maire", "Madame la Présidente" name a role, not a person.
TITLE_WORDS = word_set("titles_fr.txt")
# Greetings that spaCy sometimes takes into a person's name ("Bonjour Julien").
GREETING_WORDS = word_set("greetings.txt")
# Months and week days (French, English, abbreviated): capitalised in headings and dates, never a
# place, an organisation or a first name alone.
CALENDAR_WORDS = word_set("calendar_words.txt")
