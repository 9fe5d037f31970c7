"""The French admin pages: a static shell and its script. They hold no data: every figure is fetched
from the guarded JSON API (/admin/api/...), so these routes are public on purpose."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from proxy.errors import NotFound
from proxy.web.guards import PUBLIC

STATIC = Path(__file__).resolve().parent / "static"
_JS = "text/javascript; charset=utf-8"
FILES = {
    "admin.css": "text/css; charset=utf-8",
    **{name: _JS for name in ("admin.js", "core.js", "register.js", "stats.js", "policy.js", "keys.js")},
    "chart.umd.min.js": _JS,  # Chart.js 4 (MIT, chart.js-LICENSE.md), served from the package: no CDN
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

router = APIRouter(prefix="/admin", dependencies=[Depends(PUBLIC)], include_in_schema=False)


@router.get("")
def admin_page() -> Response:
    return _file("admin.html", "text/html; charset=utf-8")


@router.get("/static/{name}")
def admin_static(name: str) -> Response:
    media = FILES.get(name)
    if media is None:
        raise NotFound("Ce fichier n'existe pas.")
    return _file(name, media)


def _file(name: str, media: str) -> Response:
    return Response((STATIC / name).read_bytes(), media_type=media, headers=SECURITY_HEADERS)
