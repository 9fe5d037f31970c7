"""Samples for the transform tests: vaults built by the real assignment code, rewritings, answers."""

from __future__ import annotations

from hypothesis import strategies as st

from proxy.entities import Entity
from proxy.transform.placeholders import Placeholder, PlaceholderStyle
from proxy.transform.vault import Vault, assign

KEY_A = b"a" * 32
KEY_B = b"b" * 32

VALUES_A = (
    (Entity.PERSON, "Marie Dubois"),
    (Entity.PERSON, "Jean Martin"),
    (Entity.PHONE, "06 12 34 56 78"),
    (Entity.PERSON, 'Zoé "Zizou" \\ Mbappé'),  # quotes and a backslash: JSON escaping matters
    (Entity.DATE_OF_BIRTH, "3 mars 1961"),
)
VALUES_B = (
    (Entity.PERSON, "Hélène Rousseau"),
    (Entity.PERSON, "Karim Benali"),
    (Entity.PHONE, "07 98 76 54 32"),
)


def vault_of(values: tuple[tuple[Entity, str], ...], key: bytes = KEY_A) -> Vault:
    return assign(key, PlaceholderStyle.TYPED, values, set())


def placeholders_of(vault: Vault, values: tuple[tuple[Entity, str], ...]) -> list[Placeholder]:
    return [vault.placeholder(entity, value) for entity, value in values]


def rewritings(placeholder: Placeholder) -> list[str]:
    """Ways a model lightly rewrites a placeholder it copies."""
    label, number = placeholder.label, placeholder.number
    words = label.replace("_", " ")
    return [
        str(placeholder),
        f"[{words.title()} {number}]",
        f"[ {label.lower()}_{number} ]",
        f"[{words.lower()}-{number}]",
        f"[{label}{number}]",
        f"[{label.replace('E', 'É', 1)}_{number}]",
    ]


def pieces(text: str, cuts: list[int]) -> list[str]:
    """`text` cut at the given positions (taken modulo its length, in any order)."""
    ends = sorted(c % (len(text) + 1) for c in cuts)
    return [text[a:b] for a, b in zip([0, *ends], [*ends, len(text)], strict=True)]


VAULT = vault_of(VALUES_A)
PLACEHOLDERS = placeholders_of(VAULT, VALUES_A)
FOREIGN = placeholders_of(vault_of(VALUES_B, KEY_B), VALUES_B)  # another caller's placeholders

plain = st.text(alphabet=st.characters(exclude_characters="[]"), max_size=12)
own = st.sampled_from(PLACEHOLDERS).flatmap(lambda p: st.sampled_from(rewritings(p)))
foreign = st.sampled_from(FOREIGN).flatmap(lambda p: st.sampled_from(rewritings(p)))
tricky = st.sampled_from(
    ["[", "]", "[NIR]", "[PERSONNE_", "_12]", "\n", " ", '"', "\\", "[[", "é", "[x" * 25]
)
answers = st.lists(st.one_of(plain, own, foreign, tricky), max_size=30).map("".join)
cuts = st.lists(st.integers(0, 10_000), max_size=15)
