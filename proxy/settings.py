"""The proxy configuration: one YAML file (optional), validated strictly; the only reader of the environment.

Relative paths in a configuration file are resolved against that file's directory; the embedded
defaults point at the policies/ and models/ shipped beside the package and at a local data directory.
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, HttpUrl, IPvAnyNetwork, field_validator, model_validator

from proxy.config_file import STRICT, ConfigFileError, load_model
from proxy.roles import Role

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEMO_MODEL = "demo"
DEMO_BASE_URL = "http://demo.gardefou.invalid/v1"


class Hosting(StrEnum):
    LOCAL = "local"
    SOVEREIGN = "sovereign"
    EU = "eu"
    NON_EU = "non_eu"


class Strict(BaseModel):
    model_config = STRICT


class UpstreamSettings(Strict):
    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")]
    base_url: HttpUrl
    api_key_env: str | None = None
    models: Annotated[tuple[str, ...], Field(min_length=1)]
    hosting: Hosting
    timeout_s: Annotated[float, Field(gt=0, le=3600)] = 120.0

    # Energy and emissions per use (register, EcoLogits methodology): see proxy/register/energy.py.
    params_billion: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default={},
        description="Nombre de paramètres (en milliards) de chaque modèle servi, pour estimer "
        "l'énergie et les émissions de chaque usage (méthode EcoLogits) ; modèle absent : non estimé.",
    )
    active_params_billion: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default={},
        description="Paramètres actifs par jeton (modèles à mélange d'experts) ; défaut : params_billion.",
    )
    electricity_zone: str | None = Field(
        default=None,
        pattern=r"^[A-Z]{3}$",
        description="Zone du mix électrique de l'hébergement (ISO 3166-1 alpha-3, ex. FRA) ; défaut "
        "selon hosting : FRA (local, sovereign), EEE (eu), WOR (non_eu).",
    )
    electricity_gco2_per_kwh: float | None = Field(
        default=None,
        ge=0,
        le=2000,
        description="Intensité carbone de l'électricité de l'hébergement (gCO2e/kWh), à la place de "
        "celle de la zone.",
    )
    pue: float | None = Field(
        default=None, ge=1, le=3, description="PUE du centre de données de l'amont (défaut : 1,2)."
    )

    @property
    def is_demo(self) -> bool:
        return str(self.base_url).rstrip("/") == DEMO_BASE_URL


class SsoGroup(Strict):
    service: str | None = Field(
        default=None, description="Service (au sens de la politique) des membres de ce groupe."
    )
    roles: tuple[Role, ...] = Field(
        default=(), description="Rôles accordés aux membres de ce groupe : agent, rssi, dpo, admin."
    )

    @model_validator(mode="after")
    def _agents_need_a_service(self) -> SsoGroup:
        if Role.AGENT in self.roles and not self.service:
            raise ValueError("un groupe qui accorde le rôle agent doit nommer son service (clé service)")
        return self


class SsoSettings(Strict):
    """Identification par un mandataire inverse de confiance (OIDC : ProConnect, Keycloak, Authelia...)."""

    enabled: bool = Field(
        default=False, description="Accepter l'identité transmise par le mandataire inverse (SSO)."
    )
    user_header: str = Field(
        default="X-Forwarded-User", description="En-tête portant l'identifiant de l'utilisateur."
    )
    groups_header: str = Field(
        default="X-Forwarded-Groups", description="En-tête portant ses groupes, séparés par des virgules."
    )
    trusted_proxies: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description="Adresses (CIDR) des mandataires dont les en-têtes d'identité sont acceptés.",
    )
    secret_header: str = Field(
        default="X-Gardefou-Proxy-Secret",
        description="En-tête portant le secret partagé avec le mandataire (si secret_env est défini).",
    )
    secret_env: str | None = Field(
        default=None,
        description="Variable d'environnement contenant le secret partagé (jamais le secret lui-même).",
    )
    groups: dict[str, SsoGroup] = Field(
        default={},
        description="Groupes reconnus -> service et rôles ; l'ordre départage un utilisateur de plusieurs "
        "services (le premier groupe listé l'emporte). Un groupe absent n'accorde rien.",
    )

    @model_validator(mode="after")
    def _trust_is_configured(self) -> SsoSettings:
        if self.enabled and not self.trusted_proxies and not self.secret_env:
            raise ValueError("le SSO exige trusted_proxies ou secret_env (sinon n'importe qui serait cru)")
        return self


class FrontendKind(StrEnum):
    OPENWEBUI = "openwebui"
    LIBRECHAT = "librechat"


class AgentKey(StrEnum):
    """Which forwarded attribute names the agent in the register, limits and pseudonyms."""

    EMAIL = "email"
    ID = "id"


class FrontendHeaders(Strict):
    """Names of the headers a front-end fills with the agent's identity (None: not sent)."""

    user_id: str | None = None
    user_email: str | None = None
    user_name: str | None = None
    user_role: str | None = None
    chat_id: str | None = None
    groups: str | None = None
    jwt: str | None = None


