"""One attachment content part -> its extracted text, or a raw attachment the policy decides on.

Fails closed: a part that is malformed, undecodable, too large, or whose extraction fails or takes
too long is refused (InvalidRequest, French, naming the part type), never forwarded as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from proxy.attachments.kinds import ExtractedText, RawAttachment, RawKind, TextKind
from proxy.attachments.parts import Declared, Payload, read_payload, refusal
from proxy.attachments.sandbox import ExtractionFailed, extract_in_worker
from proxy.attachments.sniff import Sniffed, declared_text_kind, decode_text, sniff
from proxy.attachments.text_files import extracted_text, text_kind

if TYPE_CHECKING:
    from proxy.policy.schema import AttachmentRules

DEFAULT_MAX_BYTES = 10_000_000
DEFAULT_MAX_UNPACKED_BYTES = 50_000_000
DEFAULT_TIMEOUT_S = 20.0
_DOCUMENTS = {Sniffed.PDF: TextKind.PDF, Sniffed.DOCX: TextKind.DOCX, Sniffed.ODT: TextKind.ODT}


@dataclass(frozen=True, slots=True)
class ExtractionLimits:
    """Bounds on one attachment: decoded size, unpacked size (zips, text), extraction time."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_unpacked_bytes: int = DEFAULT_MAX_UNPACKED_BYTES
    timeout_s: float = DEFAULT_TIMEOUT_S

    @classmethod
    def of(cls, rules: AttachmentRules, timeout_s: float = DEFAULT_TIMEOUT_S) -> ExtractionLimits:
        """The limits a policy's `attachments` section sets."""
        return cls(rules.max_bytes, rules.max_unpacked_bytes, timeout_s)


def convert_part(
    part: Mapping[str, Any], ocr: bool, *, limits: ExtractionLimits | None = None
) -> ExtractedText | RawAttachment:
    """What an attachment part becomes. `ocr`: images are read by OCR (an `image-ocr` text) rather
    than kept raw. Raises InvalidRequest when the part cannot be read or extracted."""
    limits = limits or ExtractionLimits()
    payload = read_payload(part, limits.max_bytes)
    kind = sniff(payload.data)
    _check_declared(payload, kind)
    if kind is Sniffed.IMAGE:
        return _ocr(payload, limits) if ocr else RawAttachment(RawKind.IMAGE)
    if kind is Sniffed.AUDIO:
        return RawAttachment(RawKind.AUDIO)
    if kind in _DOCUMENTS:
        return _document(payload, _DOCUMENTS[kind], limits)
    if kind is Sniffed.PLAIN:
        return _plain_text(payload)
    return RawAttachment(RawKind.OTHER)


def extracted_part_text(extracted: ExtractedText) -> str:
    """The text sent to the model instead of the file (analysed and redacted like any text)."""
    body = extracted.text.strip() or "(aucun texte lisible)"
    return (
        f"[Pièce jointe « {extracted.filename} » : contenu extrait du fichier ({extracted.kind}) par "
        "Garde-fou ; les données personnelles en ont été retirées.]\n"
        f"{body}\n"
        f"[Fin de la pièce jointe « {extracted.filename} »]"
    )


def _check_declared(payload: Payload, kind: Sniffed) -> None:
    """An image part must hold an image, an audio part a sound (checked on the content)."""
    if payload.declared is Declared.IMAGE and kind is not Sniffed.IMAGE:
        raise refusal(payload.part_type, "le contenu n'est pas une image reconnue (PNG, JPEG, GIF, WebP)")
    if payload.declared is Declared.AUDIO and kind is not Sniffed.AUDIO:
        raise refusal(payload.part_type, "le contenu n'est pas un son reconnu (WAV, MP3)")


def _plain_text(payload: Payload) -> ExtractedText | RawAttachment:
    declared = declared_text_kind(payload.mime, payload.filename)
    text = decode_text(payload.data, declared_text=declared is not None)
    if text is None:
        return RawAttachment(RawKind.OTHER)
    kind = text_kind(text, declared)
    return ExtractedText(kind, payload.filename, extracted_text(text, kind))


def _document(payload: Payload, kind: TextKind, limits: ExtractionLimits) -> ExtractedText | RawAttachment:
    text = _extracted(payload, kind, limits)
    if kind is TextKind.PDF and not text.strip():
        return RawAttachment(RawKind.PDF_SCAN)
    return ExtractedText(kind, payload.filename, text)


def _ocr(payload: Payload, limits: ExtractionLimits) -> ExtractedText:
    text = _extracted(payload, TextKind.IMAGE_OCR, limits)
    return ExtractedText(TextKind.IMAGE_OCR, payload.filename, text)


def _extracted(payload: Payload, kind: TextKind, limits: ExtractionLimits) -> str:
    try:
        return extract_in_worker(kind, payload.data, limits.max_unpacked_bytes, limits.timeout_s)
    except ExtractionFailed as failure:
        raise refusal(payload.part_type, failure.reason) from None
