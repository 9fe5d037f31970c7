"""Reading an attachment content part: its bytes, declared type and file name, or a refusal.

Chat parts: `file` ({file: {file_data, filename}}), `image_url` ({image_url: {url}}), `input_audio`
({input_audio: {data, format}}). Responses parts: `input_file` ({file_data, filename}),
`input_image` ({image_url}), `input_audio`. Only inline content is accepted: a remote URL would
have to be fetched (the proxy never does; the URL itself can carry data) and a `file_id` names a
file the proxy never saw.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from proxy.errors import InvalidRequest

ATTACHMENT_PART_TYPES = frozenset({"file", "image_url", "input_audio", "input_file", "input_image"})

_DATA_URL = re.compile(r"data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(?:;[^;,]*)*?);base64,", re.ASCII)
_SPACES = re.compile(rb"\s+")
_FILENAME_JUNK = re.compile(r"[\x00-\x1f\x7f-\x9f«»\[\]]")
_MAX_FILENAME = 120


class Declared(StrEnum):
    """What the part says it carries (checked against the content, never trusted alone)."""

    FILE = "file"
    IMAGE = "image"
    AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class Payload:
    part_type: str
    declared: Declared
    data: bytes
    mime: str  # declared media type, lower case ("" when none)
    filename: str  # cleaned, never empty


def refusal(part_type: str, reason: str) -> InvalidRequest:
    """The French 400 for one attachment part (names the part type, never its content)."""
    shown = part_type if part_type in ATTACHMENT_PART_TYPES else "inconnu"
    return InvalidRequest(f"Pièce jointe (partie de type « {shown} ») refusée : {reason}.")


def read_payload(part: Mapping[str, Any], max_bytes: int) -> Payload:
    part_type = part.get("type")
    if not isinstance(part_type, str) or part_type not in ATTACHMENT_PART_TYPES:
        raise refusal("", "type de partie non pris en charge")
    if part_type in ("file", "input_file"):
        return _file(part_type, part, max_bytes)
    if part_type in ("image_url", "input_image"):
        return _image(part_type, part, max_bytes)
    return _audio(part_type, part, max_bytes)


def _file(part_type: str, part: Mapping[str, Any], max_bytes: int) -> Payload:
    fields = part.get("file") if part_type == "file" else part
    if not isinstance(fields, Mapping):
        raise refusal(part_type, "l'objet « file » est absent ou mal formé")
    if fields.get("file_id") is not None or fields.get("file_url") is not None:
        raise refusal(
            part_type, "seul un fichier joint en ligne (file_data) est accepté, pas file_id ni file_url"
        )
    file_data, filename = fields.get("file_data"), fields.get("filename")
    if not isinstance(file_data, str):
        raise refusal(part_type, "le champ file_data (contenu en base64) est absent")
    if filename is not None and not isinstance(filename, str):
        raise refusal(part_type, "le nom de fichier doit être un texte")
    mime, encoded = _split_data_url(part_type, file_data, required=False)
    data = decode_base64(part_type, encoded, max_bytes)
    return Payload(part_type, Declared.FILE, data, mime, clean_filename(filename, "document"))


def _image(part_type: str, part: Mapping[str, Any], max_bytes: int) -> Payload:
    if part.get("file_id") is not None:
        raise refusal(part_type, "une image déposée ailleurs (file_id) n'est pas acceptée")
    holder = part.get("image_url")
    url = holder.get("url") if isinstance(holder, Mapping) else holder
    if not isinstance(url, str):
        raise refusal(part_type, "l'adresse de l'image est absente ou mal formée")
    if not url.startswith("data:"):
        raise refusal(
            part_type, "une image distante (adresse web) n'est pas acceptée ; joignez l'image elle-même"
        )
    mime, encoded = _split_data_url(part_type, url, required=True)
    data = decode_base64(part_type, encoded, max_bytes)
    return Payload(part_type, Declared.IMAGE, data, mime, "image")


def _audio(part_type: str, part: Mapping[str, Any], max_bytes: int) -> Payload:
    holder = part.get("input_audio")
    data = holder.get("data") if isinstance(holder, Mapping) else None
    if not isinstance(data, str):
        raise refusal(part_type, "le champ input_audio.data (contenu en base64) est absent")
    audio_format = holder.get("format") if isinstance(holder, Mapping) else None
    mime = f"audio/{audio_format}" if audio_format in ("wav", "mp3") else ""
    return Payload(part_type, Declared.AUDIO, decode_base64(part_type, data, max_bytes), mime, "audio")


def _split_data_url(part_type: str, value: str, *, required: bool) -> tuple[str, str]:
    """(declared media type, base64 text) of a data URL; plain base64 when not `required`."""
    if not value.startswith("data:"):
        if required:
            raise refusal(part_type, "une URL de données (data:...;base64,...) est attendue")
        return "", value
    match = _DATA_URL.match(value)
    if match is None:
        raise refusal(part_type, "URL de données mal formée (data:<type>;base64,<contenu> attendu)")
    return (match.group("mime") or "").lower(), value[match.end() :]


def decode_base64(part_type: str, encoded: str, max_bytes: int) -> bytes:
    """The decoded bytes; refused when not base64 or larger than `max_bytes` once decoded."""
    try:
        raw = _SPACES.sub(b"", encoded.encode("ascii"))
    except UnicodeEncodeError:
        raise refusal(part_type, "contenu base64 invalide") from None
    if len(raw) // 4 * 3 > max_bytes + 2:
        raise refusal(part_type, f"fichier trop volumineux (plus de {max_bytes} octets une fois décodé)")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise refusal(part_type, "contenu base64 invalide") from None
    if len(data) > max_bytes:
        raise refusal(part_type, f"fichier trop volumineux (plus de {max_bytes} octets une fois décodé)")
    if not data:
        raise refusal(part_type, "fichier vide")
    return data


def clean_filename(filename: str | None, default: str) -> str:
    """The base name without path, control characters or framing brackets, bounded in length."""
    if not filename:
        return default
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = " ".join(_FILENAME_JUNK.sub(" ", base).split())[:_MAX_FILENAME]
    return cleaned or default
