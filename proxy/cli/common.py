"""What every sub-command shares: the `--config` option and loading the settings it names."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from proxy.config_file import ConfigFileError
from proxy.settings import Settings, load_settings


def config_option() -> argparse.ArgumentParser:
    """A parent parser adding `--config FILE` (default: $GARDEFOU_CONFIG, else embedded defaults)."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--config", type=Path, help="fichier de configuration YAML (défaut : $GARDEFOU_CONFIG)"
    )
    return parent


def settings_or_exit(path: Path | None) -> Settings:
    """Load the configuration, or print the problem (file, line, key) and exit with status 2."""
    try:
        return load_settings(path)
    except ConfigFileError as error:
        print(f"Erreur de configuration : {error}", file=sys.stderr)
        raise SystemExit(2) from None
