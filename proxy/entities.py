"""The vocabulary of personal-data types shared by detection, policy, transforms and the register.

Entity ids are stable English identifiers (used in policies, the register and findings); each carries
the French placeholder label shown to the model and the French phrase used in messages to agents.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Entity(StrEnum):
    PERSON = "PERSON"
    LOCATION = "LOCATION"
    ADDRESS = "ADDRESS"
    ORGANIZATION = "ORGANIZATION"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    NIR = "NIR"
    SIREN = "SIREN"
    SIRET = "SIRET"
    IBAN = "IBAN"
    RIB = "RIB"
    CREDIT_CARD = "CREDIT_CARD"
    ID_CARD = "ID_CARD"
    PASSPORT = "PASSPORT"
    DRIVING_LICENSE = "DRIVING_LICENSE"
    TAX_ID = "TAX_ID"
    CAF_NUMBER = "CAF_NUMBER"
    LICENSE_PLATE = "LICENSE_PLATE"
    IP_ADDRESS = "IP_ADDRESS"
    URL = "URL"
    DATE = "DATE"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    CUSTOM = "CUSTOM"  # found by a recognizer of the collectivité's own (models/custom_recognizers.yaml)

    @property
    def label(self) -> str:
        """French placeholder stem, e.g. PERSONNE in [PERSONNE_1]."""
        return _LABELS[self][0]

    @property
    def phrase(self) -> str:
        """French noun phrase with its article, for messages: 'un numéro de sécurité sociale'."""
        return _LABELS[self][1]


_LABELS: dict[Entity, tuple[str, str]] = {
    Entity.PERSON: ("PERSONNE", "un nom de personne"),
    Entity.LOCATION: ("LIEU", "un nom de lieu"),
    Entity.ADDRESS: ("ADRESSE", "une adresse postale"),
    Entity.ORGANIZATION: ("ORGANISATION", "un nom d'organisation"),
    Entity.EMAIL: ("EMAIL", "une adresse électronique"),
    Entity.PHONE: ("TELEPHONE", "un numéro de téléphone"),
    Entity.NIR: ("NIR", "un numéro de sécurité sociale"),
    Entity.SIREN: ("SIREN", "un numéro SIREN"),
    Entity.SIRET: ("SIRET", "un numéro SIRET"),
    Entity.IBAN: ("IBAN", "un IBAN"),
    Entity.RIB: ("RIB", "un relevé d'identité bancaire"),
    Entity.CREDIT_CARD: ("CARTE_BANCAIRE", "un numéro de carte bancaire"),
    Entity.ID_CARD: ("CNI", "un numéro de carte d'identité"),
    Entity.PASSPORT: ("PASSEPORT", "un numéro de passeport"),
    Entity.DRIVING_LICENSE: ("PERMIS", "un numéro de permis de conduire"),
    Entity.CUSTOM: ("IDENTIFIANT", "un identifiant propre à la collectivité"),
    Entity.TAX_ID: ("NUMERO_FISCAL", "un numéro fiscal"),
    Entity.CAF_NUMBER: ("NUMERO_CAF", "un numéro d'allocataire CAF"),
    Entity.LICENSE_PLATE: ("PLAQUE", "une plaque d'immatriculation"),
    Entity.IP_ADDRESS: ("ADRESSE_IP", "une adresse IP"),
    Entity.URL: ("URL", "une adresse web"),
    Entity.DATE: ("DATE", "une date"),
    Entity.DATE_OF_BIRTH: ("DATE_NAISSANCE", "une date de naissance"),
}


class CustomEntity(str):
    """A type of data of the collectivité's own, named by a recognizer of
    models/custom_recognizers.yaml (`supported_entity: MATRICULE_AGENT`): its name is its placeholder
    label ([MATRICULE_AGENT_12]) and the key of its policy rules."""

    __slots__ = ()

    @property
    def value(self) -> str:
        return str(self)

    @property
    def label(self) -> str:
        return str(self)

    @property
    def phrase(self) -> str:
        return f"une donnée « {self} » propre à la collectivité"


EntityType = Entity | CustomEntity
# A custom type's name is its placeholder label: capital letters and "_" only, so that a model's
# rewriting ("[Matricule agent 12]") is still read back (proxy/transform/placeholders.py).
CUSTOM_NAME = re.compile(r"[A-Z]+(?:_[A-Z]+)*")
CUSTOM_NAME_MAX = 32


def entity_type(name: str) -> EntityType:
    """The project's type of that name, or a custom type; ValueError (French) if the name cannot be one."""
    if name in Entity.__members__:
        return Entity(name)
    if not CUSTOM_NAME.fullmatch(name) or len(name) > CUSTOM_NAME_MAX:
        raise ValueError(
            f"type de donnée « {name} » : ni un type de Garde-fou ni un nom de type propre valide "
            f"(majuscules et « _ », sans chiffre, {CUSTOM_NAME_MAX} caractères au plus, ex. MATRICULE_AGENT)"
        )
    return CustomEntity(name)