FRONTEND_HEADERS = {
    FrontendKind.OPENWEBUI: FrontendHeaders(
        user_id="X-OpenWebUI-User-Id",
        user_email="X-OpenWebUI-User-Email",
        user_name="X-OpenWebUI-User-Name",
        user_role="X-OpenWebUI-User-Role",
        chat_id="X-OpenWebUI-Chat-Id",
        groups="X-OpenWebUI-User-Groups",
        jwt="X-OpenWebUI-User-Jwt",
    ),
    FrontendKind.LIBRECHAT: FrontendHeaders(
        user_id="X-LibreChat-User-Id",
        user_email="X-LibreChat-User-Email",
        user_name="X-LibreChat-User-Name",
        user_role="X-LibreChat-User-Role",
        chat_id="X-LibreChat-Conversation-Id",
        groups="X-LibreChat-User-Groups",
    ),
}


class FrontendSettings(Strict):
    """Un frontal de discussion (Open WebUI, LibreChat) qui parle au nom des agents."""

    kind: FrontendKind = Field(
        default=FrontendKind.OPENWEBUI, description="Logiciel du frontal : openwebui ou librechat."
    )
    clients: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description="Adresses (CIDR) d'où le frontal appelle ; exigées pour les en-têtes d'identité simples.",
    )
    jwt_secret_env: str | None = Field(
        default=None,
        description="Variable d'environnement contenant le secret du jeton signé d'Open WebUI "
        "(FORWARD_USER_INFO_HEADER_JWT_SECRET) ; défini : le jeton est exigé.",
    )
    jwt_issuer: str = Field(default="open-webui", description="Émetteur attendu du jeton (claim iss).")
    jwt_leeway_s: int = Field(
        default=30, ge=0, le=300, description="Tolérance d'horloge pour l'expiration du jeton (secondes)."
    )
    plain_headers: bool = Field(
        default=False,
        description="Accepter les en-têtes d'identité simples (non signés), depuis `clients` seulement.",
    )
    agent_key: AgentKey = Field(
        default=AgentKey.EMAIL, description="Attribut qui nomme l'agent dans le registre : email ou id."
    )
    groups: dict[str, str] = Field(
        default={},
        description="Groupe du frontal -> service de l'agent ; le premier groupe listé l'emporte.",
    )
    default_service: str | None = Field(
        default=None,
        description="Service d'un agent sans groupe reconnu (absent : la requête est refusée, 403).",
    )
    body_user: bool = Field(
        default=False,
        description="En dernier recours, nommer l'agent par le champ « user » du corps (depuis `clients`, "
        "service : default_service).",
    )
    headers: FrontendHeaders | None = Field(
        default=None, description="Noms des en-têtes d'identité (défaut : ceux du logiciel, voir README)."
    )

    @model_validator(mode="after")
    def _identity_is_verifiable(self) -> FrontendSettings:
        if (self.plain_headers or self.body_user) and not self.clients:
            raise ValueError("plain_headers et body_user exigent clients (sinon n'importe qui serait cru)")
        if self.body_user and not self.default_service:
            raise ValueError("body_user exige default_service (le corps ne dit rien des groupes)")
        if not (self.plain_headers or self.jwt_secret_env or self.body_user):
            raise ValueError("un frontal doit accepter un jeton signé (jwt_secret_env) ou plain_headers")
        return self

    @property
    def header_names(self) -> FrontendHeaders:
        return self.headers or FRONTEND_HEADERS[self.kind]


