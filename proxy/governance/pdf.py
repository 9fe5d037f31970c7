"""HTML to PDF with WeasyPrint (the only importer of weasyprint): the same document as the HTML report,
printed with its @page rules. WeasyPrint needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0)."""

from __future__ import annotations

from weasyprint import HTML


def html_to_pdf(html: str) -> bytes:
    pdf: bytes = HTML(string=html, base_url=None).write_pdf()
    return pdf
