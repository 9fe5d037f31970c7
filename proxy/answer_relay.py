"""A whole (JSON) answer relayed to the agent: restored, then checked to be sendable as JSON.

Whatever in the upstream's answer cannot be restored or encoded (`"choices": 5`, `tool_calls: 5`, a
lone surrogate, NaN) becomes a 502 saying that the request was sent, before the exchange is
recorded as a success: the status the agent gets and the register row agree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from proxy.errors import GardefouError
from proxy.upstream import bad_answer

# What malformed JSON structures make plain Python code raise (UnicodeError is a ValueError).
_MALFORMED = (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError)


@contextmanager
def reading_answer(upstream: str) -> Iterator[None]:
    """Turn a failure to read, restore or encode the answer of `upstream` into its 502."""
    try:
        yield
    except GardefouError:
        raise
    except _MALFORMED as exc:
        raise bad_answer(upstream) from exc


def deliverable(
    answer: dict[str, Any], upstream: str, restore: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """The answer restored in place (when asked) and known to encode as the response will."""
    with reading_answer(upstream):
        if restore is not None:
            restore(answer)
        encode(answer)
    return answer


def encode(payload: dict[str, Any]) -> bytes:
    """JSON bytes as Starlette's JSONResponse writes them (UTF-8, no NaN)."""
    return json.dumps(payload, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
