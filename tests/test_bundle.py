"""Installs on an LGWAN PC that has no internet (issue 39): the bundle made from this checkout by
README's command, unzipped into a fresh folder, started by start.py with the network really cut
(`unshare -n`: a network namespace with only its own loopback) until the sign-in page answers in
Chromium; a damaged or missing wheel refused by its sum with nothing installed; and for the Windows
bundle, pip's resolver finds every requirement in its wheels for each supported Python."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from deploy import bundle
from tests.conftest import ROOT
from tests.servers import free_port

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"


def _reach_the_index(folder: Path) -> None:
    """Skip (saying why) only where this machine cannot reach the package index at all."""
    done = subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "pip", "-d", str(folder)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip("この機械はパッケージの置き場（PyPI）につながらないため、バンドルを作れません: " + done.stderr[-300:])


def make(target: str, out: Path, *pythons: str) -> Path:
    """README's command (start.py --bundle), from this checkout."""
    command = [sys.executable, "start.py", "--bundle", target, "--bundle-out", str(out)]
    if pythons:
        command += ["--bundle-python", ",".join(pythons)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (path,) = out.glob(f"tsunagu-board-*-{bundle.PLATFORMS[target][0]}.zip")
    return path


def unzip(path: Path, into: Path) -> Path:
    with zipfile.ZipFile(path) as z:
        z.extractall(into)
    (folder,) = into.iterdir()
    return folder


@pytest.fixture(scope="module")
def linux_zip(tmp_path_factory) -> Path:
    """The Linux bundle for the Python running the tests (the full one has 3.11–3.13: make bundle)."""
    out = tmp_path_factory.mktemp("dist")
    _reach_the_index(tmp_path_factory.mktemp("probe"))
    return make("linux", out, RUNNING)


def test_the_bundle_holds_the_app_the_wheels_their_sums_and_the_guide(linux_zip):
    with zipfile.ZipFile(linux_zip) as z:
        names = z.namelist()
        top = names[0].split("/")[0]
        inside = {n.removeprefix(top + "/") for n in names}
        guide = z.read(f"{top}/{bundle.GUIDE}").decode("utf-8-sig")
        sums = z.read(f"{top}/{bundle.SUMS}").decode("utf-8").splitlines()
    assert {"app.py", "start.py", "start_tsunagu.bat", "requirements.txt", "README.md", "deploy/bundle.py",
            ".streamlit/config.toml", "sample_data/midori_town.xlsx"} <= inside
    assert not any(n.startswith(("tests/", "bench/", ".ci/")) for n in inside)            # the office PC runs the app
    wheels = sorted(n for n in inside if n.startswith("wheels/") and n != "wheels/")
    assert wheels and all(n.endswith(".whl") for n in wheels)                            # never an sdist
    assert sorted(line.split("  ", 1)[1] for line in sums) == wheels
    assert "持ち込むもの" in guide and "Python 3.11 以上" in guide and "\r\n" in guide


def _cut_off(script: str, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run a shell script in a network namespace of its own: no interface but its loopback."""
    return subprocess.run(["unshare", "-n", "bash", "-c", "ip link set lo up\n" + script], capture_output=True,
                          text=True, timeout=timeout)


PROBE = """
import sys, time, urllib.request
from playwright.sync_api import sync_playwright
port = sys.argv[1]
for _ in range(600):
    try:
        if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).status == 200:
            break
    except OSError:
        time.sleep(0.5)
else:
    sys.exit("the server never answered")
try:
    urllib.request.urlopen("https://pypi.org/simple/", timeout=3)
    sys.exit("the network was not cut")
except OSError:
    pass
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"])
    page = browser.new_page()
    page.goto(f"http://127.0.0.1:{port}/")
    page.get_by_role("button", name="サインイン").wait_for(timeout=60_000)
    print("SIGN-IN PAGE")
    browser.close()
"""


def test_started_with_the_network_cut_it_installs_from_its_wheels_and_the_sign_in_page_answers(linux_zip, tmp_path):
    folder = unzip(linux_zip, tmp_path / "office")
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE, encoding="utf-8")
    port = free_port()
    done = _cut_off(f"""
cd "{folder}"
"{sys.executable}" start.py --demo --port {port} > start.log 2>&1 &
"{sys.executable}" "{probe}" {port}
status=$?
kill %1; wait
exit $status
""")
    log = (folder / "start.log").read_text(encoding="utf-8", errors="replace")
    assert done.returncode == 0 and "SIGN-IN PAGE" in done.stdout, done.stdout + done.stderr + log
    assert "wheels フォルダから入れています（インターネットは使いません" in log
    assert (folder / ".venv" / start_stamp()).read_text(encoding="utf-8").strip() == requirements_hash(folder)


def start_stamp() -> str:
    import start
    return start.STAMP


def requirements_hash(folder: Path) -> str:
    import hashlib
    return hashlib.sha256((folder / "requirements.txt").read_bytes()).hexdigest()


@pytest.mark.parametrize("harm, words", [
    ("damaged", "壊れているファイル: wheels/"),
    ("missing", "足りないファイル: wheels/"),
])
def test_a_damaged_or_missing_wheel_is_named_and_nothing_is_installed(linux_zip, tmp_path, harm, words):
    folder = unzip(linux_zip, tmp_path / "office")
    wheel = sorted((folder / "wheels").glob("*.whl"))[len(list((folder / "wheels").glob("*.whl"))) // 2]
    if harm == "damaged":
        data = bytearray(wheel.read_bytes())
        data[len(data) // 2] ^= 0x01                      # one byte changed on the way in
        wheel.write_bytes(bytes(data))
    else:
        wheel.unlink()
    done = _cut_off(f'cd "{folder}" && "{sys.executable}" start.py --prepare-only', timeout=120)
    said = done.stdout + done.stderr
    assert done.returncode != 0 and f"{words}{wheel.name}" in said, said
    assert "ZIP ファイルをもう一度持ち込み" in said
    assert not (folder / ".venv").exists()                # checked before anything was made or installed


@pytest.fixture(scope="module")
def windows_zip(tmp_path_factory) -> Path:
    _reach_the_index(tmp_path_factory.mktemp("probe"))
    return make("windows", tmp_path_factory.mktemp("dist"))


@pytest.mark.parametrize("python", bundle.PYTHONS)
def test_the_windows_bundle_has_every_requirement_for_each_supported_python(windows_zip, tmp_path, python):
    """pip's resolver, offline, for win_amd64 and this Python: every requirement found in wheels/
    (a recent pip: older ones check Requires-Python against the running interpreter here)."""
    folder = unzip(windows_zip, tmp_path / "office")
    pip = tmp_path / "pip"
    _reach_the_index(pip)
    (wheel,) = pip.glob("pip-*.whl")
    report = tmp_path / "report.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")} | {"PIP_CONFIG_FILE": os.devnull}
    done = subprocess.run([sys.executable, str(wheel / "pip"), "install", "-q", "--dry-run", "--target", str(tmp_path / "t"),
                           "--report", str(report), "--platform", "win_amd64", "--python-version", python,
                           "--implementation", "cp", "--only-binary=:all:", "--no-index", "--find-links",
                           str(folder / "wheels"), "-r", str(folder / "requirements.txt")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    found = {i["metadata"]["name"].lower().replace("_", "-") for i in json.loads(report.read_text())["install"]}
    wanted = {line.split("==")[0].split("[")[0].strip().lower().replace("_", "-")
              for line in (folder / "requirements.txt").read_text(encoding="utf-8").splitlines()
              if line.strip() and not line.startswith("#")}
    assert wanted <= found, wanted - found
    assert all(i["download_info"]["url"].startswith("file:") for i in json.loads(report.read_text())["install"])
    shutil.rmtree(folder)
