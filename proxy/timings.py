"""What one HTTP request did, noted as it goes, for its log line and its metrics.

The request-log middleware opens a trace per HTTP request (a context variable: the request's
tasks, stream included, see the same object); detection, the upstream call and the register note
their figures in it. Only durations, identifiers and the register's decision: never a text.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a type only: the upstream layer, below the register, notes timings here
    from proxy.register.entry import RegisterEntry


@dataclass(slots=True)
class Trace:
    request_id: str | None = None  # the register row's, once written
    started: float = field(default_factory=time.perf_counter)
    detection_s: float = 0.0  # summed over the request's analyses
    upstream_first_byte_s: float | None = None
    entry: RegisterEntry | None = None  # the register row written for this request, if any

    def elapsed_s(self) -> float:
        return time.perf_counter() - self.started


_CURRENT: ContextVar[Trace | None] = ContextVar("gardefou_trace", default=None)


def begin() -> Trace:
    """A new trace for the current request (the context of its task and of the tasks it starts)."""
    trace = Trace()
    _CURRENT.set(trace)
    return trace


def current() -> Trace | None:
    return _CURRENT.get()


def note_detection(seconds: float) -> None:
    trace = _CURRENT.get()
    if trace is not None:
        trace.detection_s += seconds


def note_first_byte(seconds: float) -> None:
    trace = _CURRENT.get()
    if trace is not None and trace.upstream_first_byte_s is None:
        trace.upstream_first_byte_s = seconds


def note_entry(entry: RegisterEntry) -> None:
    trace = _CURRENT.get()
    if trace is not None:
        trace.entry = entry
        trace.request_id = entry.request_id
