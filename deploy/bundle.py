"""A bundle that installs つなぐボード on a PC with no internet (an LGWAN PC of a town's 三層分離 network):
the app's files, every requirement and dependency as a wheel for each supported Python, their SHA-256
sums, and what to bring in, in Japanese. Made on any machine that reaches the package index:

    python start.py --bundle windows        (or linux; make bundle makes both)

On the office PC, start.py finds `wheels/` beside it, checks the sums and installs from there only
(`pip install --no-index --find-links wheels`), never touching the network. Standard library only, like
start.py (it runs before anything is installed).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
WHEELS = "wheels"
SUMS = "SHA256SUMS"
GUIDE = "はじめにお読みください（持ち込みの手順）.txt"
# The Python versions README supports (python.org installers), each with its own binary wheels:
PYTHONS = ("3.11", "3.12", "3.13")
# pip's platform tags per bundle (manylinux: the tags today's Linux wheels carry, newest first):
PLATFORMS = {
    "windows": ("windows-x64", ("win_amd64",)),
    "linux": ("linux-x64", ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")),
}
# What of the checkout goes into a bundle (tests and benchmarks stay out: the office PC only runs the app):
LEFT_OUT = ("tests/", "bench/", ".ci/", ".benchmarks/")


class BundleError(Exception):
    """The bundle could not be made (said in Japanese)."""


def version() -> str:
    """The bundle's version: the date and commit of the checkout (git), else today's date."""
    try:
        out = subprocess.run(["git", "-C", str(HERE), "log", "-1", "--format=%cs %h"], capture_output=True, text=True,
                             check=True).stdout.split()
        return f"{out[0].replace('-', '')}-{out[1]}"
    except (OSError, subprocess.CalledProcessError, IndexError):
        return dt.date.today().strftime("%Y%m%d")


def app_files() -> list[str]:
    """The app's files as the checkout tracks them (relative, '/'-separated), tests and benchmarks left out."""
    try:
        listed = subprocess.run(["git", "-C", str(HERE), "ls-files", "-z"], capture_output=True, check=True).stdout
        names = [n.decode("utf-8") for n in listed.split(b"\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = [p.relative_to(HERE).as_posix() for p in HERE.rglob("*")
                 if p.is_file() and not any(part.startswith(".") or part in ("__pycache__", WHEELS)
                                            for part in p.relative_to(HERE).parts[:-1])]
    return sorted(n for n in names if not n.startswith(LEFT_OUT) and (HERE / n).is_file())


def download(target: str, folder: Path, pythons=PYTHONS) -> list[Path]:
    """Every requirement and dependency as a wheel (never an sdist: nothing compiles on the office PC)
    for `target`'s platform and each Python version, into `folder`."""
    _, tags = PLATFORMS[target]
    folder.mkdir(parents=True, exist_ok=True)
    for python in pythons:
        command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q",
                   "-r", str(HERE / "requirements.txt"), "--only-binary=:all:",
                   "--implementation", "cp", "--python-version", python, "-d", str(folder)]
        for tag in tags:
            command += ["--platform", tag]
        done = subprocess.run(command)
        if done.returncode != 0:
            raise BundleError(f"Python {python}（{target}）用の部品を集められませんでした。"
                              "パッケージの置き場（PyPI）につながるパソコンで、もう一度実行してください。")
    return sorted(folder.glob("*.whl"))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sums_text(wheels: list[Path]) -> str:
    """SHA256SUMS as sha256sum writes it, one `<hex>  wheels/<name>` line a wheel (so that
    `sha256sum -c SHA256SUMS` in the bundle's folder checks them by hand too)."""
    return "".join(f"{sha256(w)}  {WHEELS}/{w.name}\n" for w in wheels)


