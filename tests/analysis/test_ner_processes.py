"""NER worker processes never outlive the server that started them."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SERVER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from proxy.analysis.config import load_detection_config
    from proxy.analysis.ner_processes import NerProcesses
    pool = NerProcesses(load_detection_config(Path(sys.argv[1])), 2)
    pool.warm_up()
    print(" ".join(str(pid) for pid in pool.pids), flush=True)
    time.sleep(600)
    """
)


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie may wait for a reaper that never comes)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_workers_exit_when_the_server_is_killed_outright() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", SERVER, str(REPO / "models")]
    server = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        workers = [int(pid) for pid in server.stdout.readline().split()]
        assert len(workers) == 2 and all(running(pid) for pid in workers)
    finally:
        server.kill()  # SIGKILL: no shutdown code runs in the server
        server.wait()
    deadline = time.monotonic() + 20
    while any(running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(running(pid) for pid in workers)


def test_a_worker_that_overruns_the_deadline_fails_closed_and_is_replaced() -> None:
    from proxy.analysis.config import load_detection_config
    from proxy.analysis.ner_processes import NerProcesses, NerWorkerError

    pool = NerProcesses(load_detection_config(REPO / "models"), 1, timeout_s=0.001)
    try:
        pool.warm_up()
        (late,) = pool.pids
        text = "Mme Claire Martin habite à Lyon. " * 200
        try:
            pool.entities([("fr", text)])
        except NerWorkerError:
            pass
        else:
            raise AssertionError("an answer after the deadline was accepted")
        assert late not in pool.pids and len(pool.pids) == 1
        pool._timeout_s = 60.0
        assert (27, 31, "LOC") in pool.entities([("fr", "Mme Claire Martin habite à Lyon.")])[0]
    finally:
        pool.close()


def test_a_killed_worker_is_replaced_and_its_texts_analysed_by_the_new_one() -> None:
    """Killed just before the texts are sent (the process may still look alive): no request fails."""
    import signal

    from proxy.analysis.config import load_detection_config
    from proxy.analysis.ner import NerPath
    from proxy.analysis.ner_processes import NerProcesses

    pool = NerProcesses(load_detection_config(REPO / "models"), 1, timeout_s=60.0)
    try:
        pool.warm_up()
        assert pool.path is NerPath.DIRECT  # reported by the worker once its model is loaded
        text = "Mme Claire Martin habite à Lyon."
        expected = pool.entities([("fr", text)])
        for _ in range(2):
            (killed,) = pool.pids
            os.kill(killed, signal.SIGKILL)
            assert pool.entities([("fr", text)]) == expected
            assert killed not in pool.pids and len(pool.pids) == 1
    finally:
        pool.close()
