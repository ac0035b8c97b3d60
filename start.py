"""Start つなぐボード on the office PC — Windows or Linux, no make, no shell knowledge needed.

    py start.py                      (Windows; or double-click start_tsunagu.bat)
    python3 start.py                 (Linux)
    python3 start.py --https tsunagu.town.lg.jp    (with HTTPS from Caddy in front, README 「HTTPS」)
    python3 start.py --demo          (the sample town with its demo users, to try things out)
    python3 start.py --bundle windows   (on a PC with network: the ZIP for a PC with none, README 「LGWAN」)

It makes (or reuses) a virtual environment `.venv` beside this file, installs requirements.txt into
it when that file changed, starts the server and prints the address to open. Beside a bundle's
`wheels/` folder (deploy/bundle.py) it installs from there only, after checking their sums, and never
touches the network. A real town starts
without demo users: the first start prints a one-time setup code for the first 管理者. Only the
standard library is used here, so any Python 3.11 or newer from python.org runs it.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
MIN_PYTHON = (3, 11)
STAMP = "tsunagu-requirements.sha256"     # in the venv: which requirements.txt was installed
CADDYFILE = HERE / "deploy" / "Caddyfile"


def say(text: str) -> None:
    print(f"つなぐボード: {text}", flush=True)


def caddy_line(line: str) -> str | None:
    """What the console shows of one line of Caddy's log: its errors, shortened; nothing of its
    JSON notes and warnings (certificates made, servers started, OCSP…). A line that is not JSON —
    a Caddyfile Caddy could not read — is shown as it is."""
    import json
    try:
        entry = json.loads(line)
    except ValueError:
        return line.rstrip() or None
    if not isinstance(entry, dict) or entry.get("level") not in ("error", "fatal", "panic"):
        return None
    return f"Caddy（https）のエラー: {entry.get('msg', '')}" + (f"（{entry['error']}）" if entry.get("error") else "")


def relay_caddy(stream) -> None:
    for line in stream:
        if (said := caddy_line(line)) is not None:
            say(said)


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def requirements_hash() -> str:
    return hashlib.sha256((HERE / "requirements.txt").read_bytes()).hexdigest()


def offline_env() -> dict:
    """pip's environment for a bundle: none of the machine's pip settings (an index or proxy set
    for the town's other PCs would make pip wait for a network the PC does not have)."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


def prepare(venv: Path, system_packages: bool = False) -> Path:
    """The venv's Python, with requirements.txt installed (again only when it changed): from the
    bundle's wheels/ when it is beside this file (sums checked first; no network), else from the index."""
    python = venv_python(venv)
    stamp = venv / STAMP
    wanted = requirements_hash()
    needed = not python.exists() or not stamp.exists() or stamp.read_text(encoding="utf-8").strip() != wanted
    wheels = HERE / "wheels"
    offline = wheels.is_dir()               # a bundle (deploy/bundle.py): its wheels only, no network
    if needed and offline:
        from deploy.bundle import check_sums
        say("持ち込んだ部品（wheels フォルダ）が壊れていないか確かめています…")
        problems = check_sums(HERE)
        if problems:
            raise SystemExit("つなぐボード: 持ち込んだ部品に問題があるため、何も入れていません。\n  " + "\n  ".join(problems)
                             + "\nZIP ファイルをもう一度持ち込み、同じフォルダに展開し直してから start.py を実行してください。")
    if not python.exists():
        say(f"仮想環境を作っています（{venv}）…")
        command = [sys.executable, "-m", "venv", str(venv)]
        if system_packages:
            command.insert(3, "--system-site-packages")
        subprocess.run(command, check=True)
    if needed:
        say("必要なものを wheels フォルダから入れています（インターネットは使いません。初めてのときは数分かかります）…" if offline
            else "必要なものを入れています（初めてのときは数分かかります。インターネットかパッケージの置き場につながっている必要があります）…")
        done = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                               *(["--no-index", "--find-links", str(wheels)] if offline else []),
                               "-r", str(HERE / "requirements.txt")], env=offline_env() if offline else None)
        if done.returncode != 0:
            raise SystemExit(
                "つなぐボード: wheels フォルダから必要なものを入れられませんでした（上のメッセージを見てください）。"
                "このパソコンの Python の版（3.11〜3.13）と、持ち込んだ ZIP（Windows 用か Linux 用か）が合っているか確かめてください。"
                if offline else
                "つなぐボード: 必要なものを入れられませんでした（上のメッセージを見てください）。"
                "ネットワークにつながっているか確かめて、もう一度 start.py を実行してください。"
                "インターネットのないパソコンでは、README「インターネットのないパソコン（LGWAN）」の ZIP を使います。")
        stamp.write_text(wanted, encoding="utf-8")
    return python


def addresses(port: int, scheme: str = "http", host: str | None = None) -> list[str]:
    """The addresses people can open: this PC, and its name on the network."""
    if host:
        return [f"https://{host}" + ("" if port == 443 else f":{port}")]
    found = [f"{scheme}://localhost:{port}"]
    name = socket.gethostname()
    if name and name != "localhost":
        found.append(f"{scheme}://{name}:{port}")
    return found


def wait_healthy(port: int, process: subprocess.Popen, seconds: float = 120) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def caddy_command() -> str | None:
    """Caddy on the PATH, or caddy.exe / caddy beside this file (Windows: the one downloaded binary)."""
    for beside in (HERE / "caddy.exe", HERE / "caddy"):
        if beside.is_file():
            return str(beside)
    return shutil.which("caddy")