def guide(target: str, name: str, size_mb: float) -> str:
    """What to bring in through the 無害化 transfer, and in which order (Japanese, CRLF for メモ帳)."""
    python = "python-3.12.x-amd64.exe（python.org の「Windows installer (64-bit)」）" if target == "windows" else \
        "Python 3.11 以上（Debian/Ubuntu なら python3 と python3-venv のパッケージ）"
    start = "start_tsunagu.bat をダブルクリック" if target == "windows" else "python3 start.py"
    lines = [
        f"つなぐボード {name}（約{size_mb:.0f} MB）",
        "",
        "インターネットのないパソコン（LGWAN 側など）に、つなぐボードを入れるためのファイル一式です。",
        "中の wheels フォルダに、動かすのに必要な部品がすべて入っています。起動のときにインターネットは使いません。",
        "",
        "■ 持ち込むもの（無害化の仕組みで、この順に）",
        f"  1. {python}",
        f"  2. この ZIP ファイル（{name}.zip）",
        "  3. https で使うときだけ: caddy.exe（https://caddyserver.com/download の Windows amd64 版）" if target == "windows"
        else "  3. https で使うときだけ: Caddy（Debian/Ubuntu の caddy パッケージ）",
        "",
        "■ 入れ方",
        "  1. Python を入れます（Windows は最初の画面で「Add python.exe to PATH」にチェックを入れて「Install Now」）。",
        "  2. ZIP を、例えば C:\\tsunagu-board に展開します（フォルダの中に start.py と wheels があること）。",
        "     caddy.exe を持ち込んだときは、同じフォルダに置きます。",
        f"  3. {start}。初めては、wheels から部品を入れるので数分かかります。",
        "     SHA256SUMS で部品が壊れていないか確かめてから入れます。壊れた・足りないファイルがあると、その名前を出して止まります",
        "     （そのときは ZIP をもう一度持ち込み、展開し直してください）。",
        "  4. あとは README.md の「町のパソコンで動かす」の 3. からと同じです（初期設定コード、最初の管理者）。",
        "",
        "■ 新しい版にするとき",
        "  つなぐボードを止め、新しい版の ZIP を同じフォルダに上書きで展開して起動します。",
        "  状態フォルダ（つなぐボード_監査ログ）・設定・.venv はそのまま残り、部品が変わったときだけ入れ直します。",
    ]
    return "\r\n".join(lines) + "\r\n"


def build(target: str, out: Path | None = None, pythons=PYTHONS) -> Path:
    """tsunagu-board-<version>-<platform>.zip in `out` (default: this folder's parent): the app's files,
    wheels/ for every supported Python, SHA256SUMS and the guide. Returns the ZIP's path."""
    if target not in PLATFORMS:
        raise BundleError(f"--bundle には {' か '.join(PLATFORMS)} を指定してください")
    platform, _ = PLATFORMS[target]
    release = version()
    name = f"tsunagu-board-{release}-{platform}"
    out = Path(out or HERE.parent)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        found = download(target, Path(scratch) / WHEELS, pythons)
        if not found:
            raise BundleError("部品（wheel）が1つも集まりませんでした。")
        size = sum(w.stat().st_size for w in found) / 1e6
        path = out / f"{name}.zip"
        temp = path.with_suffix(".zip.part")
        with zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as bundle:
            for relative in app_files():
                bundle.write(HERE / relative, f"{name}/{relative}")
            bundle.writestr(f"{name}/{GUIDE}", guide(target, name, size).encode("utf-8-sig"))
            bundle.writestr(f"{name}/{SUMS}", sums_text(found))
            bundle.writestr(f"{name}/VERSION", release + "\n")
            for wheel in found:            # (wheels are zip files already: stored, not compressed again)
                bundle.write(wheel, f"{name}/{WHEELS}/{wheel.name}", compress_type=zipfile.ZIP_STORED)
        temp.replace(path)
    return path


# ---------------------------------------------------------------- on the office PC (start.py)

def check_sums(folder: Path) -> list[str]:
    """What is wrong with a bundle's wheels, as the SHA256SUMS beside them says (empty: all good):
    one Japanese line per damaged or missing file."""
    listed = folder / SUMS
    if not listed.is_file():
        return [f"{SUMS} がありません（ZIP をもう一度展開してください）"]
    problems = []
    for line in listed.read_text(encoding="utf-8").splitlines():
        wanted, _, name = line.strip().partition("  ")
        if not name:
            continue
        path = folder / name
        if not path.is_file():
            problems.append(f"足りないファイル: {name}")
        elif sha256(path) != wanted:
            problems.append(f"壊れているファイル: {name}（持ち込みの途中で中身が変わっています）")
    return problems
