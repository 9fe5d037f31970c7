"""The `governance` section of a policy file (field reference in policies/README.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_NOTICE = "Texte rédigé avec l'aide d'une IA (modèle {model}) — à relire et à valider avant diffusion."
DEFAULT_REMINDER = (
    "Contrôle humain obligatoire : cette demande relève d'un domaine à haut risque ({areas}). "
    "L'IA informe, un agent habilité décide : vérifiez ces éléments avant toute décision."
)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CharterConfig(Strict):
    file: Path = Field(description="Charte d'utilisation (Markdown), chemin relatif au fichier de politique")
    version: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[\w.\- ]+$")] = Field(
        description="Version de la charte ; une nouvelle version demande une nouvelle acceptation"
    )


class NoticeConfig(Strict):
    text: Annotated[str, Field(min_length=1, max_length=400)] = Field(
        default=DEFAULT_NOTICE, description="Mention ajoutée à la réponse ; {model} : le modèle utilisé"
    )
    services: tuple[str, ...] = Field(default=(), description="Services dont chaque réponse porte la mention")
    in_answer: bool = Field(default=True, description="Ajouter la mention à la fin de la réponse")
    header: bool = Field(default=True, description="Ajouter l'en-tête X-Gardefou-AI-Notice")


class HumanControlConfig(Strict):
    in_answer: bool = Field(
        default=True,
        description="Montrer à l'agent, dans la réponse, le rappel d'un domaine à haut risque évalué",
    )
    text: Annotated[str, Field(min_length=1, max_length=600)] = Field(
        default=DEFAULT_REMINDER, description="Rappel ajouté à la réponse ; {areas} : les domaines"
    )


class TransparencyConfig(Strict):
    enabled: bool = Field(default=False, description="Publier la page /transparence (sans authentification)")
    organisation: str = Field(default="", max_length=200, description="Nom affiché de la collectivité")
    min_count: Annotated[int, Field(ge=1, le=100)] = Field(
        default=5, description="En dessous, un chiffre est affiché « < N » (pas de ré-identification)"
    )


class Governance(Strict):
    charter: CharterConfig | None = Field(default=None, description="Charte à accepter avant tout usage")
    notice: NoticeConfig = NoticeConfig()
    human_control: HumanControlConfig = HumanControlConfig()
    transparency: TransparencyConfig = TransparencyConfig()