class AuthSettings(Strict):
    require_api_key: bool = Field(
        default=True,
        description="Exiger une clé d'API (ou une identité SSO) ; false : essais locaux uniquement.",
    )
    # Identity used when keys are not required (local trials only).
    anonymous_user: str = Field(default="anonyme", description="Utilisateur des appels anonymes.")
    anonymous_service: str = Field(default="demo", description="Service des appels anonymes.")
    sso: SsoSettings = SsoSettings()
    frontends: dict[str, FrontendSettings] = Field(
        default={},
        description="Frontaux (Open WebUI, LibreChat) par nom : le nom est l'utilisateur de leur clé "
        "de rôle frontend (gardefou keys create --user NOM --role frontend).",
    )


SharedLimitsFallback = Literal["refuse", "local"]


class LimitSettings(Strict):
    """Limites contre les abus ; les valeurs par défaut conviennent à une collectivité moyenne."""

    max_body_bytes: int = Field(
        default=4 * 1024 * 1024, ge=1024, description="Taille maximale du corps d'une requête (octets)."
    )
    max_json_depth: int = Field(
        default=32, ge=4, le=1000, description="Profondeur maximale d'imbrication du JSON."
    )
    max_messages: int = Field(
        default=500,
        ge=1,
        description="Nombre maximal de messages d'une conversation (ou d'entrées d'un embeddings).",
    )
    user_requests_per_minute: int = Field(
        default=120, ge=1, description="Requêtes par minute et par utilisateur (au-delà : 429)."
    )
    service_requests_per_minute: int = Field(
        default=1200, ge=1, description="Requêtes par minute et par service (au-delà : 429)."
    )
    max_concurrent_per_user: int = Field(
        default=8, ge=1, description="Requêtes simultanées par utilisateur (au-delà : 429)."
    )
    max_tokens: int | None = Field(
        default=16384,
        ge=1,
        description="Plafond de max_tokens / max_completion_tokens demandés (abaissés à cette valeur).",
    )
    upstream_deadline_s: float = Field(
        default=300.0,
        gt=0,
        le=3600,
        description="Durée maximale d'un appel au modèle amont, flux compris (au-delà : 504).",
    )
    max_header_bytes: int = Field(
        default=32 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Taille maximale de la ligne de requête et des en-têtes HTTP (octets ; au-delà : 431).",
    )
    max_headers: int = Field(
        default=100, ge=8, le=10_000, description="Nombre maximal d'en-têtes HTTP (au-delà : 431)."
    )
    header_timeout_s: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="Délai pour recevoir les en-têtes d'une requête (trop lent : 408, connexion fermée).",
    )
    max_connections_per_client: int = Field(
        default=256,
        ge=1,
        le=100_000,
        description="Connexions ouvertes à la fois par adresse cliente (au-delà : 429). Derrière un "
        "mandataire inverse, toutes les connexions viennent de son adresse : prévoir large.",
    )
    drain_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=0,
        description="Après un refus (413...), octets du corps encore lus puis jetés pour que le client "
        "puisse lire la réponse avant la fermeture (comme nginx).",
    )
    drain_timeout_s: float = Field(
        default=10.0, gt=0, le=300, description="Durée maximale de cette lecture avant fermeture."
    )
    backend: str = Field(
        default="memory",
        pattern=r"^(memory|(redis|rediss|unix)://.+)$",
        description="Où compter les limites de débit et de simultanéité : « memory » (dans chaque "
        "processus) ou l'URL d'un Redis/Valkey partagé par toutes les instances (redis://hôte:6379/0).",
    )
    backend_unavailable: SharedLimitsFallback = Field(
        default="refuse",
        description="Si le Redis des limites ne répond pas : « refuse » (503, rien n'est transmis) ou "
        "« local » (limites comptées dans chaque processus, signalé dans le journal).",
    )
    backend_timeout_s: float = Field(
        default=0.5, gt=0, le=10, description="Délai maximal d'une opération sur le Redis des limites."
    )


def _default_processes() -> int:
    """One NER process per core, 4 at most (each holds its own copy of the model)."""
    return min(4, os.cpu_count() or 1)


def _threads_for(detection: dict[str, Any]) -> int:
    return max(2, int(detection.get("processes", 0)))


