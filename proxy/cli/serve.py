"""`gardefou serve`: start the proxy with uvicorn."""

from __future__ import annotations

import argparse
import copy
import logging
import os
import socket
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from proxy.cli.common import config_option, settings_or_exit
from proxy.settings import LimitSettings
from proxy.web.protocol import ServerConfig


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve",
        parents=[config_option()],
        help="démarrer le proxy",
        description="Démarre le proxy Garde-fou.",
    )
    parser.add_argument("--host", help="adresse d'écoute (défaut : 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port d'écoute (défaut : 8080)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processus de travail partageant le port et le registre ; chacun charge son modèle "
        "(défaut : 1 ; conseillé : un par cœur)",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="une ligne de journal par requête HTTP (défaut : non, le registre inscrit chaque usage)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_or_exit(args.config)
    host, port = args.host or settings.host, args.port or settings.port
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Presidio logs every analysis at INFO; httpx logs every upstream call: keep the logs about us.
    for noisy in ("presidio-analyzer", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    print(f"Garde-fou écoute sur http://{host}:{port}/v1 (registre : {settings.register_path})")
    if settings.demo_mode:
        print(
            "Mode démonstration (aucun fichier de configuration) : modèle « demo » intégré, "
            "clé d'API non exigée. Pour un usage réel : gardefou serve --config gardefou.yaml"
        )
    if args.workers > 1:
        _run_workers(args.config, settings.limits, (host, port), args.workers, access_log=args.access_log)
        return 0
    from proxy.app import create_app  # heavy (spaCy, Presidio): only in the process that serves

    # proxy_headers=False: X-Forwarded-For must not rewrite the peer address that SSO trust checks.
    # access_log: off unless asked; the register already has a row per request, and uvicorn's line
    # (formatted and written while the answer's headers are sent) cost ~0.3 ms per request.
    config = ServerConfig(
        create_app(settings),
        settings.limits,
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,
        access_log=args.access_log,
    )
    uvicorn.Server(config).run()
    return 0


def _run_workers(
    config: Path | None, limits: LimitSettings, bind: tuple[str, int], workers: int, *, access_log: bool
) -> None:
    """Each worker process builds its own app from $GARDEFOU_CONFIG (uvicorn needs an import
    string); uvicorn applies `log_config` in every worker, so the same loggers stay quiet there."""
    if config is not None:
        os.environ["GARDEFOU_CONFIG"] = str(config.resolve())
    server = ServerConfig(
        "proxy.app:app_from_environment",
        limits,
        factory=True,
        workers=workers,
        host=bind[0],
        port=bind[1],
        log_level="info",
        log_config=_worker_logging(),
        proxy_headers=False,
        access_log=access_log,
    )
    # uvicorn binds with protocol 0, so asyncio never sets TCP_NODELAY on the connections the
    # workers accept, and every answer on a kept-alive connection waited ~40 ms for a delayed ACK.
    # Re-wrapping the descriptor reads the real protocol (TCP) back.
    listener = socket.socket(fileno=server.bind_socket().detach())
    try:
        Multiprocess(server, sockets=[listener]).run()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()


def _worker_logging() -> dict[str, Any]:
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["plain"] = {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    config["handlers"]["plain"] = {"formatter": "plain", "class": "logging.StreamHandler"}
    config["root"] = {"handlers": ["plain"], "level": "INFO"}
    for noisy in ("presidio-analyzer", "httpx"):
        config["loggers"][noisy] = {"level": "WARNING"}
    return config
