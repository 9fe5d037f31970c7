"""The kind of an attachment, decided by its content first, its declared type and name second.

The extension alone never decides: a PDF is a PDF by its header, a DOCX or an ODT by the parts of
its zip, an image or a sound by its magic number. Text is text when it decodes (and holds no NUL);
the declared type or name only chooses its flavour, and lets a
non-UTF-8 text be read as Windows-1252 (CSV, Markdown, HTML...).
"""

from __future__ import annotations

import io
import zipfile
from enum import StrEnum

_ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a")
_AUDIO_MAGIC = (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2", b"OggS", b"fLaC")
_TEXT_EXTENSIONS = {"txt": "txt", "text": "txt", "md": "md", "markdown": "md", "csv": "csv",
                    "json": "json", "html": "html", "htm": "html"}  # fmt: skip
_TEXT_MIMES = {"text/plain": "txt", "text/markdown": "md", "text/csv": "csv", "application/json": "json",
               "text/html": "html", "application/xhtml+xml": "html"}  # fmt: skip
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


class Sniffed(StrEnum):
    PLAIN = "plain"  # no binary signature: text if it decodes (see decode_text)
    PDF = "pdf"
    DOCX = "docx"
    ODT = "odt"
    IMAGE = "image"
    AUDIO = "audio"
    OTHER = "other"


def sniff(data: bytes) -> Sniffed:
    """The kind the bytes themselves show (PLAIN: no known signature)."""
    if b"%PDF-" in data[:1024]:
        return Sniffed.PDF
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return Sniffed.IMAGE
    if data.startswith(_AUDIO_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WAVE"):
        return Sniffed.AUDIO
    return Sniffed.PLAIN


def _zip_kind(data: bytes) -> Sniffed:
    """DOCX and ODT are zips with known parts; any other zip is OTHER (never opened further)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return Sniffed.DOCX
            if "mimetype" in names and "content.xml" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100 and archive.read(info).strip() == _ODT_MIMETYPE:
                    return Sniffed.ODT
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return Sniffed.OTHER
    return Sniffed.OTHER


def declared_text_kind(mime: str, filename: str) -> str | None:
    """The text flavour the declared media type (first) or the file name suggest."""
    if mime in _TEXT_MIMES:
        return _TEXT_MIMES[mime]
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension in _TEXT_EXTENSIONS:
        return _TEXT_EXTENSIONS[extension]
    return "txt" if mime.startswith("text/") else None


def decode_text(data: bytes, *, declared_text: bool) -> str | None:
    """The text of `data`: UTF-8 (or UTF-16/UTF-8 with a BOM); Windows-1252/Latin-1 only when the
    part says it is text. None when it is not text (undecodable, or holding NUL characters)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return _decoded(data, codec)
    text = _decoded(data, "utf-8")
    if text is None and declared_text:
        text = _decoded(data, "cp1252") or _decoded(data, "latin-1")
    return text


def _decoded(data: bytes, codec: str) -> str | None:
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    return None if "\x00" in text else text