class DetectionSettings(Strict):
    timeout_s: Annotated[float, Field(gt=0, le=120)] = 15.0
    # Processes running spaCy's NER beside the server process (each loads the model: ~370 MB);
    # 0 runs it in the server process. With `serve --workers N`, each worker starts its own.
    processes: Annotated[int, Field(ge=0, le=64)] = Field(default_factory=lambda: _default_processes())
    # Analyses at once (threads): by default one per NER process, and at least 2.
    max_threads: Annotated[int, Field(ge=1, le=64)] = Field(default_factory=_threads_for)
    # Findings remembered per message text (in memory only, per worker), so that a conversation's
    # resent history is not analysed again; 0 turns the cache off.
    cache_entries: Annotated[int, Field(ge=0, le=1_000_000)] = 4096


class MetricsSettings(Strict):
    """Métriques Prometheus (/metrics) : comptes et durées, jamais de donnée personnelle ni d'agent."""

    enabled: bool = Field(default=True, description="Servir /metrics.")
    allow_networks: tuple[IPvAnyNetwork, ...] = Field(
        default=(),
        description="Adresses (CIDR) autorisées à lire /metrics sans clé (le serveur Prometheus) ; "
        "ailleurs, une clé des rôles rssi ou admin est exigée.",
    )
    verify_interval_s: float = Field(
        default=3600.0,
        ge=0,
        description="Vérification complète du registre toutes les N secondes (résultat dans les "
        "métriques) ; 0 : jamais.",
    )


class HealthSettings(Strict):
    """Sondes /healthz (processus vivant) et /readyz (prêt à servir)."""

    ner_stale_s: float = Field(
        default=1.0,
        gt=0,
        le=60,
        description="Un processus d'analyse silencieux depuis plus de N secondes ne répond plus.",
    )
    upstream_interval_s: float = Field(
        default=15.0, gt=0, le=3600, description="Sondage de chaque modèle amont toutes les N secondes."
    )
    upstream_timeout_s: float = Field(
        default=3.0, gt=0, le=60, description="Délai de réponse d'un modèle amont sondé."
    )


class LogFormat(StrEnum):
    JSON = "json"
    TEXT = "text"


class LogSettings(Strict):
    """Journaux du service : types, comptes, identifiants et durées ; jamais un texte ni une clé."""

    format: LogFormat = Field(default=LogFormat.JSON, description="json (une ligne JSON) ou text.")
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Niveau minimal des journaux."
    )
    requests: bool = Field(default=True, description="Une ligne par requête HTTP.")


class SiemTransport(StrEnum):
    UDP = "udp"
    TCP = "tcp"
    UNIX = "unix"


class SiemSettings(Strict):
    """Copie de chaque ligne du registre et de chaque point de contrôle vers un SIEM (syslog RFC 5424)."""

    enabled: bool = Field(default=False, description="Envoyer le registre au SIEM.")
    transport: SiemTransport = Field(default=SiemTransport.UDP, description="udp, tcp ou unix.")
    host: str = Field(default="127.0.0.1", description="Adresse du récepteur syslog (udp, tcp).")
    port: int = Field(default=514, ge=1, le=65535, description="Port du récepteur syslog (udp, tcp).")
    socket_path: Path | None = Field(
        default=None, description="Socket Unix du récepteur (transport unix), ex. /dev/log."
    )
    app_name: str = Field(
        default="gardefou", pattern=r"^[!-~]{1,48}$", description="APP-NAME des messages syslog."
    )
    facility: int = Field(
        default=13, ge=0, le=23, description="Facilité syslog (13 : audit ; 16 à 23 : local0 à local7)."
    )
    queue_size: int = Field(
        default=10_000,
        ge=1,
        le=1_000_000,
        description="Messages en attente d'envoi au plus ; au-delà ils sont abandonnés (comptés "
        "dans les métriques et journalisés), jamais la requête n'attend.",
    )

    @model_validator(mode="after")
    def _unix_needs_a_path(self) -> SiemSettings:
        if self.enabled and self.transport is SiemTransport.UNIX and self.socket_path is None:
            raise ValueError("le transport unix exige socket_path")
        return self


