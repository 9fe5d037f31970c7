"""Checksum validators: valid values and one-digit lookalikes."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from proxy.analysis import checksums

CASES: list[tuple[Callable[[str], bool], str, bool]] = [
    (checksums.is_nir, "1 84 12 76 451 089 46", True),
    (checksums.is_nir, "1 84 12 76 451 089 47", False),
    (checksums.is_nir, "2 84 12 2A 123 456 47", True),
    (checksums.is_nir, "2 84 12 2B 123 456 47", False),
    (checksums.is_nir, "5 84 12 76 451 089 46", False),  # no such sex digit
    (checksums.is_nir_without_key, "1 84 12 76 451 089", True),
    (checksums.is_nir_without_key, "1 84 13 76 451 089", False),  # month 13
    (checksums.is_siren, "732 829 320", True),
    (checksums.is_siren, "732 829 321", False),
    (checksums.is_siret, "732 829 320 00074", True),
    (checksums.is_siret, "732 829 320 00075", False),
    (checksums.is_siret, "356 000 000 00048", True),  # La Poste: digit sum rule, not Luhn
    (checksums.is_iban, "FR76 3000 6000 0112 3456 7890 189", True),
    (checksums.is_iban, "FR76 3000 6000 0112 3456 7890 188", False),
    (checksums.is_iban, "DE89 3704 0044 0532 0130 00", True),
    (checksums.is_rib, "30004 00823 00010101010 89", True),
    (checksums.is_rib, "30004 00823 00010101010 88", False),
    (checksums.is_card_number, "4970 1012 3456 7893", True),
    (checksums.is_card_number, "4970 1012 3456 7890", False),
    (checksums.is_card_number, "3782 822463 10005", True),
    (checksums.is_card_number, "1234 5678 9012 3452", False),  # Luhn-valid, no card network
    (checksums.is_tax_number, "30 23 217 600 053", True),
    (checksums.is_tax_number, "30 23 217 600 054", False),
    (checksums.is_ip, "192.168.1.20", True),
    (checksums.is_ip, "192.168.1.256", False),
    (checksums.is_date, "31/12/1999", True),
    (checksums.is_date, "32/12/1999", False),
    (checksums.is_date, "2024-02-29", True),
    (checksums.is_old_id_card, "880692310285", True),
    (checksums.is_old_id_card, "881392310285", False),
    (checksums.is_postcode, "75002", True),
    (checksums.is_postcode, "00100", False),
]


@pytest.mark.parametrize(("check", "value", "valid"), CASES, ids=[f"{c.__name__}-{v}" for c, v, _ in CASES])
def test_checksum(check: Callable[[str], bool], value: str, valid: bool) -> None:
    assert check(value) is valid
