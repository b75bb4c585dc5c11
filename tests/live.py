"""Real servers for tests: `cap` processes as a user runs them and the API app under uvicorn
in a thread, on free ports, stopped whatever happens; waiting on them with their log in the
failure."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

CAP = str(Path(sys.executable).with_name("cap"))


@contextmanager
def cap_process(
    args: list[str], env: dict[str, str], log: Path, *, clean_env: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    """`cap <args>` with `env` over ours (or `env` alone: `clean_env`), its output appended
    to `log`; stopped with SIGTERM (killed after 20 s) on the way out, whatever happened."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [CAP, *args],
            env=env if clean_env else {**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_until(
    check: object,
    seconds: float,
    what: str,
    log: Path | None = None,
    procs: tuple[subprocess.Popen[bytes], ...] = (),
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and all(p.poll() is None for p in procs):
        if callable(check) and check():
            return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    exited = [f"pid {p.pid} exited with {p.returncode}" for p in procs if p.poll() is not None]
    why = "; ".join(exited) if exited else f"timed out after {seconds:g} s"
    raise AssertionError(f"gave up waiting for {what} ({why})\n{tail}")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def uvicorn_thread(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free port of 127.0.0.1, in a thread; its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)
