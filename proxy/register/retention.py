"""Retention of the register: how long rows are kept (default 12 months, bounded 6 to 36).

The CNIL recommends keeping such logs 6 to 12 months; the AI Act asks deployers to keep them at least
6 months. Purging removes whole checkpointed blocks and leaves a signed purge record (store.purge).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime

DEFAULT_MONTHS = 12
MIN_MONTHS, MAX_MONTHS = 6, 36
DAY_S = 24 * 3600


def check_months(months: int) -> int:
    if not MIN_MONTHS <= months <= MAX_MONTHS:
        raise ValueError(
            f"durée de conservation invalide : {months} mois (entre {MIN_MONTHS} et {MAX_MONTHS})"
        )
    return months


def cutoff(now: datetime, months: int) -> str:
    """UTC timestamp `months` calendar months before `now`, in the register's format."""
    check_months(months)
    now = now.astimezone(UTC)
    total = now.year * 12 + (now.month - 1) - months
    year, month = divmod(total, 12)
    day = min(now.day, calendar.monthrange(year, month + 1)[1])
    moment = now.replace(year=year, month=month + 1, day=day)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
