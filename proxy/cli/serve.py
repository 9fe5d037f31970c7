"""`gardefou serve`: start the proxy with uvicorn."""

from __future__ import annotations

import argparse
import logging.config
import os
import shutil
import socket
from pathlib import Path
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from proxy.cli.common import config_option, settings_or_exit
from proxy.logs import logging_config
from proxy.register.configured import register_label
from proxy.settings import METRICS_DIR_ENV, Settings
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
    logging.config.dictConfig(logging_config(settings.logs))
    print(f"Garde-fou écoute sur http://{host}:{port}/v1 (registre : {register_label(settings)})")
    if settings.demo_mode:
        print(
            "Mode démonstration (aucun fichier de configuration) : modèle « demo » intégré, "
            "clé d'API non exigée. Pour un usage réel : gardefou serve --config gardefou.yaml"
        )
    if args.workers > 1:
        _share_metrics(settings)
        _run_workers(args.config, settings, (host, port), args.workers, access_log=args.access_log)
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
        log_config=logging_config(settings.logs),
        proxy_headers=False,
        access_log=args.access_log,
    )
    uvicorn.Server(config).run()
    return 0


def _share_metrics(settings: Settings) -> None:
    """Worker processes write their metrics to files in one directory that /metrics adds up
    (prometheus_client's multiprocess mode); emptied at start, the figures start from zero."""
    if os.environ.get(METRICS_DIR_ENV):
        return
    directory = settings.data_dir / "metrics"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ[METRICS_DIR_ENV] = str(directory.resolve())


def _run_workers(
    config: Path | None, settings: Settings, bind: tuple[str, int], workers: int, *, access_log: bool
) -> None:
    """Each worker process builds its own app from $GARDEFOU_CONFIG (uvicorn needs an import
    string); uvicorn applies `log_config` in every worker, so the same loggers stay quiet there."""
    if config is not None:
        os.environ["GARDEFOU_CONFIG"] = str(config.resolve())
    server = ServerConfig(
        "proxy.app:app_from_environment",
        settings.limits,
        factory=True,
        workers=workers,
        host=bind[0],
        port=bind[1],
        log_config=logging_config(settings.logs),
        proxy_headers=False,
        access_log=access_log,
        # uvicorn kills a worker that has not answered its ping for this long: loading the models
        # on a busy host took longer than the 5 s default, and workers were killed in a loop.
        timeout_worker_healthcheck=60,
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
