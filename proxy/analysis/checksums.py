"""Checksum and structure validation of French and European identifiers (pure functions).

Each validator takes the matched text (with its separators) and says whether it is a plausible
identifier of its kind; python-stdnum does the arithmetic where it has the algorithm.
"""

from __future__ import annotations

import ipaddress
import re

from stdnum import iban, luhn
from stdnum.fr import nif, nir, siren, siret

_SEPARATORS = re.compile(r"[\s.\-/]")
_RIB_LETTERS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "12345678912345678923456789")
_NIR_SEX = frozenset("123478")


def compact(text: str) -> str:
    """The identifier without spaces, dots, dashes or slashes, upper-cased."""
    return _SEPARATORS.sub("", text).upper()


def is_nir(text: str) -> bool:
    """NIR with its 2-digit key (15 characters, Corsica 2A/2B allowed)."""
    number = compact(text)
    return len(number) == 15 and _nir_body_ok(number[:13]) and bool(nir.is_valid(number))


def is_nir_without_key(text: str) -> bool:
    """NIR written without its key (13 characters): structure only, no checksum to check."""
    number = compact(text)
    return len(number) == 13 and _nir_body_ok(number)


def _nir_body_ok(body: str) -> bool:
    """Sex digit, month (01-12, 20-42 or 50-99 for unknown/fictitious months), department."""
    if body[0] not in _NIR_SEX or not body[1:5].isdigit():
        return False
    month = int(body[3:5])
    department = body[5:7]
    month_ok = 1 <= month <= 12 or 20 <= month <= 42 or 50 <= month <= 99
    return month_ok and (department.isdigit() or department in {"2A", "2B"})


def is_siren(text: str) -> bool:
    return bool(siren.is_valid(compact(text)))


def is_siret(text: str) -> bool:
    return bool(siret.is_valid(compact(text)))


def is_iban(text: str) -> bool:
    return bool(iban.is_valid(compact(text)))


def is_tax_number(text: str) -> bool:
    """Numéro fiscal (SPI): 13 digits, first 0-3, last 3 digits = first 10 mod 511."""
    return bool(nif.is_valid(compact(text)))


def is_rib(text: str) -> bool:
    """French RIB: bank (5) + branch (5) + account (11, letters allowed) + key (2)."""
    number = compact(text)
    if len(number) != 23 or not (number[:10] + number[21:]).isdigit():
        return False
    digits = number.translate(_RIB_LETTERS)
    bank, branch, account, key = digits[:5], digits[5:10], digits[10:21], digits[21:]
    return (89 * int(bank) + 15 * int(branch) + 3 * int(account) + int(key)) % 97 == 0


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def is_card_number(text: str) -> bool:
    """Card number with a network prefix matching its length (Visa, Mastercard/CB, Amex)."""
    number = compact(text)
    if not (number.isdigit() and luhn.is_valid(number)):
        return False
    return _card_prefix_ok(number)


def _card_prefix_ok(number: str) -> bool:
    length, two, four = len(number), int(number[:2]), int(number[:4])
    if length == 15:
        return two in (34, 37)
    if length == 16:
        return number[0] == "4" or 51 <= two <= 55 or 2221 <= four <= 2720 or number[:2] == "62"
    return length in (13, 19) and number[0] == "4"


def is_date(text: str) -> bool:
    """Numeric date d/m/y, d.m.y, d-m-y (2 or 4-digit year) or ISO y-m-d with a real day/month."""
    parts = [part.strip() for part in re.split(r"[/.\-]", text.strip())]
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return False
    day, month, year = (parts[2], parts[1], parts[0]) if len(parts[0]) == 4 else parts
    return 1 <= int(day) <= 31 and 1 <= int(month) <= 12 and len(year) in (2, 4)


def is_foreign_passport(text: str) -> bool:
    """Most countries' passport numbers begin with a letter ("EK4521873", "YA1234567"); one that
    begins with digits is a French number mistyped ("12ABC3456"), which only the French shape finds."""
    return text[:1].isalpha() and any(c.isdigit() for c in text)


def is_day_month(text: str) -> bool:
    """Day/month without the year: '22/04', '5/1'."""
    day, _, month = text.partition("/")
    return day.isdigit() and month.isdigit() and 1 <= int(day) <= 31 and 1 <= int(month) <= 12


def is_compact_date(text: str) -> bool:
    """DDMMYYYY written without separators."""
    return len(text) == 8 and text.isdigit() and is_date(f"{text[:2]}/{text[2:4]}/{text[4:]}")


def is_old_id_card(text: str) -> bool:
    """Old French identity card number (12 chars): issue year-month, department, sequence."""
    number = compact(text)
    return len(number) == 12 and number[:4].isdigit() and 1 <= int(number[2:4]) <= 12


def is_postcode(text: str) -> bool:
    """A French postcode: department 01-95, 2A/2B written 20, or overseas 97x/98x."""
    code = compact(text)[:5]
    return code.isdigit() and (1 <= int(code[:2]) <= 95 or code[:2] in ("97", "98"))


def has_ten_digits(text: str) -> bool:
    """A French phone number however its digits are grouped."""
    return sum(c.isdigit() for c in text) == 10


def is_luhn(text: str) -> bool:
    """The digits of the text pass Luhn's key (a DPO's own numbers: `validator: luhn`)."""
    digits = "".join(c for c in text if c.isdigit())
    return bool(digits) and luhn.is_valid(digits)