class Settings(Strict):
    data_dir: Path = Field(default_factory=lambda: Path(os.environ.get("GARDEFOU_DATA_DIR", "data")))
    policy: Path = PROJECT_ROOT / "policies" / "default.yaml"
    models_dir: Path = PROJECT_ROOT / "models"
    # YAML key `register` (BaseModel already has a `register` attribute)
    register_db: Path | None = Field(default=None, alias="register")
    register_url: str | None = Field(
        default=None,
        pattern=r"^postgres(ql)?://",
        description="Registre sur PostgreSQL (postgresql://rôle@hôte:port/base), partagé par plusieurs "
        "instances, au lieu du fichier SQLite `register` (les deux ensemble : erreur). Mot de passe de "
        "préférence dans ~/.pgpass ou PGPASSWORD plutôt que dans l'URL.",
    )
    keys: Path | None = None
    register_key: Path | None = Field(
        default=None,
        description="Clé privée Ed25519 qui signe les points de contrôle du registre, créée au premier "
        "démarrage (défaut : ~/.config/gardefou/register-signing.key, hors du dossier de données ; une "
        "clé déjà présente à côté du registre reste utilisée, avec un avertissement). À sauvegarder.",
    )
    register_checkpoints: Path | None = Field(
        default=None,
        description="Flux hors machine : fichier où chaque point de contrôle, purge, durée de "
        "conservation et alarme est recopié (une ligne JSON chacun) avant d'être inscrit au registre ; "
        "à placer hors de la machine (partage réseau...) ; défaut : register-checkpoints.jsonl à côté "
        "du registre.",
    )
    register_syslog: str | None = Field(
        default=None,
        description="Copie du flux hors machine vers syslog : /dev/log, ou hôte:port (UDP) d'un "
        "collecteur ; défaut : aucune.",
    )
    register_seal_interval_s: float = Field(
        default=1.0,
        gt=0,
        le=3600,
        description="Tant que des lignes arrivent, un point de contrôle signé au moins toutes les N "
        "secondes (minuterie du serveur).",
    )
    register_retention_months: int = Field(
        default=12,
        ge=6,
        le=36,
        description="Durée de conservation du registre en mois (6 à 36) ; purge quotidienne par blocs.",
    )
    register_checkpoint_every: int = Field(
        default=100,
        ge=1,
        le=100_000,
        description="Un point de contrôle signé toutes les N lignes du registre (et à l'arrêt).",
    )
    collectivite: str = Field(
        default="",
        max_length=120,
        description="Nom de la collectivité, affiché en tête des pages d'administration.",
    )
    pseudonym_secret_file: Path | None = Field(
        default=None,
        description="Secret des pseudonymes (créé au premier démarrage, droits 0600 ; défaut : "
        "pseudonym.key dans data_dir). Le perdre change les pseudonymes ; ne jamais le partager.",
    )
    auth: AuthSettings = AuthSettings()
    limits: LimitSettings = LimitSettings()
    detection: DetectionSettings = DetectionSettings()
    upstreams: tuple[UpstreamSettings, ...] = ()
    metrics: MetricsSettings = MetricsSettings()
    health: HealthSettings = HealthSettings()
    logs: LogSettings = LogSettings()
    siem: SiemSettings = SiemSettings()
    host: str = "127.0.0.1"
    # Set only by the embedded defaults (no configuration file): announced at start-up.
    demo_mode: bool = False
    port: Annotated[int, Field(ge=1, le=65535)] = 8080

    @field_validator("upstreams")
    @classmethod
    def _unique_models(cls, upstreams: tuple[UpstreamSettings, ...]) -> tuple[UpstreamSettings, ...]:
        seen: dict[str, str] = {}
        for upstream in upstreams:
            for model in upstream.models:
                if model in seen:
                    raise ValueError(
                        f"le modèle {model!r} est servi par {seen[model]!r} et {upstream.name!r}"
                    )
                seen[model] = upstream.name
        return upstreams

    @model_validator(mode="after")
    def _one_register(self) -> Settings:
        if self.register_url is not None and "register_db" in self.model_fields_set:
            raise ValueError(
                "`register` (fichier SQLite) et `register_url` (PostgreSQL) sont exclusifs : "
                "n'en gardez qu'un"
            )
        return self

    @model_validator(mode="after")
    def _default_paths(self) -> Settings:
        # frozen model: fill derived defaults once, at validation time
        if self.register_db is None:
            object.__setattr__(self, "register_db", self.data_dir / "register.sqlite")
        if self.keys is None:
            object.__setattr__(self, "keys", self.data_dir / "keys.sqlite")
        if not self.upstreams:
            object.__setattr__(self, "upstreams", (demo_upstream(),))
        return self

    @property
    def register_path(self) -> Path:
        assert self.register_db is not None
        return self.register_db

    @property
    def register_target(self) -> Path | str:
        """Where the register lives: the `register_url` (PostgreSQL), else the SQLite file."""
        return self.register_url or self.register_path

    @property
    def keys_path(self) -> Path:
        assert self.keys is not None
        return self.keys

    @property
    def pseudonym_secret_path(self) -> Path:
        return self.pseudonym_secret_file or self.data_dir / "pseudonym.key"

    def upstream_for(self, model: str) -> UpstreamSettings | None:
        return next((u for u in self.upstreams if model in u.models), None)


