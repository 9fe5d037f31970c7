"""What an attachment becomes: extracted text (redacted like a message) or a raw file (policy decides)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TextKind(StrEnum):
    """Kinds whose text can be extracted, redacted and sent instead of the file."""

    TXT = "txt"
    MD = "md"
    CSV = "csv"
    JSON = "json"
    HTML = "html"
    PDF = "pdf"
    DOCX = "docx"
    ODT = "odt"
    IMAGE_OCR = "image-ocr"


class RawKind(StrEnum):
    """Kinds that cannot be redacted: refused unless the policy lets them go to a hosting class."""

    IMAGE = "image"
    AUDIO = "audio"
    PDF_SCAN = "pdf-scan"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ExtractedText:
    """The text of an attached document, to be redacted and sent in place of the file."""

    kind: str
    filename: str
    text: str


@dataclass(frozen=True, slots=True)
class RawAttachment:
    """An attachment that would leave as it is (no text to redact): only its kind is known."""

    kind: str


class Treatment(StrEnum):
    """What was done with an attachment, as the register counts it ("<kind>:<treatment>")."""

    EXTRACTED = "extracted"  # its text (redacted) was sent instead of the file
    FORWARDED = "forwarded"  # sent as it is: the policy allows this raw kind for the hosting class
    REFUSED = "refused"  # the request was refused because of it


def register_key(kind: str, treatment: Treatment) -> str:
    """The register's counter key for one attachment: kinds and treatments only, never a name."""
    return f"{kind}:{treatment}"