def site_address(text: str) -> tuple[str, str, int]:
    """(Caddy's site address, host, port) from `tsunagu.town.lg.jp`, `tsunagu.town.lg.jp:8443` or
    `https://localhost:8443`."""
    host_port = text.removeprefix("https://").rstrip("/")
    host, _, port = host_port.partition(":")
    port_number = int(port) if port.isdigit() else 443
    return f"https://{host}:{port_number}", host, port_number


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="start.py", description="つなぐボードを起動します")
    parser.add_argument("--port", type=int, default=8501, help="アプリのポート（既定 8501）")
    parser.add_argument("--address", default=None,
                        help="待ち受けるアドレス（既定: ほかのパソコンからも開ける 0.0.0.0。--https のときは 127.0.0.1）")
    parser.add_argument("--https", metavar="HOST", default=None,
                        help="Caddy を前に置いて https で公開する名前（例 tsunagu.town.lg.jp、試すなら https://localhost:8443）")
    parser.add_argument("--tls", default="internal",
                        help="Caddy の証明書: internal（Caddy の認証局、既定）か「証明書.pem 鍵.pem」（町の証明書）")
    parser.add_argument("--http-port", type=int, default=80, help="Caddy が http を https に転送するポート（既定 80）")
    parser.add_argument("--demo", action="store_true", help="見本の町と見本のユーザーで起動する（試すときだけ）")
    parser.add_argument("--venv", type=Path, default=HERE / ".venv", help="仮想環境の場所（既定 .venv）")
    parser.add_argument("--system-site-packages", action="store_true",
                        help="仮想環境から、このパソコンに入っているパッケージも使う（ネットワークのない所で、先に入れてあるとき）")
    parser.add_argument("--prepare-only", action="store_true", help="仮想環境と必要なものを用意するだけで、起動しない")
    parser.add_argument("--bundle", choices=("windows", "linux", "all"), default=None,
                        help="インターネットのないパソコン用の ZIP を作る（このパソコンはパッケージの置き場につながっていること）")
    parser.add_argument("--bundle-out", type=Path, default=None, help="ZIP を置くフォルダ（既定: このフォルダの一つ上）")
    parser.add_argument("--bundle-python", default=None,
                        help="部品を集める Python の版（既定 3.11,3.12,3.13。例 3.12）")
    args = parser.parse_args(argv)
    if args.bundle:
        return make_bundles(args)

    if sys.version_info < MIN_PYTHON:
        say(f"Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} 以上が必要です（いまは {sys.version.split()[0]}）。"
            "python.org から新しい Python を入れてください。")
        return 2
    python = prepare(args.venv, args.system_site_packages)
    if args.prepare_only:
        say("用意ができました。")
        return 0

    env = dict(os.environ)
    if not args.demo:
        env.setdefault("TSUNAGU_DEMO", "off")       # a real town: never the demo users
    address = args.address or ("127.0.0.1" if args.https else "0.0.0.0")
    caddy = None
    if args.https:
        command = caddy_command()
        if command is None:
            say("Caddy が見つかりません。Windows は caddy.exe をこのフォルダに置き、Linux は `sudo apt install caddy` で入れてください"
                "（README「HTTPS で使う」）。")
            return 2
        site, host, https_port = site_address(args.https)
        env.setdefault("TSUNAGU_TRUSTED_PROXIES", "127.0.0.1")     # Caddy tells the app who is connecting
        caddy_env = {**env, "TSUNAGU_SITE": site, "TSUNAGU_TLS": args.tls, "TSUNAGU_PORT": str(args.port),
                     "TSUNAGU_HTTP_PORT": str(args.http_port)}
        caddy = subprocess.Popen([command, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"], env=caddy_env, cwd=HERE,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, encoding="utf-8", errors="replace")
        threading.Thread(target=relay_caddy, args=(caddy.stdout,), daemon=True).start()
    server = subprocess.Popen([str(python), "-m", "streamlit", "run", str(HERE / "serve.py"),
                               "--server.port", str(args.port), "--server.address", address,
                               "--server.headless", "true", "--browser.gatherUsageStats", "false"], env=env, cwd=HERE)

    def stop(*_):
        for process in (server, caddy):
            if process is not None and process.poll() is None:
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        if not wait_healthy(args.port, server):
            say("起動できませんでした（上のメッセージを見てください）。")
            stop()
            return 1
        shown = addresses(https_port, host=host) if args.https else addresses(args.port)
        say("起動しました。ブラウザで次のアドレスを開いてください: " + " または ".join(shown))
        say("止めるときは、この画面で Ctrl+C を押します。")
        while server.poll() is None:
            if caddy is not None and caddy.poll() is not None:
                say("Caddy（https）が止まりました。上のメッセージを見てください。")
                stop()
                break
            time.sleep(1)
    except KeyboardInterrupt:
        say("止めています…")
    finally:
        stop()
        for process in (server, caddy):
            if process is not None:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
    return 0 if server.returncode in (0, -signal.SIGTERM, None) else server.returncode


def make_bundles(args) -> int:
    """--bundle: the ZIP(s) for a PC with no network (deploy/bundle.py), with their size and time."""
    from deploy import bundle
    pythons = tuple(args.bundle_python.split(",")) if args.bundle_python else bundle.PYTHONS
    for target in (("windows", "linux") if args.bundle == "all" else (args.bundle,)):
        say(f"{target} 用の ZIP を作っています（Python {'・'.join(pythons)} の部品を集めます）…")
        started = time.monotonic()
        try:
            path = bundle.build(target, args.bundle_out, pythons)
        except bundle.BundleError as e:
            say(str(e))
            return 1
        say(f"できました: {path}（{path.stat().st_size / 1e6:.0f} MB、{time.monotonic() - started:.0f} 秒）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
