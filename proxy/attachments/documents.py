"""Text of PDF, DOCX and ODT files: the only importer of pypdf, python-docx and odfpy.

Runs inside the extraction worker (proxy/attachments/worker.py), never in the proxy's process:
a hostile document can exhaust only the worker's bounded time and memory. DOCX and ODT zips are
checked before they are opened (entry count, total unpacked size: decompression bombs).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from typing import Any

import docx
import pypdf
from docx.table import Table
from docx.text.paragraph import Paragraph
from odf import teletype
from odf.element import Element
from odf.namespaces import TEXTNS
from odf.opendocument import load as load_odf

_MAX_ZIP_ENTRIES = 5_000
_ODF_BLOCKS = frozenset({(TEXTNS, "p"), (TEXTNS, "h")})


class DocumentError(Exception):
    """The document cannot be read; `code` is one of the worker's failure codes."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def pdf_text(data: bytes, max_chars: int) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    if reader.is_encrypted and not reader.decrypt(""):
        raise DocumentError("encrypted")
    pages: list[str] = []
    size = 0
    for page in reader.pages:
        pages.append(page.extract_text() or "")
        size += len(pages[-1])
        if size > max_chars:
            raise DocumentError("too_large")
    return "\n\n".join(pages)


def docx_text(data: bytes, max_unpacked: int) -> str:
    check_zip(data, max_unpacked)
    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for section in document.sections:
        for part in (section.header, section.first_page_header, section.footer, section.first_page_footer):
            if not part.is_linked_to_previous:
                lines.extend(_docx_lines(part))
    lines.extend(_docx_lines(document))
    return "\n".join(lines)


def _docx_lines(container: Any) -> Iterator[str]:
    """Paragraphs and table cells in document order (nested tables included)."""
    for block in container.iter_inner_content():
        if isinstance(block, Paragraph):
            yield block.text
        elif isinstance(block, Table):
            for row in block.rows:
                for cell in row.cells:
                    yield from _docx_lines(cell)


def odt_text(data: bytes, max_unpacked: int) -> str:
    check_zip(data, max_unpacked)
    document = load_odf(io.BytesIO(data))
    lines: list[str] = []
    for root in (document.masterstyles, document.text):
        lines.extend(_odf_lines(root))
    return "\n".join(lines)


def _odf_lines(node: Element) -> Iterator[str]:
    """Text of each paragraph and heading (a paragraph's notes and frames read with it)."""
    for child in node.childNodes:
        if getattr(child, "qname", None) in _ODF_BLOCKS:
            yield teletype.extractText(child)
        elif child.nodeType == child.ELEMENT_NODE:
            yield from _odf_lines(child)


def check_zip(data: bytes, max_unpacked: int) -> None:
    """Refuses zips with too many entries or whose entries unpack beyond `max_unpacked` bytes
    (zipfile then holds each entry to its declared size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise DocumentError("malformed") from error
    if len(entries) > _MAX_ZIP_ENTRIES or sum(e.file_size for e in entries) > max_unpacked:
        raise DocumentError("too_large")