def default_signing_key() -> Path:
    """Where the register's signing key is created by default: the user's configuration directory,
    outside the data directory (a copy of the data does not carry the key that can sign it)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gardefou" / "register-signing.key"


def demo_upstream() -> UpstreamSettings:
    return UpstreamSettings(
        name="demo", base_url=HttpUrl(DEMO_BASE_URL), models=(DEMO_MODEL,), hosting=Hosting.LOCAL
    )


def demo_settings() -> Settings:
    """Embedded defaults, for a first try: the demo model only, no API key asked, loopback only."""
    return Settings(auth=AuthSettings(require_api_key=False), demo_mode=True)


_PATH_KEYS = (
    "data_dir",
    "policy",
    "models_dir",
    "register_db",
    "keys",
    "register_key",
    "register_checkpoints",
    "pseudonym_secret_file",
)


def load_settings(path: Path | None = None) -> Settings:
    """Load the configuration file (or $GARDEFOU_CONFIG, or embedded defaults)."""
    if path is None and os.environ.get("GARDEFOU_CONFIG"):
        path = Path(os.environ["GARDEFOU_CONFIG"])
    if path is None:
        return demo_settings()
    settings, _ = load_model(path, Settings, empty_ok=True)
    return _resolve_paths(settings, path.resolve().parent)


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    updates = {}
    for key in _PATH_KEYS:
        value = getattr(settings, key)
        if key in settings.model_fields_set and not value.is_absolute():
            updates[key] = base / value
    if "data_dir" in updates:
        for derived, filename in (("register_db", "register.sqlite"), ("keys", "keys.sqlite")):
            if derived not in settings.model_fields_set:
                updates[derived] = updates["data_dir"] / filename
    return settings.model_copy(update=updates)


def sso_secret(sso: SsoSettings) -> str | None:
    """The secret shared with the reverse proxy, read from the environment variable configured."""
    if sso.secret_env is None:
        return None
    value = os.environ.get(sso.secret_env)
    if not value or len(value) < 16:
        raise ConfigFileError(
            f"La variable d'environnement {sso.secret_env} (secret partagé avec le mandataire SSO) "
            "est absente ou trop courte (16 caractères au moins)."
        )
    return value


def frontend_secrets(auth: AuthSettings) -> dict[str, str]:
    """Each front-end's JWT secret, read from the environment variable its configuration names."""
    secrets = {}
    for name, frontend in auth.frontends.items():
        if frontend.jwt_secret_env is None:
            continue
        value = os.environ.get(frontend.jwt_secret_env)
        if not value or len(value) < 32:
            raise ConfigFileError(
                f"La variable d'environnement {frontend.jwt_secret_env} (secret du jeton du frontal "
                f"{name!r}) est absente ou trop courte (32 caractères au moins)."
            )
        secrets[name] = value
    return secrets


def upstream_api_key(upstream: UpstreamSettings) -> str | None:
    """The upstream's secret, read from the environment variable the configuration names."""
    if upstream.api_key_env is None:
        return None
    value = os.environ.get(upstream.api_key_env)
    if not value:
        raise ConfigFileError(
            f"La variable d'environnement {upstream.api_key_env} (clé de l'amont "
            f"{upstream.name!r}) est vide ou absente."
        )
    return value


def metrics_multiprocess_dir() -> Path | None:
    """Where the worker processes of `serve --workers N` share their metrics (prometheus_client's
    multiprocess mode, set by `gardefou serve`); None in a single process."""
    value = os.environ.get(METRICS_DIR_ENV)
    return Path(value) if value else None


METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client itself
