"""Plain-text attachments (txt, Markdown, CSV, JSON, HTML): their text, in this process.

HTML keeps its text only: markup, attributes, comments, scripts and styles are dropped (what is
dropped is not sent either). Everything else is sent as it is, to be analysed and redacted.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

_DROPPED = frozenset({"script", "style", "template", "svg", "math", "object", "iframe"})
_BLOCKS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article",
     "header", "footer", "blockquote", "pre", "dd", "dt", "title", "ul", "ol", "hr"}
)  # fmt: skip


def text_kind(text: str, declared: str | None) -> str:
    """The flavour of a text: the declared one, except JSON that does not parse, and HTML that
    shows itself even when not declared."""
    if declared == "json" and not _parses_as_json(text):
        return "txt"
    if declared is None and text.lstrip()[:15].lower().startswith(("<!doctype html", "<html")):
        return "html"
    return declared or "txt"


def extracted_text(text: str, kind: str) -> str:
    return html_text(text) if kind == "html" else text


def html_text(markup: str) -> str:
    parser = _TextOnly()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.chunks).splitlines())
    return "\n".join(line for line in lines if line)


class _TextOnly(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._dropping: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _DROPPED:
            self._dropping.append(tag)
        if tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._dropping and self._dropping[-1] == tag:
            self._dropping.pop()
        elif tag in self._dropping:  # unbalanced markup: close up to the matching tag
            del self._dropping[self._dropping.index(tag) :]
        if tag in _BLOCKS:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._dropping:
            self.chunks.append(data)


def _parses_as_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
