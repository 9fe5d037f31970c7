"""Attachment parts on the wire (the request path's hook, kept by `wire`): converted by this package,
then sent as text or as a trimmed part.

An extracted document becomes a text slot (analysed, decided on and redacted like a message); a raw
file (image, audio, scanned PDF) is forwarded only if the policy allows its kind for the routed
model's hosting, and then only its content: the part is rebuilt from its type and payload, so no
other field of it (a file name, a `detail`, an extension) leaves unread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from proxy.attachments import ExtractedText, ExtractionLimits, convert_part, extracted_part_text
from proxy.openai_api.segments import Convert, Extracted, Raw

if TYPE_CHECKING:
    from proxy.policy.schema import AttachmentRules


def attachment_converter(rules: AttachmentRules) -> Convert:
    """The converter `scan` calls on each attachment part, under the policy's attachment rules."""
    limits = ExtractionLimits.of(rules)

    def convert(part: Mapping[str, Any], path: str) -> Extracted | Raw:
        result = convert_part(part, rules.ocr, limits=limits)
        if isinstance(result, ExtractedText):
            return Extracted(result.kind, extracted_part_text(result))
        return Raw(0, result.kind, path, part)

    return convert


def forwarded_part(raw: Raw) -> dict[str, Any]:
    """The part as it leaves: its type and its payload, nothing else."""
    part, kind = raw.part, raw.part.get("type")
    if kind == "image_url":
        return {"type": kind, "image_url": {"url": _get(part, "image_url", "url")}}
    if kind == "input_image":
        url = part.get("image_url")
        return {"type": kind, "image_url": url if isinstance(url, str) else _get(part, "image_url", "url")}
    if kind == "input_audio":
        audio = part.get("input_audio")
        fields = audio if isinstance(audio, Mapping) else {}
        return {"type": kind, "input_audio": {"data": fields.get("data"), "format": fields.get("format")}}
    if kind == "file":
        return {"type": kind, "file": {"file_data": _get(part, "file", "file_data")}}
    return {"type": kind, "file_data": part.get("file_data")}


def _get(part: Mapping[str, Any], holder: str, key: str) -> Any:
    value = part.get(holder)
    return value.get(key) if isinstance(value, Mapping) else None
