"""Log lines: JSON with the request's structured fields, or text; an exception logs its type only."""

from __future__ import annotations

import json
import logging
import sys

from proxy.logs import FIELDS, JsonFormatter, TextFormatter


def record(exc: bool = False) -> logging.LogRecord:
    info = None
    if exc:
        try:
            raise ValueError("Marie Dubois 06 12 34 56 78")
        except ValueError:
            info = sys.exc_info()
    line = logging.LogRecord("gardefou.requests", logging.INFO, __file__, 1, "request", None, info)
    setattr(line, FIELDS, {"request_id": "req_1", "status": 200, "service": "urbanisme", "error_code": None})
    return line


def test_json_lines_carry_the_fields_and_only_an_exception_s_type() -> None:
    line = json.loads(JsonFormatter().format(record(exc=True)))
    assert line["request_id"] == "req_1" and line["status"] == 200 and line["logger"] == "gardefou.requests"
    assert line["exception"] == "ValueError"
    assert "Dubois" not in json.dumps(line)


def test_text_lines_carry_the_fields_as_key_values() -> None:
    text = TextFormatter().format(record(exc=True))
    assert "request_id=req_1 status=200 service=urbanisme" in text and "error_code" not in text
    assert "exception=ValueError" in text and "Dubois" not in text
