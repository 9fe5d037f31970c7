"""A generated set of French structured identifiers: checksum-valid values in varied formats and
invalid-checksum (or wrong-shape) lookalikes in the same sentences, as corpus documents.

Values come from Faker fr_FR (and other SEPA locales for IBANs) or python-stdnum's check-digit
functions; everything is seeded, so the set is the same on every run.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from faker import Faker
from stdnum import luhn
from stdnum.fr import nif, nir

SEPA_LOCALES = ("fr_FR", "de_DE", "es_ES", "it_IT", "nl_NL", "nl_BE", "pt_PT")
_NBSP = "\u00a0"


@dataclass(frozen=True)
class Generated:
    """One document: `value` is at `start` in `text`; `valid` False marks a lookalike."""

    label: str
    text: str
    start: int
    value: str
    valid: bool


class Sources:
    """Faker fr_FR (attributes are forwarded to it) plus one Faker per SEPA locale, built once."""

    def __init__(self, seed: int) -> None:
        self.sepa = {locale: Faker(locale) for locale in SEPA_LOCALES}
        for offset, fake in enumerate(self.sepa.values()):
            fake.seed_instance(seed + offset)
        self.fr = self.sepa["fr_FR"]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fr, name)


@dataclass(frozen=True)
class Kind:
    label: str
    templates: tuple[str, ...]
    valid: Callable[[Sources, random.Random], str]
    lookalike: Callable[[Sources, random.Random], str]


def _group(value: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(value[i : i + size])
        i += size
    if i < len(value):
        parts.append(value[i:])
    return sep.join(p for p in parts if p)


def _by4(value: str, sep: str = " ") -> str:
    return sep.join(value[i : i + 4] for i in range(0, len(value), 4))


def _change_digit(value: str, rng: random.Random, positions: range | None = None) -> str:
    digits = [i for i in positions or range(len(value)) if value[i].isdigit()]
    i = rng.choice(digits)
    return value[:i] + str((int(value[i]) + rng.randint(1, 9)) % 10) + value[i + 1 :]


# NIR ---------------------------------------------------------------------------------------
def _nir_body(fake: Sources, rng: random.Random) -> str:
    body: str = fake.ssn()[:13]
    if rng.random() < 0.15:
        body = body[:5] + rng.choice(("2A", "2B")) + body[7:]
    return body


def _nir_format(number: str, rng: random.Random) -> str:
    style = rng.randrange(4)
    if style == 0:
        return number
    sep = (" ", ".", " ", _NBSP)[style]
    return _group(number, (1, 2, 2, 2, 3, 3, 2), sep)


def _nir(fake: Sources, rng: random.Random) -> str:
    body = _nir_body(fake, rng)
    return _nir_format(body + nir.calc_check_digits(body), rng)


def _nir_bad(fake: Sources, rng: random.Random) -> str:
    body = _nir_body(fake, rng)
    key = (int(nir.calc_check_digits(body)) + rng.randint(1, 96)) % 97 or 97
    return _nir_format(body + f"{key:02d}", rng)


# SIREN / SIRET -----------------------------------------------------------------------------
def _luhn_bad(number: str, rng: random.Random) -> str:
    while luhn.is_valid(number):
        number = _change_digit(number, rng)
    return number


def _siren_format(number: str, rng: random.Random) -> str:
    return number if rng.random() < 0.4 else _group(number, (3, 3, 3), " ")


def _siret_format(number: str, rng: random.Random) -> str:
    return number if rng.random() < 0.4 else _group(number, (3, 3, 3, 5), " ")


def _siren(fake: Sources, rng: random.Random) -> str:
    return _siren_format(fake.siren().replace(" ", ""), rng)


def _siren_bad(fake: Sources, rng: random.Random) -> str:
    return _siren_format(_luhn_bad(fake.siren().replace(" ", ""), rng), rng)


def _siret(fake: Sources, rng: random.Random) -> str:
    return _siret_format(fake.siret().replace(" ", ""), rng)


def _siret_bad(fake: Sources, rng: random.Random) -> str:
    return _siret_format(_luhn_bad(fake.siret().replace(" ", ""), rng), rng)


# IBAN / RIB --------------------------------------------------------------------------------
def _iban_raw(fake: Sources, rng: random.Random) -> str:
    locale = "fr_FR" if rng.random() < 0.5 else rng.choice(SEPA_LOCALES)
    return str(fake.sepa[locale].iban())


def _iban_format(number: str, rng: random.Random) -> str:
    return number if rng.random() < 0.3 else _by4(number)


def _iban(fake: Sources, rng: random.Random) -> str:
    return _iban_format(_iban_raw(fake, rng), rng)


def _iban_bad(fake: Sources, rng: random.Random) -> str:
    raw = _iban_raw(fake, rng)
    return _iban_format(_change_digit(raw, rng, range(4, len(raw))), rng)


def _rib_from(bban: str) -> str:
    return _group(bban, (5, 5, 11, 2), " ")


def _rib_key(body: str) -> int:
    bank, branch, account = int(body[:5]), int(body[5:10]), int(body[10:21])
    return 97 - (89 * bank + 15 * branch + 3 * account) % 97


def _rib(fake: Sources, rng: random.Random) -> str:
    body = _digits(rng, 21)
    return _rib_from(f"{body}{_rib_key(body):02d}")


def _rib_bad(fake: Sources, rng: random.Random) -> str:
    body = _digits(rng, 21)
    return _rib_from(f"{body}{(_rib_key(body) + rng.randint(1, 96)) % 97:02d}")


# Phones ------------------------------------------------------------------------------------
def _phone_digits(rng: random.Random) -> str:
    return rng.choice("123456789") + "".join(rng.choice(string.digits) for _ in range(8))


def _phone(fake: Sources, rng: random.Random) -> str:
    digits = _phone_digits(rng)
    pairs = [digits[1:3], digits[3:5], digits[5:7], digits[7:9]]
    style = rng.randrange(7)
    national = "0" + digits
    forms = (
        " ".join([national[:2], *pairs]),
        ".".join([national[:2], *pairs]),
        "-".join([national[:2], *pairs]),
        national,
        "+33 " + digits[0] + " " + " ".join(pairs),
        "+33 (0)" + digits[0] + " " + " ".join(pairs),
        "0033 " + digits[0] + " " + " ".join(pairs),
    )
    return forms[style]


def _phone_bad(fake: Sources, rng: random.Random) -> str:
    digits = _phone_digits(rng)
    forms = (digits + rng.choice(string.digits), "0" + digits[:7], "0" + digits + "12")
    return rng.choice(forms)


# E-mail, URL, IP ---------------------------------------------------------------------------
def _email(fake: Sources, rng: random.Random) -> str:
    name = f"{fake.first_name()}.{fake.last_name()}".lower().replace(" ", "-")
    name = name.translate(str.maketrans("éèëêàâçîïôöûüÿ'", "eeeeaaciioouuy-"))
    domain = rng.choice((fake.free_email_domain(), f"mairie-{fake.city()}.fr", fake.domain_name()))
    domain = domain.lower().replace(" ", "-").replace("'", "-")
    return f"{name}@{domain.translate(str.maketrans('éèêàâçîôû', 'eeeaaciou'))}"


def _email_bad(fake: Sources, rng: random.Random) -> str:
    user = fake.user_name()
    return rng.choice((f"{user}@", f"@{user}", f"{user}@localhost", f"{user}@mairie"))


def _url(fake: Sources, rng: random.Random) -> str:
    return str(fake.url()) + rng.choice(("", "contact", "demarches/etat-civil?id=42"))


def _url_bad(fake: Sources, rng: random.Random) -> str:
    return rng.choice(("http://", "https://", "www.", "http:/mairie"))


def _ip(fake: Sources, rng: random.Random) -> str:
    return str(fake.ipv4_public() if rng.random() < 0.7 else fake.ipv6())


def _ip_bad(fake: Sources, rng: random.Random) -> str:
    return ".".join(str(rng.randint(256, 999) if i == 1 else rng.randint(1, 255)) for i in range(4))


# Plates, ID documents, tax, CAF, cards -----------------------------------------------------
def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(n))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def _plate(fake: Sources, rng: random.Random) -> str:
    if rng.random() < 0.6:
        return str(fake.license_plate()).replace("-", rng.choice(("-", "-", " ")))
    dept = rng.choice(("75", "13", "2A", "69", "33", "974"))
    return f"{rng.randint(1, 9999)} {_letters(rng, rng.randint(1, 3))} {dept}"


def _plate_bad(fake: Sources, rng: random.Random) -> str:
    four_digits = f"{_letters(rng, 2)}-{_digits(rng, 4)}-{_letters(rng, 2)}"
    three_letters = f"{_letters(rng, 3)}-{_digits(rng, 2)}-{_letters(rng, 3)}"
    return rng.choice((four_digits, three_letters))


def _id_card(fake: Sources, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{_digits(rng, 2)}{_letters(rng, 2)}{_digits(rng, 2)}{_letters(rng, 1)}{_digits(rng, 2)}"
    return f"{rng.randint(80, 99)}{rng.randint(1, 12):02d}{_digits(rng, 3)}{_digits(rng, 5)}"


def _id_card_bad(fake: Sources, rng: random.Random) -> str:
    # 10 digits starting with 1-9 (starting with 0 it would be a French phone number)
    ten_digits = rng.choice("123456789") + _digits(rng, 9)
    return rng.choice((ten_digits, f"{_letters(rng, 4)}{_digits(rng, 7)}"))


def _passport(fake: Sources, rng: random.Random) -> str:
    return f"{_digits(rng, 2)}{_letters(rng, 2)}{_digits(rng, 5)}"


def _passport_bad(fake: Sources, rng: random.Random) -> str:
    return rng.choice((f"{_digits(rng, 2)}{_letters(rng, 3)}{_digits(rng, 4)}", _digits(rng, 11)))


def _tax(fake: Sources, rng: random.Random) -> str:
    body = str(rng.randint(0, 3)) + _digits(rng, 9)
    number = body + nif.calc_check_digits(body)
    return number if rng.random() < 0.5 else _group(number, (2, 2, 3, 3, 3), " ")


def _tax_bad(fake: Sources, rng: random.Random) -> str:
    body = str(rng.randint(0, 3)) + _digits(rng, 9)
    check = (int(nif.calc_check_digits(body)) + rng.randint(1, 510)) % 511
    return _group(body + f"{check:03d}", (2, 2, 3, 3, 3), " ")


def _caf(fake: Sources, rng: random.Random) -> str:
    return _digits(rng, 7)


def _card(fake: Sources, rng: random.Random) -> str:
    number = str(fake.credit_card_number(rng.choice(("visa16", "mastercard", "amex"))))
    return number if rng.random() < 0.5 else _by4(number)


def _card_bad(fake: Sources, rng: random.Random) -> str:
    number = str(fake.credit_card_number(rng.choice(("visa16", "mastercard"))))
    return _by4(_luhn_bad(number, rng))


KINDS: tuple[Kind, ...] = (
    Kind(
        "NIR",
        (
            "Numéro de sécurité sociale : {v}.",
            "Mon n° de sécu est le {v}, merci.",
            "Carte Vitale n° {v}",
            "Numéro INSEE {v} à vérifier.",
            "Le dossier porte le {v}.",
        ),
        _nir,
        _nir_bad,
    ),
    Kind(
        "SIREN",
        (
            "SIREN : {v}",
            "La société, immatriculée sous le numéro SIREN {v}, est cliente.",
            "Entreprise n° SIREN {v}.",
        ),
        _siren,
        _siren_bad,
    ),
    Kind(
        "SIRET",
        (
            "SIRET : {v}",
            "Le fournisseur (SIRET {v}) a envoyé sa facture.",
            "Établissement {v} inscrit au répertoire.",
        ),
        _siret,
        _siret_bad,
    ),
    Kind(
        "IBAN",
        (
            "IBAN : {v}",
            "Merci de faire le virement sur le compte {v} avant la fin du mois.",
            "Coordonnées bancaires : {v}",
        ),
        _iban,
        _iban_bad,
    ),
    Kind("RIB", ("RIB : {v}", "Relevé d'identité bancaire {v} joint au dossier."), _rib, _rib_bad),
    Kind(
        "PHONE",
        (
            "Tél. : {v}",
            "Vous pouvez me joindre au {v} après 18 h.",
            "Portable {v}",
            "Rappeler le {v} demain.",
        ),
        _phone,
        _phone_bad,
    ),
    Kind("EMAIL", ("Courriel : {v}", "Écrire à {v} pour le rendez-vous.", "Contact {v}"), _email, _email_bad),
    Kind("URL", ("Voir {v} pour la démarche.", "Site : {v}"), _url, _url_bad),
    Kind("IP_ADDRESS", ("Connexion depuis l'adresse IP {v} ce matin.", "IP : {v}"), _ip, _ip_bad),
    Kind(
        "LICENSE_PLATE",
        ("Véhicule immatriculé {v} stationné devant l'école.", "Plaque d'immatriculation : {v}"),
        _plate,
        _plate_bad,
    ),
    Kind(
        "ID_CARD",
        ("Carte nationale d'identité n° {v}", "Pièce d'identité : CNI {v}."),
        _id_card,
        _id_card_bad,
    ),
    Kind("PASSPORT", ("Passeport n° {v}", "Numéro de passeport : {v}."), _passport, _passport_bad),
    Kind(
        "TAX_ID",
        ("Numéro fiscal : {v}", "Indiquez votre numéro fiscal ({v}) sur l'avis d'impôt."),
        _tax,
        _tax_bad,
    ),
    Kind(
        "CAF_NUMBER",
        ("Numéro d'allocataire CAF : {v}", "Allocataire n° {v} à la CAF."),
        _caf,
        lambda fake, rng: _digits(rng, 7),
    ),
    Kind("CREDIT_CARD", ("Carte bancaire n° {v}", "Payé avec la carte {v}."), _card, _card_bad),
)

# Lookalikes go in sentences without a strong label: right after "n° de sécurité sociale" or "IBAN",
# the shape alone is flagged whatever the checksum (see LABELLED below). CAF lookalikes are the same
# 7 digits in a sentence without CAF context.
_NEUTRAL = (
    "Le dossier porte le {v}.",
    "Référence interne : {v}.",
    "Bordereau {v} reçu.",
    "Voir la pièce {v}.",
)
_NO_CONTEXT = {
    "CAF_NUMBER": ("Référence de commande : {v}.", "Bordereau {v} reçu."),
    **dict.fromkeys(("NIR", "SIREN", "SIRET", "IBAN", "RIB", "TAX_ID", "CREDIT_CARD"), _NEUTRAL),
}


def _id_card_bad_date(fake: Sources, rng: random.Random) -> str:
    """Old-format identity card whose month is impossible (fails the date check)."""
    return f"{rng.randint(80, 99)}{rng.randint(13, 99)}{_digits(rng, 3)}{_digits(rng, 5)}"


def _licence(fake: Sources, rng: random.Random) -> str:
    """Old-format licence (12 digits; the newer 12AB34567 is the passport's shape, flagged anywhere)."""
    return _digits(rng, 12)


# Invalid checksums (or no checksum at all) right after a strong label: flagged all the same.
LABELLED: tuple[Kind, ...] = (
    Kind(
        "NIR",
        ("n° de sécurité sociale {v}", "Numéro de sécurité sociale : {v}.", "NIR : {v}"),
        _nir_bad,
        _nir_bad,
    ),
    Kind("SIREN", ("SIREN : {v}", "numéro SIREN {v}"), _siren_bad, _siren_bad),
    Kind("SIRET", ("SIRET : {v}", "Le fournisseur (SIRET {v}) relance."), _siret_bad, _siret_bad),
    Kind("IBAN", ("IBAN : {v}", "Mon IBAN est {v}."), _iban_bad, _iban_bad),
    Kind("RIB", ("RIB : {v}", "Relevé d'identité bancaire {v} joint."), _rib_bad, _rib_bad),
    Kind("TAX_ID", ("Numéro fiscal : {v}", "identifiant fiscal {v}"), _tax_bad, _tax_bad),
    Kind("CREDIT_CARD", ("Carte bancaire n° {v}", "numéro de carte {v}"), _card_bad, _card_bad),
    Kind("ID_CARD", ("Carte d'identité n° {v}", "CNI {v}"), _id_card_bad_date, _id_card_bad_date),
    Kind(
        "DRIVING_LICENSE",
        ("présentait le permis n° {v}", "Permis de conduire : {v}", "numéro de permis {v}"),
        _licence,
        _licence,
    ),
)


def generate_labelled(per_kind: int = 40, seed: int = 20261203) -> Iterator[Generated]:
    """Each invalid value twice: after a strong label (`valid` True: to be flagged) and in a
    sentence without one (`valid` False: to be left alone)."""
    rng = random.Random(seed)
    fake = Sources(seed)
    for kind in LABELLED:
        for i in range(per_kind):
            value = kind.valid(fake, rng)
            yield _document(kind.label, kind.templates[i % len(kind.templates)], value, True)
            yield _document(kind.label, _NEUTRAL[i % len(_NEUTRAL)], value, False)


def generate(per_kind: int = 40, seed: int = 20240601) -> Iterator[Generated]:
    """`per_kind` valid values and as many lookalikes for each identifier kind."""
    rng = random.Random(seed)
    fake = Sources(seed)
    for kind in KINDS:
        for i in range(per_kind):
            yield _document(kind.label, kind.templates[i % len(kind.templates)], kind.valid(fake, rng), True)
            templates = _NO_CONTEXT.get(kind.label, kind.templates)
            yield _document(kind.label, templates[i % len(templates)], kind.lookalike(fake, rng), False)


def _document(label: str, template: str, value: str, valid: bool) -> Generated:
    start = template.index("{v}")
    return Generated(label, template.replace("{v}", value), start, value, valid)
