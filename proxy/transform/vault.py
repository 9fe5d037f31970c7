"""The per-exchange placeholder map. Never shared between requests: one Vault per Exchange."""

from __future__ import annotations

from collections import Counter

from proxy.entities import Entity


class Vault:
    def __init__(self) -> None:
        self._by_value: dict[tuple[Entity, str], str] = {}
        self._restorable: dict[str, str] = {}
        self._numbers: Counter[Entity] = Counter()

    def pseudonym(self, entity: Entity, value: str) -> str:
        """The same (type, value) always gets the same placeholder within the exchange."""
        key = (entity, value)
        if key not in self._by_value:
            self._numbers[entity] += 1
            placeholder = f"[{entity.label}_{self._numbers[entity]}]"
            self._by_value[key] = placeholder
            self._restorable[placeholder] = value
        return self._by_value[key]

    def value_of(self, placeholder: str) -> str | None:
        return self._restorable.get(placeholder)

    def __len__(self) -> int:
        return len(self._restorable)
