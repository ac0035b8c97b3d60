"""Start `streamlit run serve.py` (app.py behind lib.web.guard) on a free port for a workbook (browser tests and the screen bench)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# A real-length cookie key for local servers only (tests and benchmarks):
TEST_COOKIE_KEY = "test-cookie-key-0123456789-abcdefghijklmnopqrstuvwxyz"


class NotStarted(RuntimeError):
    pass


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log: object

    def rss_mb(self) -> float:
        """The server's resident memory now (VmRSS), in MB."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def output(self) -> str:
        """What the server printed so far (its console)."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(workbook, **extra_env) -> Server:
    """The app on `workbook` with the demo users, signed-in sessions allowed; raises NotStarted with
    the server's output when it does not answer its health check within a minute."""
    from lib.access.users import DEMO_USERS_FILE
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TSUNAGU_")}
    env.update(TSUNAGU_WORKBOOK=str(workbook), TSUNAGU_USERS_FILE=str(DEMO_USERS_FILE),
               TSUNAGU_COOKIE_KEY=TEST_COOKIE_KEY, TSUNAGU_AUDIT_DIR=tempfile.mkdtemp(prefix="audit"))
    env.update(extra_env)
    log = tempfile.TemporaryFile()     # a file, not a pipe: a full pipe would stall the server
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                return Server(url, proc, log)
        except OSError:
            time.sleep(0.3)
    proc.kill()
    log.seek(0)
    text = log.read().decode(errors="replace")[-2000:]
    log.close()
    raise NotStarted("streamlit did not start: " + text)
