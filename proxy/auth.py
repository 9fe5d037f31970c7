"""Who is calling: an API key (Authorization: Bearer), the agent a front-end names (frontends.py),
or the identity a trusted reverse proxy vouches for (SSO headers) -> Caller(user, service, roles).

SSO headers are believed only from a configured proxy address and/or with the shared secret; from
anyone else they are ignored (and the caller needs a key like everybody else). Nothing here knows
about the web framework: it takes the headers and the peer address.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from typing import Any

from proxy.caller import Caller as Caller  # re-exported: the identity layer builds callers
from proxy.errors import Unauthenticated
from proxy.frontends import Frontends
from proxy.keystore import KeyRecord, Keys
from proxy.peers import within
from proxy.roles import Role, is_identifier
from proxy.settings import AuthSettings, SsoSettings

log = logging.getLogger("gardefou")

_NO_KEY = (
    "Clé d'API absente, inconnue, expirée ou révoquée. Demandez une clé à votre "
    "administrateur et envoyez-la dans l'en-tête « Authorization: Bearer <clé> »."
)
_BAD_SSO_USER = "Identifiant transmis par le mandataire d'authentification invalide."
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="gardefou"'}


class Identifier:
    """Built once (Services); `identify` runs on every request."""

    def __init__(
        self,
        settings: AuthSettings,
        keys: Keys,
        sso_secret: str | None,
        frontend_secrets: Mapping[str, str] | None = None,
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._sso = SsoTrust(settings.sso, sso_secret)
        self._frontends = Frontends(settings.frontends, frontend_secrets or {})

    def identify(self, headers: Mapping[str, str], peer: str | None) -> Caller:
        """The caller, or Unauthenticated (401) when nobody is identified."""
        if self._sso.vouches(headers, peer):
            return self._sso.caller(headers)
        token = bearer_token(headers.get("authorization"))
        record = self._keys.authenticate(token) if token is not None else None
        if record is not None and record.role is Role.FRONTEND:
            return self._frontend_caller(record, headers, peer)
        if self._frontends.names_someone(headers):
            raise self._frontends.refuse_impersonation()
        if token is not None:
            return _key_caller(record)
        if not self._settings.require_api_key:
            anonymous = self._settings.anonymous_user, self._settings.anonymous_service
            return Caller(user=anonymous[0], service=anonymous[1], via="anonymous")
        raise Unauthenticated(_NO_KEY, headers=_CHALLENGE)

    def _frontend_caller(self, record: KeyRecord, headers: Mapping[str, str], peer: str | None) -> Caller:
        """The agent a front-end names; the front-end itself (role frontend only) if it names nobody."""
        agent = self._frontends.caller_fields(record, headers, peer)
        if agent is None:
            return _key_caller(record)
        user, service, roles = agent
        return Caller(user=user, service=service, roles=roles, via="frontend", frontend=record.user)

    def reads_body(self, caller: Caller) -> bool:
        """Whether the agent may still be named by the body: a bare front-end key allowed to."""
        return (
            caller.via == "key" and Role.FRONTEND in caller.roles and self._frontends.reads_body(caller.user)
        )

    def named_in_body(self, caller: Caller, body: Any) -> Caller:
        """The agent the body's `user` field names (front-ends with body_user only), else `caller`."""
        agent = self._frontends.body_fields(caller.user, body)
        if agent is None:
            return caller
        user, service, roles = agent
        return Caller(user=user, service=service, roles=roles, via="frontend", frontend=caller.user)


def _key_caller(record: KeyRecord | None) -> Caller:
    if record is None:
        raise Unauthenticated(_NO_KEY, headers=_CHALLENGE)
    return Caller(record.user, record.service, frozenset({record.role}), record.key_id, "key")


class SsoTrust:
    """Whether a request's identity headers come from the trusted reverse proxy, and what they say."""

    def __init__(self, settings: SsoSettings, secret: str | None) -> None:
        self._settings = settings
        self._secret = secret
        self._networks = settings.trusted_proxies

    def vouches(self, headers: Mapping[str, str], peer: str | None) -> bool:
        if not self._settings.enabled or self._settings.user_header not in headers:
            return False
        trusted = self._from_proxy(peer) and self._has_secret(headers)
        if not trusted:
            log.warning("sso: identity headers from an untrusted sender ignored")
        return trusted

    def _from_proxy(self, peer: str | None) -> bool:
        if not self._networks:
            return True  # trust rests on the secret alone (validated: one of the two is configured)
        return within(peer, self._networks)

    def _has_secret(self, headers: Mapping[str, str]) -> bool:
        if self._secret is None:
            return True  # trust rests on the address alone
        presented = headers.get(self._settings.secret_header, "")
        return hmac.compare_digest(presented.encode(), self._secret.encode())

    def caller(self, headers: Mapping[str, str]) -> Caller:
        user = headers.get(self._settings.user_header, "").strip()
        if not is_identifier(user):
            raise Unauthenticated(_BAD_SSO_USER, headers=_CHALLENGE)
        groups = {g.strip() for g in headers.get(self._settings.groups_header, "").split(",")}
        mapped = [rule for name, rule in self._settings.groups.items() if name in groups]
        roles = frozenset(role for rule in mapped for role in rule.roles)
        service = next((rule.service for rule in mapped if rule.service), "")
        return Caller(user=user, service=service, roles=roles, via="sso")


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
