"""Real attachment files built in memory, holding a French name, a phone number and an IBAN.

Shared with the end-to-end tests: each builder returns the file's bytes; the *_part helpers wrap
them as the content parts an OpenAI client sends (chat `file`, `image_url`, `input_audio`, and
Responses `input_file`, `input_image`).
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile
from typing import Any

NAME = "Camille Martin"
PHONE = "06 12 34 56 78"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
LETTER = (
    f"Objet : demande de logement social. Madame {NAME} demeure joignable au {PHONE}. "
    f"Le versement de l'aide se fera sur le compte IBAN {IBAN}."
)
VALUES = (NAME, PHONE, IBAN)


def pdf_with_text(text: str = LETTER) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def scanned_pdf(text: str = LETTER) -> bytes:
    """A PDF whose only content is a picture of the text (no text layer), as a scanner makes it."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(png_with_text(text)), x=10, y=10, w=190)
    return bytes(pdf.output())


def docx_with_text(text: str = LETTER) -> bytes:
    import docx

    document = docx.Document()
    document.add_heading("Dossier de demande", level=1)
    document.add_paragraph(text)
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Téléphone"
    table.rows[0].cells[1].text = PHONE
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def odt_with_text(text: str = LETTER) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Dossier de demande"))
    document.text.addElement(P(text=text))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def png_with_text(text: str = LETTER, width: int = 1400) -> bytes:
    """Black text on white, large enough for OCR, wrapped on several lines."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=30)
    lines = _wrapped(text, 60)
    image = Image.new("L", (width, 60 + 48 * len(lines)), 255)
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((30, 30 + 48 * index), line, fill=0, font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def plain_png(width: int = 8, height: int = 8) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    frames = b"\x00\x00" * int(seconds * rate)
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(frames), b"WAVE", b"fmt ", 16, 1, 1,
                         rate, rate * 2, 2, 16, b"data", len(frames))  # fmt: skip
    return header + frames


def zip_bomb(unpacked_bytes: int = 60_000_000) -> bytes:
    """A DOCX-shaped zip whose document part unpacks to `unpacked_bytes` (a few KB packed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as entry:
            chunk = b"\x20" * 1_000_000
            for _ in range(unpacked_bytes // len(chunk)):
                entry.write(chunk)
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("lettre.txt", LETTER)
    return buffer.getvalue()


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def file_part(data: bytes, filename: str, mime: str = "application/octet-stream") -> dict[str, Any]:
    """A chat completions `file` part."""
    return {"type": "file", "file": {"file_data": data_url(data, mime), "filename": filename}}


def input_file_part(data: bytes, filename: str, mime: str = "application/octet-stream") -> dict[str, Any]:
    """A Responses `input_file` part."""
    return {"type": "input_file", "file_data": data_url(data, mime), "filename": filename}


def image_part(data: bytes, mime: str = "image/png") -> dict[str, Any]:
    """A chat completions `image_url` part (inline data URL)."""
    return {"type": "image_url", "image_url": {"url": data_url(data, mime)}}


def input_image_part(data: bytes, mime: str = "image/png") -> dict[str, Any]:
    """A Responses `input_image` part."""
    return {"type": "input_image", "image_url": data_url(data, mime), "detail": "auto"}


def audio_part(data: bytes, audio_format: str = "wav") -> dict[str, Any]:
    return {
        "type": "input_audio",
        "input_audio": {"data": base64.b64encode(data).decode(), "format": audio_format},
    }


def _wrapped(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines
