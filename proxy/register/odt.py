"""The art. 30 draft as an OpenDocument text (flat XML, `.fodt`), which LibreOffice opens and saves as ODT.

Understands the little Markdown the draft uses: `#`/`##` headings, `- ` bullets, paragraphs,
`**bold**`; `code` and _italics_ marks are dropped.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MARKS = re.compile(r"`([^`]*)`|(?<!\w)_(.+?)_(?!\w)")

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:automatic-styles>
<style:style style:name="Gras" style:family="text">
<style:text-properties fo:font-weight="bold"/></style:style>
</office:automatic-styles>
<office:body><office:text>
"""
_TAIL = "</office:text></office:body></office:document>\n"


def markdown_to_fodt(markdown: str) -> str:
    return _HEAD + "".join(_element(line) for line in markdown.splitlines() if line.strip()) + _TAIL


def _element(line: str) -> str:
    if line.startswith("## "):
        return f'<text:h text:outline-level="2">{_inline(line[3:])}</text:h>\n'
    if line.startswith("# "):
        return f'<text:h text:outline-level="1">{_inline(line[2:])}</text:h>\n'
    if line.startswith("- "):
        return (
            f"<text:list><text:list-item><text:p>{_inline(line[2:])}</text:p></text:list-item></text:list>\n"
        )
    return f"<text:p>{_inline(line)}</text:p>\n"


def _inline(text: str) -> str:
    plain = _MARKS.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    parts = _BOLD.split(plain)  # odd indexes are the bold runs
    return "".join(
        f'<text:span text:style-name="Gras">{escape(part)}</text:span>' if i % 2 else escape(part)
        for i, part in enumerate(parts)
    )
