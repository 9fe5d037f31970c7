"""Attachment parts -> extracted text or raw kinds, on real files built in the tests."""

from __future__ import annotations

import base64
import os
import shutil
from typing import Any

import pytest

from proxy.attachments import (
    ATTACHMENT_PART_TYPES,
    ExtractedText,
    ExtractionLimits,
    RawAttachment,
    convert_part,
    extracted_part_text,
)
from proxy.errors import InvalidRequest
from tests.attachments import samples
from tests.attachments.samples import IBAN, LETTER, NAME, PHONE, VALUES


def _extracted(part: dict[str, Any], ocr: bool = False, **limits: Any) -> ExtractedText:
    result = convert_part(part, ocr, limits=ExtractionLimits(**limits))
    assert isinstance(result, ExtractedText), result
    return result


def _refused(part: dict[str, Any], ocr: bool = False, **limits: Any) -> str:
    with pytest.raises(InvalidRequest) as refused:
        convert_part(part, ocr, limits=ExtractionLimits(**limits))
    message = refused.value.message
    assert message.startswith("Pièce jointe (partie de type « ") and "refusée" in message
    for secret in (*VALUES, "lettre", "dossier"):
        assert secret not in message  # never the content nor the file name
    return message


def _file(file_data: str) -> dict[str, Any]:
    return {"type": "file", "file": {"file_data": file_data, "filename": "lettre.txt"}}


def _image(url: str) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": url}}


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_the_part_types_are_those_of_the_sdk() -> None:
    assert {"file", "image_url", "input_audio", "input_file", "input_image"} == ATTACHMENT_PART_TYPES


@pytest.mark.parametrize(
    ("builder", "filename", "kind"),
    [
        (samples.pdf_with_text, "dossier.pdf", "pdf"),
        (samples.docx_with_text, "dossier.docx", "docx"),
        (samples.odt_with_text, "dossier.odt", "odt"),
    ],
)
@pytest.mark.parametrize("part", [samples.file_part, samples.input_file_part])
def test_documents_give_their_text(builder: Any, filename: str, kind: str, part: Any) -> None:
    extracted = _extracted(part(builder(), filename))
    assert (extracted.kind, extracted.filename) == (kind, filename)
    for value in VALUES:
        assert value in _flat(extracted.text)


def test_the_kind_comes_from_the_content_not_the_name() -> None:
    assert _extracted(samples.file_part(samples.pdf_with_text(), "lettre.txt", "text/plain")).kind == "pdf"
    assert _extracted(samples.file_part(samples.docx_with_text(), "lettre.odt")).kind == "docx"
    zipped = samples.file_part(samples.plain_zip(), "lettre.docx")
    assert convert_part(zipped, False) == RawAttachment("other")
    png = samples.file_part(samples.plain_png(), "lettre.pdf", "application/pdf")
    assert convert_part(png, False) == RawAttachment("image")


@pytest.mark.parametrize(
    ("filename", "mime", "content", "kind"),
    [
        ("note.txt", "text/plain", LETTER, "txt"),
        ("note.md", "", f"# Dossier\n\n- {LETTER}", "md"),
        ("liste.csv", "text/csv", f"nom;téléphone;iban\n{NAME};{PHONE};{IBAN}\n", "csv"),
        ("fiche.json", "application/json", f'{{"nom": "{NAME}", "tel": "{PHONE}", "i": "{IBAN}"}}', "json"),
        ("fiche.json", "", f"nom: {NAME} {PHONE} {IBAN}", "txt"),  # not JSON after all
        ("sans-nom", "", LETTER, "txt"),
    ],
)
def test_plain_text_kinds(filename: str, mime: str, content: str, kind: str) -> None:
    extracted = _extracted(samples.file_part(content.encode(), filename, mime or "application/octet-stream"))
    assert (extracted.kind, extracted.text) == (kind, content)


def test_html_keeps_the_text_only() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Dossier</title><style>p {color: red}</style>"
        "<script>var tel = 'secret-du-script';</script></head><body>"
        f"<h1>Demande</h1><p>Madame <b>{NAME}</b>, tél. {PHONE}</p>"
        f'<a href="mailto:secret@attribut.fr" title="secret-attribut">IBAN {IBAN}</a>'
        "<!-- secret-commentaire --></body></html>"
    )
    extracted = _extracted(samples.file_part(page.encode(), "page.bin"))
    assert extracted.kind == "html"
    lines = ["Dossier", "Demande", f"Madame {NAME}, tél. {PHONE}", f"IBAN {IBAN}"]
    assert extracted.text.splitlines() == lines
    assert "secret" not in extracted.text


def test_windows_1252_text_is_read_when_declared_as_text() -> None:
    content = f"nom;téléphone\n{NAME};{PHONE}\n"
    extracted = _extracted(samples.file_part(content.encode("cp1252"), "export.csv", "text/csv"))
    assert extracted.text == content
    undeclared = samples.file_part(content.encode("cp1252"), "export.bin")
    assert convert_part(undeclared, False) == RawAttachment("other")


