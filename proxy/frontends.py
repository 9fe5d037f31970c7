"""Chat front-ends (Open WebUI, LibreChat) that speak for the agents they name.

A front-end authenticates with its own key (role `frontend`, its user naming its entry under
`auth.frontends`) and names the agent either in Open WebUI's signed HS256 token (checked with the
shared secret: algorithm, issuer, expiry) or in plain headers, believed only from the front-end's
configured addresses. The agent then has their own limits, pseudonyms and register rows. Identity
headers sent by anyone else are refused (401): nobody can claim to be someone through them.
The only importer of PyJWT.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import jwt

from proxy.errors import Forbidden, Unauthenticated
from proxy.keystore import KeyRecord
from proxy.peers import within
from proxy.roles import Role, is_identifier
from proxy.settings import FRONTEND_HEADERS, AgentKey, FrontendHeaders, FrontendSettings

log = logging.getLogger("gardefou")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="gardefou"'}
_NOT_A_FRONTEND = (
    "En-têtes d'identité d'agent refusés : seul un frontal déclaré (clé de rôle frontend, section "
    "auth.frontends) peut nommer un agent."
)
_UNKNOWN_FRONTEND = "Clé de frontal sans configuration : déclarez-la dans auth.frontends."
_BAD_JWT = "Jeton d'identité du frontal invalide, expiré ou mal signé."
_JWT_REQUIRED = "Ce frontal doit nommer l'agent par un jeton signé (X-OpenWebUI-User-Jwt)."
_WRONG_ADDRESS = "Ce frontal n'est pas autorisé à appeler depuis cette adresse."
_BAD_AGENT = "Identifiant d'agent transmis par le frontal absent ou invalide."
_NO_SERVICE = (
    "Aucun groupe de cet agent n'est rattaché à un service : demandez à votre administrateur de "
    "vous ajouter à un groupe reconnu."
)


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    """What a front-end says about the agent it speaks for (verified before it is built)."""

    user_id: str
    email: str
    groups: tuple[str, ...]


def identity_headers(frontends: Mapping[str, FrontendSettings]) -> frozenset[str]:
    """Lower-case names of every header that names an agent (configured, and the known defaults)."""
    sets = [FRONTEND_HEADERS.values(), (f.header_names for f in frontends.values())]
    names = {_naming(headers) for group in sets for headers in group}
    return frozenset(name.lower() for group in names for name in group if name)


def _naming(headers: FrontendHeaders) -> tuple[str | None, ...]:
    return (headers.user_id, headers.user_email, headers.user_name, headers.jwt)


class Frontends:
    """Built once (Identifier); `agent` runs on each request a front-end key makes."""

    def __init__(self, settings: Mapping[str, FrontendSettings], secrets: Mapping[str, str]) -> None:
        self._settings = dict(settings)
        self._secrets = dict(secrets)
        self._identity_headers = identity_headers(settings)

    def names_someone(self, headers: Mapping[str, str]) -> bool:
        return any(headers.get(name) for name in self._identity_headers)

    def refuse_impersonation(self) -> Unauthenticated:
        log.warning("frontend: agent identity headers without a front-end key refused")
        return Unauthenticated(_NOT_A_FRONTEND, headers=_CHALLENGE)

    def caller_fields(
        self, record: KeyRecord, headers: Mapping[str, str], peer: str | None
    ) -> tuple[str, str, frozenset[Role]] | None:
        """(user, service, roles) of the agent the front-end names, or None when it names nobody."""
        frontend = self._settings.get(record.user)
        if frontend is None:  # may list models in its own name, never name an agent
            if self.names_someone(headers):
                raise Unauthenticated(_UNKNOWN_FRONTEND, headers=_CHALLENGE)
            return None
        if frontend.clients and not within(peer, frontend.clients):
            raise Unauthenticated(_WRONG_ADDRESS, headers=_CHALLENGE)
        identity = self._identity(record.user, frontend, headers)
        if identity is None:
            return None
        user = identity.email if frontend.agent_key is AgentKey.EMAIL else identity.user_id
        if not is_identifier(user):
            raise Unauthenticated(_BAD_AGENT, headers=_CHALLENGE)
        return user, _service(frontend, identity.groups), frozenset({Role.AGENT})

    def reads_body(self, frontend_name: str) -> bool:
        """Whether this front-end may name the agent in the body's `user` field (last resort)."""
        frontend = self._settings.get(frontend_name)
        return frontend is not None and frontend.body_user

    def body_fields(self, frontend_name: str, body: Any) -> tuple[str, str, frozenset[Role]] | None:
        """(user, service, roles) of the agent the body's `user` field names, or None if it names nobody.
        Called only for a bare front-end key (no identity header), already checked against `clients`."""
        frontend = self._settings[frontend_name]
        user = body.get("user") if isinstance(body, dict) else None
        if not isinstance(user, str) or not user.strip():
            return None
        if not is_identifier(user.strip()) or frontend.default_service is None:
            raise Unauthenticated(_BAD_AGENT, headers=_CHALLENGE)
        return user.strip(), frontend.default_service, frozenset({Role.AGENT})

    def _identity(
        self, name: str, frontend: FrontendSettings, headers: Mapping[str, str]
    ) -> AgentIdentity | None:
        names = frontend.header_names
        token = headers.get(names.jwt) if names.jwt else None
        secret = self._secrets.get(name)
        if token and secret:
            return _verified(token, secret, frontend, _groups(headers, names))
        if not any(headers.get(n) for n in _naming(names) if n):
            return None
        if not frontend.plain_headers:  # (plain headers need `clients`, checked above)
            raise Unauthenticated(_JWT_REQUIRED, headers=_CHALLENGE)
        return _plain(headers, names)


def _verified(token: str, secret: str, frontend: FrontendSettings, groups: tuple[str, ...]) -> AgentIdentity:
    """The agent named by a signed token: HS256 only, the configured issuer, not expired."""
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=frontend.jwt_issuer,
            leeway=frontend.jwt_leeway_s,
            options={"require": ["exp", "iss", "sub"]},
        )
    except jwt.PyJWTError as exc:
        log.warning("frontend: identity token refused (%s)", type(exc).__name__)
        raise Unauthenticated(_BAD_JWT, headers=_CHALLENGE) from exc
    claimed = claims.get("groups")
    if isinstance(claimed, list):
        groups = tuple(str(group) for group in claimed)
    return AgentIdentity(str(claims.get("sub", "")), str(claims.get("email", "")).strip(), groups)


def _plain(headers: Mapping[str, str], names: FrontendHeaders) -> AgentIdentity:
    def value(name: str | None) -> str:
        return unquote(headers.get(name, "")).strip() if name else ""

    return AgentIdentity(value(names.user_id), value(names.user_email), _groups(headers, names))


def _groups(headers: Mapping[str, str], names: FrontendHeaders) -> tuple[str, ...]:
    raw = headers.get(names.groups, "") if names.groups else ""
    return tuple(group for part in raw.split(",") if (group := unquote(part).strip()))


def _service(frontend: FrontendSettings, groups: tuple[str, ...]) -> str:
    """The first configured group the agent belongs to decides the service."""
    held = set(groups)
    service = next((svc for group, svc in frontend.groups.items() if group in held), None)
    service = service or frontend.default_service
    if service is None:
        raise Forbidden(_NO_SERVICE)
    return service
