"""Who is calling: an API key (Authorization: Bearer) -> Caller(user, service, role)."""

from __future__ import annotations

from dataclasses import dataclass

from proxy.errors import Unauthenticated
from proxy.keystore import KeyStore
from proxy.settings import AuthSettings


@dataclass(frozen=True, slots=True)
class Caller:
    user: str
    service: str
    role: str = "agent"
    key_id: str | None = None

    @property
    def account(self) -> str:
        """The identity recorded in the register: the agent's account, and the key it used."""
        return f"{self.user}:{self.key_id}" if self.key_id else self.user


def identify(authorization: str | None, keys: KeyStore, settings: AuthSettings) -> Caller:
    if not settings.require_api_key:
        return Caller(user=settings.anonymous_user, service=settings.anonymous_service)
    token = _bearer_token(authorization)
    record = keys.authenticate(token) if token else None
    if record is None:
        raise Unauthenticated(
            "Clé d'API absente, inconnue, expirée ou révoquée. Demandez une clé à votre "
            "administrateur et envoyez-la dans l'en-tête « Authorization: Bearer <clé> »."
        )
    return Caller(user=record.user, service=record.service, role=record.role, key_id=record.key_id)


def _bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