def test_utf16_with_a_bom_is_text() -> None:
    assert _extracted(samples.file_part(LETTER.encode("utf-16"), "note.txt")).text == LETTER


def test_images_audio_and_scans_are_raw() -> None:
    assert convert_part(samples.image_part(samples.plain_png()), False) == RawAttachment("image")
    assert convert_part(samples.input_image_part(samples.plain_png()), False) == RawAttachment("image")
    assert convert_part(samples.audio_part(samples.wav()), False) == RawAttachment("audio")
    scan = samples.file_part(samples.scanned_pdf(), "scan.pdf", "application/pdf")
    assert convert_part(scan, False) == RawAttachment("pdf-scan")
    binary = samples.file_part(bytes(range(256)) * 4, "donnees.bin")
    assert convert_part(binary, False) == RawAttachment("other")


def test_ocr_reads_an_image_when_asked() -> None:
    if shutil.which("tesseract") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("tesseract (Debian tesseract-ocr, tesseract-ocr-fra) is missing in CI")
        pytest.skip("tesseract is not installed here")
    extracted = _extracted(samples.image_part(samples.png_with_text()), ocr=True)
    assert (extracted.kind, extracted.filename) == ("image-ocr", "image")
    text = _flat(extracted.text)
    assert NAME in text and PHONE in text and IBAN in text


@pytest.mark.parametrize(
    ("part", "reason"),
    [
        (_file("data:text/plain;base64,%%%"), "base64"),
        (_file("Ym9uam91cg"), "base64"),
        (_file("data:text/plain,bonjour"), "URL de données"),
        ({"type": "file", "file": {"file_id": "file-abc"}}, "file_id"),
        ({"type": "input_file", "file_url": "https://exemple.fr/lettre.pdf"}, "file_url"),
        ({"type": "file", "file": "lettre.txt"}, "mal formé"),
        (_image("https://exemple.fr/x.png?nom=Camille+Martin"), "distante"),
        ({"type": "input_image", "image_url": "http://exemple.fr/x.png", "detail": "auto"}, "distante"),
        ({"type": "input_image", "file_id": "file-abc", "detail": "auto"}, "file_id"),
        ({"type": "input_audio", "input_audio": {"format": "wav"}}, "absent"),
        (_image(samples.data_url(LETTER.encode(), "image/png")), "image"),
        (samples.audio_part(LETTER.encode()), "son"),
        (samples.file_part(b"", "vide.txt"), "vide"),
        ({"type": "Camille Martin"}, "type de partie"),
    ],
)
def test_malformed_parts_are_refused_in_french(part: dict[str, Any], reason: str) -> None:
    assert reason in _refused(part)


def test_size_is_checked_once_decoded() -> None:
    part = samples.file_part(LETTER.encode(), "lettre.txt")
    assert "trop volumineux" in _refused(part, max_bytes=len(LETTER.encode()) - 1)
    assert _extracted(part, max_bytes=len(LETTER.encode())).text == LETTER


def test_a_zip_bomb_is_refused() -> None:
    bomb = samples.zip_bomb(60_000_000)
    assert len(bomb) < 200_000
    assert "décompressé" in _refused(samples.file_part(bomb, "lettre.docx"))


def test_damaged_and_protected_documents_are_refused() -> None:
    truncated = samples.pdf_with_text()[:300]
    assert "illisible" in _refused(samples.file_part(truncated, "lettre.pdf"))
    broken_docx = samples.docx_with_text().replace(b"word/document.xml", b"word/documenX.xml", 1)
    assert "illisible" in _refused(samples.file_part(broken_docx + b"PK\x03\x04", "lettre.docx"))


def test_an_extraction_past_its_deadline_is_refused() -> None:
    part = samples.file_part(samples.pdf_with_text(), "lettre.pdf")
    assert "dépassé" in _refused(part, timeout_s=0.001)


def test_the_text_sent_instead_of_the_file_names_it() -> None:
    text = extracted_part_text(ExtractedText("pdf", "dossier.pdf", LETTER))
    assert text.startswith("[Pièce jointe « dossier.pdf » : contenu extrait")
    assert "données personnelles" in text and LETTER in text
    assert "(aucun texte lisible)" in extracted_part_text(ExtractedText("image-ocr", "image", " \n"))


def test_file_names_lose_paths_and_control_characters() -> None:
    part = samples.file_part(LETTER.encode(), "C:\\Users\\agent\\lettre\x00 «x».txt")
    assert _extracted(part).filename == "lettre x .txt"
    assert _extracted(samples.file_part(LETTER.encode(), "")).filename == "document"


def test_plain_base64_without_data_url_is_accepted_for_files() -> None:
    part = _file(base64.b64encode(LETTER.encode()).decode())
    assert _extracted(part).text == LETTER
