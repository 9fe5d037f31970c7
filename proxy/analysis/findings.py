"""What detection returns: one finding per personal-data span, never the value itself."""

from __future__ import annotations

from dataclasses import dataclass

from proxy.entities import EntityType


@dataclass(frozen=True, slots=True)
class Finding:
    """A span of the analysed text holding personal data of one type."""

    start: int
    end: int
    entity: EntityType
    score: float
    recognizer: str

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, other: Finding) -> bool:
        return self.start < other.end and other.start < self.end
