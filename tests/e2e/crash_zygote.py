"""A zygote for the crash test: loads the detector once, then forks real servers on demand.

Each forked child is a complete proxy process (uvicorn + the real app, its own SQLite connection
opened by the lifespan after the fork) that the test kills with SIGKILL. Protocol on stdin/stdout:
`serve PORT [CONFIG]` -> prints the child's pid (CONFIG: another configuration file than the
zygote's, with the same models_dir); `quit` -> exits. Children are reaped automatically.

Usage: python -m tests.e2e.crash_zygote CONFIG LOG
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import uvicorn

from proxy.analysis.engine import Detector, load_detection_config
from proxy.app import create_app
from proxy.settings import load_settings


def serve_child(config: Path, port: int, log: Path, detector: Detector) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    settings = load_settings(config)
    app = create_app(settings, detector=detector)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", proxy_headers=False)
    os._exit(0)


def main(config: Path, log: Path) -> None:
    detector = Detector(load_detection_config(load_settings(config).models_dir))
    detector.warm_up()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # no zombies: killed children vanish
    print("ready", flush=True)
    for line in sys.stdin:
        command = line.split()
        if command[:1] == ["quit"]:
            return
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            own = Path(command[2]) if len(command) > 2 else config
            serve_child(own, int(command[1]), log, detector)
        print(pid, flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
