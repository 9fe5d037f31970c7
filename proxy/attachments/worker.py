"""The extraction worker: one forked child per document, under memory, CPU and file-write limits.

`run` is the child's entry point (see sandbox.py): it bounds its own resources first, so a hostile
file can exhaust only this short-lived process, then sends back ("text", text) or ("failed", code).
"""

from __future__ import annotations

import logging
import math
import resource
from multiprocessing.connection import Connection

from proxy.attachments.documents import DocumentError, docx_text, odt_text, pdf_text
from proxy.attachments.ocr import OcrError, image_text

MEMORY_BYTES = 1536 * 1024 * 1024


def run(kind: str, data: bytes, max_unpacked: int, timeout_s: float, sender: Connection) -> None:
    _bound_resources(timeout_s)
    logging.disable(logging.CRITICAL)  # library warnings could quote the document
    try:
        text = _extract(kind, data, max_unpacked, timeout_s)
        outcome = ("text", text) if len(text) <= max_unpacked else ("failed", "too_large")
    except (DocumentError, OcrError) as error:
        outcome = ("failed", str(error))
    except MemoryError:
        outcome = ("failed", "too_large")
    except Exception:
        outcome = ("failed", "malformed")
    sender.send(outcome)
    sender.close()


def _extract(kind: str, data: bytes, max_unpacked: int, timeout_s: float) -> str:
    if kind == "pdf":
        return pdf_text(data, max_unpacked)
    if kind == "docx":
        return docx_text(data, max_unpacked)
    if kind == "odt":
        return odt_text(data, max_unpacked)
    if kind == "image-ocr":
        return image_text(data, timeout_s)
    raise DocumentError("unsupported")


def _bound_resources(timeout_s: float) -> None:
    cpu = max(1, math.ceil(timeout_s))
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
