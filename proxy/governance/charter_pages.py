"""/charte: the agent reads the charter in force and acknowledges it (API key, single sign-on, or
the signed link shown in their chat when a front-end names them: charter_link.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from proxy.auth import Caller
from proxy.errors import NotFound
from proxy.governance.charter import CHARTER_PATH, Charter
from proxy.governance.templates import STATIC, render, trusted
from proxy.web.body import model_body
from proxy.web.guards import AGENT, PUBLIC, services_of
from proxy.web.pages import SECURITY_HEADERS

router = APIRouter(prefix=CHARTER_PATH, include_in_schema=False)
STATIC_FILES = {
    "charte.js": "text/javascript; charset=utf-8",
    "pages.css": "text/css; charset=utf-8",
}


class Acknowledgement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(max_length=40)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class LinkAcknowledgement(Acknowledgement):
    jeton: str = Field(min_length=20, max_length=600)


@router.get("", dependencies=[Depends(PUBLIC)])
def charter_page(request: Request) -> Response:
    charter = services_of(request).charter.current()
    if charter is None:
        return _html(render("no_charter.html"))
    return _html(render("charte.html", charter=charter, body=trusted(charter.html())))


@router.post("/acceptation")
async def acknowledge(request: Request, caller: Annotated[Caller, Depends(AGENT)]) -> dict[str, Any]:
    # read by the project's body reader: an oversized body is a 413, a bad one a French 400
    body = await model_body(request, Acknowledgement)
    return _acknowledged(services_of(request).charter.acknowledge(caller, body.version, body.sha256))


@router.post("/acceptation-lien", dependencies=[Depends(PUBLIC)])  # the signed token identifies
async def acknowledge_by_link(request: Request) -> dict[str, Any]:
    body = await model_body(request, LinkAcknowledgement)
    gate = services_of(request).charter
    if gate.links is None:
        raise NotFound("Ce service n'existe pas.")
    caller = gate.links.read(body.jeton)
    return _acknowledged(gate.acknowledge(caller, body.version, body.sha256))


def _acknowledged(charter: Charter | None) -> dict[str, Any]:
    if charter is None:
        return {"message": "Aucune charte n'est demandée par la politique en vigueur.", "version": None}
    return {
        "message": f"Merci : votre acceptation de la charte (version {charter.version}) est enregistrée. "
        "Vous pouvez utiliser l'IA.",
        "version": charter.version,
    }


@router.get("/static/{name}", dependencies=[Depends(PUBLIC)])
def charter_static(name: str) -> Response:
    media = STATIC_FILES.get(name)
    if media is None:
        raise NotFound("Ce fichier n'existe pas.")
    return Response((STATIC / name).read_bytes(), media_type=media, headers=SECURITY_HEADERS)


def _html(text: str) -> HTMLResponse:
    return HTMLResponse(text, headers=SECURITY_HEADERS)
