"""HTML pages and reports from Jinja2 templates (autoescaped): the only importer of jinja2."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"


def _environment() -> Environment:
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True), auto_reload=False
    )
    environment.filters["fr"] = french_number
    return environment


_ENV: list[Environment] = []


def render(name: str, **context: Any) -> str:
    if not _ENV:
        _ENV.append(_environment())
    return _ENV[0].get_template(name).render(**context)


def trusted(html: str) -> Markup:
    """HTML produced by a safe renderer (the charter's Markdown, a chart's SVG), not escaped again."""
    return Markup(html)  # noqa: S704


def french_number(value: float | int, digits: int = 0) -> str:
    """1234567.8 -> '1 234 567,8' (narrow no-break space between thousands, comma for decimals)."""
    text = f"{value:,.{digits}f}".replace(",", "\u202f").replace(".", ",")
    return text


MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip


def french_date(day: date) -> str:
    """date(2026, 3, 1) -> '1er mars 2026'."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS[day.month - 1]} {day.year}"


def month_label(month: str) -> str:
    """'2026-03' -> 'mars 2026'."""
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"
