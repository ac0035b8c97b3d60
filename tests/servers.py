"""Real servers from Debian's packages that tests start in a temporary folder: PostgreSQL (the shared
state of several app servers) and nginx (the proxy in front of them). `make test` installs both;
a test that needs one fails, saying how to install it, when it is missing (never a silent skip)."""
from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: there, run it as the package's own `postgres` account."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


class Postgres:
    """A PostgreSQL server of its own (initdb in a temporary folder, trust on 127.0.0.1, a free port)."""

    def __init__(self):
        self.bin = _postgres_bin()
        if self.bin is None:
            raise RuntimeError("PostgreSQL がありません: `make test` が入れます（apt-get install postgresql）")
        self.folder = Path(tempfile.mkdtemp(prefix="tsunagu-pg-", dir="/tmp"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> str:
        data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        subprocess.run(_as_postgres([str(self.bin / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                                     "--no-sync", "-E", "UTF8", "--locale=C"]),
                       check=True, capture_output=True)
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(data), "-l", str(self.folder / "log"), "-w",
                                     "-o", f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off", "start"]),
                       check=True, capture_output=True)
        return self.url

    def pause(self) -> None:
        """The database down (its data kept): what a crash or a maintenance stop looks like to the app."""
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                                     "-w", "stop"]), capture_output=True)

    def resume(self) -> None:
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
                                     "-w", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off", "start"]),
                       check=True, capture_output=True)

    def stop(self) -> None:
        self.pause()
        shutil.rmtree(self.folder, ignore_errors=True)


# What the tests read from nginx's access log: who, which app server, which route cookie.
NGINX_LOG = """    log_format upstream '$remote_addr $upstream_addr "$request" $status $cookie_tsunagu_server';
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
"""


class Nginx:
    """Debian's nginx as it is installed — its own /etc/nginx/nginx.conf and its enabled default site
    (Welcome to nginx!, `default_server` on port 80) — with `site` in conf.d, as README says to place
    it. Only the files nginx writes (pid, logs, temporary files) move into a temporary folder, and the
    default site's port 80 becomes `http_port` (the caller moves the site's own ports)."""

    def __init__(self, site: str, http_port: int):
        if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
            raise RuntimeError("nginx がありません: `make test` が入れます（apt-get install nginx-light）")
        installed = Path("/etc/nginx")
        if not (installed / "nginx.conf").exists() or not (installed / "sites-available" / "default").exists():
            raise RuntimeError("Debian の nginx の設定（/etc/nginx/nginx.conf と sites-available/default）がありません")
        self.folder = Path(tempfile.mkdtemp(prefix="tsunagu-nginx-", dir="/tmp"))
        os.chmod(self.folder, 0o755)
        for sub in ("conf.d", "sites-enabled"):
            (self.folder / sub).mkdir()
        if Path("/usr/share/nginx/modules").exists():      # Debian's modules-enabled name them from its prefix
            (self.folder / "modules").symlink_to("/usr/share/nginx/modules")
        main = (installed / "nginx.conf").read_text(encoding="utf-8")
        main = re.sub(r"(?m)^user .*;$", "", main)                  # the tests' own account runs it
        main = re.sub(r"(?m)^pid .*;$", f"daemon off;\npid {self.folder}/nginx.pid;", main)
        main = main.replace("/var/log/nginx/error.log", f"{self.folder}/error.log")
        main = main.replace("access_log /var/log/nginx/access.log;",
                            NGINX_LOG.format(folder=self.folder) + f"    access_log {self.folder}/access.log upstream;")
        main = main.replace("/etc/nginx/conf.d/", f"{self.folder}/conf.d/")
        main = main.replace("/etc/nginx/sites-enabled/", f"{self.folder}/sites-enabled/")
        assert f"{self.folder}/conf.d/" in main and f"{self.folder}/sites-enabled/" in main and "access.log upstream" in main, main
        (self.folder / "nginx.conf").write_text(main, encoding="utf-8")
        default = (installed / "sites-available" / "default").read_text(encoding="utf-8")
        default = default.replace("listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;")
        default = default.replace("listen [::]:80 default_server;", f"listen [::1]:{http_port} default_server;")
        (self.folder / "sites-enabled" / "default").write_text(default, encoding="utf-8")
        (self.folder / "conf.d" / "tsunagu.conf").write_text(site, encoding="utf-8")
        self.process: subprocess.Popen | None = None

    def start(self, port: int) -> None:
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen([binary, "-p", str(self.folder), "-c", str(self.folder / "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx did not start: {self.process.stderr.read().decode(errors='replace')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not listen in 15 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)

    def upstreams(self, client: str) -> set[str]:
        """The app servers nginx sent this client address's requests to (from its access log)."""
        found = set()
        for line in (self.folder / "access.log").read_text(errors="replace").splitlines():
            parts = line.split(" ")
            if parts[0] == client and parts[1] != "-":
                found.add(parts[1])
        return found

    def routes(self) -> dict[str, set[str]]:
        """The app servers nginx sent each route cookie's requests to (from its access log)."""
        found: dict[str, set[str]] = {}
        for line in (self.folder / "access.log").read_text(errors="replace").splitlines():
            parts = line.split(" ")
            if parts[1] != "-" and parts[-1] != "-":
                found.setdefault(parts[-1], set()).add(parts[1])
        return found

    def log(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in (self.folder / "access.log", self.folder / "error.log")
                         if p.exists())
