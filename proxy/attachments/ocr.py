"""Text of an image by OCR: Debian's `tesseract` (French and English data) run as a subprocess.

Called inside the extraction worker, whose memory and CPU limits Tesseract inherits.
"""

from __future__ import annotations

import subprocess

_COMMAND = ("tesseract", "stdin", "stdout", "-l", "fra+eng", "--psm", "3")
_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "OMP_THREAD_LIMIT": "1", "LC_ALL": "C.UTF-8"}


class OcrError(Exception):
    """Tesseract is missing, or could not read the image."""


def image_text(data: bytes, timeout_s: float) -> str:
    try:
        done = subprocess.run(  # noqa: S603  # fixed command, the image on stdin
            _COMMAND, input=data, capture_output=True, timeout=timeout_s, env=_ENVIRONMENT, check=False
        )
    except FileNotFoundError as error:
        raise OcrError("ocr_unavailable") from error
    except (OSError, subprocess.TimeoutExpired) as error:
        raise OcrError("malformed") from error
    if done.returncode != 0:
        raise OcrError("malformed")
    return done.stdout.decode("utf-8", "replace")
