"""Attached files, images and audio: extracted as text, or kept raw for the policy to decide.

The package's surface for the request path: which content parts carry a file, what one becomes
(`convert_part`), the text that replaces an extracted file, and whether a raw kind may leave for a
hosting class. Heavy libraries (PDF, DOCX, ODT, OCR) are imported only by the extraction worker,
which runs in a separate, bounded process.
"""

from __future__ import annotations

from proxy.attachments.admission import raw_allowed, raw_refusal
from proxy.attachments.convert import ExtractionLimits, convert_part, extracted_part_text
from proxy.attachments.kinds import ExtractedText, RawAttachment, RawKind, TextKind, Treatment, register_key
from proxy.attachments.parts import ATTACHMENT_PART_TYPES

__all__ = [
    "ATTACHMENT_PART_TYPES",
    "ExtractedText",
    "ExtractionLimits",
    "RawAttachment",
    "RawKind",
    "TextKind",
    "Treatment",
    "convert_part",
    "extracted_part_text",
    "raw_allowed",
    "raw_refusal",
    "register_key",
]
