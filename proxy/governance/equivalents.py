"""Everyday equivalents of an energy (Wh) and emissions (gCO2e) total, from cited factors kept as data
(data/equivalents.yaml): orders of magnitude for a comité de suivi, not a carbon assessment."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, TypeAdapter

DATA = Path(__file__).resolve().parent / "data" / "equivalents.yaml"


class Factor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: str
    quantity: Literal["gco2e", "wh"]
    per_unit: float
    unit: str
    sentence: str  # after the number: "km en voiture thermique"
    source: str


@dataclass(frozen=True, slots=True)
class Equivalent:
    label: str
    value: float
    unit: str
    sentence: str
    source: str


@cache
def factors() -> tuple[Factor, ...]:
    data = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    return tuple(TypeAdapter(list[Factor]).validate_python(data))


def equivalents(energy_wh: float, gco2e: float) -> list[Equivalent]:
    totals = {"wh": energy_wh, "gco2e": gco2e}
    return [
        Equivalent(f.label, totals[f.quantity] / f.per_unit, f.unit, f.sentence, f.source)
        for f in factors()
        if f.per_unit > 0
    ]
