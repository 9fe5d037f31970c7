"""Run Open WebUI (with its own Python) with the network cut off: any non-loopback connection or
name lookup is refused and written to a log file, as tests/e2e/offline_guard.py does for Garde-fou.
Usage: python offline_openwebui.py LOG serve --host ... --port ..."""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.e2e.offline_guard import _guard

    _guard(sys.argv[1])
    from open_webui import app

    sys.argv = ["open-webui", *sys.argv[2:]]
    app()
