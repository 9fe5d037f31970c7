"""Running the extraction worker: one forked child per document, killed at its deadline.

The proxy's own process never parses a PDF, a DOCX, an ODT or an image. A fork server (started at
the first attachment, with the extraction libraries already imported) forks one child per document:
it costs milliseconds, and the proxy's threads are never forked. The proxy waits at most
`timeout_s`, then kills the child. Any failure is an ExtractionFailed with a French reason (the
caller refuses the part: fail closed).
"""

from __future__ import annotations

import multiprocessing

from proxy.attachments import worker

_REASONS = {
    "encrypted": "le PDF est protégé par un mot de passe",
    "too_large": "le contenu décompressé du fichier dépasse la limite autorisée",
    "malformed": "le fichier est endommagé ou illisible",
    "ocr_unavailable": "la lecture des images (OCR) n'est pas disponible sur ce serveur",
    "unsupported": "type de fichier non pris en charge",
}
_DEFAULT_REASON = "l'extraction du texte a échoué"


class ExtractionFailed(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def extract_in_worker(kind: str, data: bytes, max_unpacked: int, timeout_s: float) -> str:
    """The text of `data` (a `kind` document) as a bounded worker extracted it."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([worker.__name__])
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=worker.run, args=(kind, data, max_unpacked, timeout_s, sender), daemon=True
    )
    try:
        child.start()
        sender.close()
        if not receiver.poll(timeout_s):
            raise ExtractionFailed(f"l'extraction du texte a dépassé {timeout_s:g} s")
        status, value = receiver.recv()
    except (EOFError, OSError, ValueError):
        raise ExtractionFailed(_DEFAULT_REASON) from None  # the child died (memory, CPU limit)
    finally:
        child.kill()
        child.join()
        receiver.close()
    if status != "text":
        raise ExtractionFailed(_REASONS.get(value, _DEFAULT_REASON))
    return str(value)
