"""`make run` serves with waitress: a township's villages arriving at once are queued, not reset."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_embedded_server_answers_66_clients_at_once_without_resetting_any(tmp_path):
    port = free_port()
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.local", QL_VAR_DIR=str(tmp_path))
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve", f"127.0.0.1:{port}", "--threads", "4"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url, timeout=2).read()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(proc.stdout.read().decode(errors="replace")) from None
                time.sleep(0.2)

        def get(_):
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.status, response.read(), response.headers.get("Server")

        with ThreadPoolExecutor(max_workers=66) as pool:
            results = list(pool.map(get, range(66 * 3)))
        assert {(status, body) for status, body, _ in results} == {(200, b"ok")}
        assert {server for *_, server in results} == {"qinglian"}
    finally:
        proc.terminate()
        proc.wait(timeout=20)
