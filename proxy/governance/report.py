"""The pilot report of one service: figures from the register, charts, French HTML, and PDF."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from proxy.governance.acks_pg import ack_counts
from proxy.governance.report_data import Period, PilotFigures, pilot_figures
from proxy.governance.templates import french_date, month_label, render
from proxy.policy.loader import load_policy
from proxy.policy.schema import Policy
from proxy.register.store import Register
from proxy.settings import Settings


class ReportFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"

    @property
    def media_type(self) -> str:
        return "text/html; charset=utf-8" if self is ReportFormat.HTML else "application/pdf"


@dataclass(frozen=True, slots=True)
class Charts:
    weeks: str  # data: URIs of SVG images
    models: str
    redactions: str
    refusals: str


def gather(settings: Settings, register: Register, period: Period) -> PilotFigures:
    """The figures of `period`, from the register, the policy in force and the acknowledgements."""
    rows = register.rows(period.row_filter())
    return pilot_figures(period, rows, settings, _policy(settings), ack_counts(settings))


def render_report(figures: PilotFigures, fmt: ReportFormat, today: date | None = None) -> bytes:
    html = render(
        "report.html",
        f=figures,
        charts=_charts(figures),
        today=french_date(today or date.today()),
        since=french_date(figures.period.since),
        until=french_date(figures.period.until),
        month=month_label,
    )
    if fmt is ReportFormat.HTML:
        return html.encode("utf-8")
    from proxy.governance.pdf import html_to_pdf  # WeasyPrint loads only when a PDF is asked for

    return html_to_pdf(html)


def _charts(figures: PilotFigures) -> Charts:
    from proxy.governance import charts  # matplotlib loads only when a report is drawn

    return Charts(
        weeks=_data_uri(charts.weekly_uses(figures.weeks)),
        models=_data_uri(charts.model_bars(figures.models)),
        redactions=_data_uri(charts.ranked_bars(figures.redactions, "données retirées")),
        refusals=_data_uri(charts.ranked_bars(figures.refusals, "requêtes refusées", colour=charts.RED)),
    )


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _policy(settings: Settings) -> Policy | None:
    try:
        return load_policy(settings.policy).policy
    except ValueError:
        return None  # the report still shows rule ids
