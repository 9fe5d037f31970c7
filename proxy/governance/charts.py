"""The report's charts as SVG, drawn with matplotlib (the only importer of matplotlib).

SVG keeps the text as text (searchable, sharp in print) and embeds in HTML and in the PDF alike.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import Any

import matplotlib
from matplotlib.figure import Figure

from proxy.governance.report_data import Count, ModelUse, Week

# Figures are built with the object API (no pyplot state); the style is a global rc context, so one
# chart is drawn at a time.
_DRAWING = threading.Lock()

BLUE, RED, GREY = "#000091", "#ce0500", "#929292"
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "svg.fonttype": "none",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def weekly_uses(weeks: Sequence[Week]) -> str:
    """Stacked bars: uses forwarded, refused and failed, per week."""
    with _DRAWING, matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        figure = Figure(figsize=(7.2, 2.8))
        axes = figure.subplots()
        labels = [week.monday.strftime("%d/%m") for week in weeks]
        bottom = [0] * len(weeks)
        for values, colour, name in (
            ([w.forwarded for w in weeks], BLUE, "transmises"),
            ([w.blocked for w in weeks], RED, "refusées"),
            ([w.failed for w in weeks], GREY, "en échec"),
        ):
            axes.bar(labels, values, bottom=bottom, color=colour, label=name, width=0.7)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_ylabel("requêtes")
        axes.set_xlabel("semaine du (lundi)")
        axes.legend(frameon=False, ncols=3, loc="upper left", bbox_to_anchor=(0, 1.15))
        _thin_labels(axes, len(weeks))
        return _svg(figure)


def ranked_bars(counts: Sequence[Count], unit: str, colour: str = BLUE) -> str:
    """Horizontal bars, largest first (personal data removed by type, refusals...)."""
    shown = list(counts[:10])[::-1]
    with _DRAWING, matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        figure = Figure(figsize=(7.2, 0.45 + 0.32 * max(len(shown), 1)))
        axes = figure.subplots()
        bars = axes.barh([c.label for c in shown], [c.value for c in shown], color=colour, height=0.6)
        axes.bar_label(bars, labels=[_french(c.value) for c in shown], padding=3, fontsize=8)
        axes.set_xlabel(unit)
        axes.margins(x=0.12)
        return _svg(figure)


def model_bars(models: Sequence[ModelUse]) -> str:
    return ranked_bars([Count(f"{m.model} — {m.hosting}", m.uses) for m in models], "requêtes")


def _thin_labels(axes: object, count: int) -> None:
    step = max(1, count // 12)
    for index, label in enumerate(axes.get_xticklabels()):  # type: ignore[attr-defined]
        label.set_visible(index % step == 0)


def _french(value: int) -> str:
    return f"{value:,}".replace(",", "\u202f")


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
