"""Shared fixtures: the bad-input workbook, a fake Sheets server, a clean app store."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import make_bad_workbook  # noqa: E402
from tests.fake_sheets import FakeSheets  # noqa: E402

SAMPLE = ROOT / "sample_data" / "midori_town.xlsx"
# A spreadsheet key as Google makes them (44 characters):
SHEET_KEY = "1TsunaguFakeKey0123456789abcdefghijklmnopqrs"


@pytest.fixture(scope="session")
def bad_workbook(tmp_path_factory) -> Path:
    return make_bad_workbook.build(tmp_path_factory.mktemp("bad") / "bad_workbook.xlsx")


@pytest.fixture(scope="session")
def sample_raw():
    from lib.workbook.sources import read_excel
    return read_excel(SAMPLE)


@pytest.fixture
def writable_town(tmp_path, monkeypatch) -> Path:
    """A copy of the sample town the app opens and writes (its backups beside it)."""
    import shutil
    path = tmp_path / "town.xlsx"
    shutil.copy(SAMPLE, path)
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(path))
    monkeypatch.setenv("TSUNAGU_BACKUP_DIR", str(tmp_path / "backups"))
    return path


@pytest.fixture
def fake_sheets(sample_raw):
    """A fake Sheets API serving the sample town under SHEET_KEY; yields (server, root URL)."""
    fake = FakeSheets({SHEET_KEY: sample_raw})
    root = fake.start()
    yield fake, root
    fake.stop()


@pytest.fixture
def sheets_env(fake_sheets, monkeypatch):
    """Environment that points the app at the fake server (anonymous credentials on loopback)."""
    fake, root = fake_sheets
    monkeypatch.setenv("TSUNAGU_WORKBOOK", f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit#gid=0")
    monkeypatch.setenv("TSUNAGU_SHEETS_API_ROOT", root)
    monkeypatch.setattr("lib.workbook.sheets.RETRY_BASE_DELAY", 0.05)
    return fake


# Demo users' passwords, as README lists them (demo only):
DEMO_PASSWORDS = {"admin": "tsunagu-admin-demo", "kyodo": "tsunagu-kyodo-demo", "houkatsu": "tsunagu-houkatsu-demo",
                  "kyotaku": "tsunagu-kyotaku-demo", "eturan": "tsunagu-eturan-demo"}
from bench.server import TEST_COOKIE_KEY  # noqa: E402,F401 - one key for tests and benchmarks


@pytest.fixture(autouse=True)
def signed_in_setup(monkeypatch, tmp_path):
    """Every test runs with the demo users file, a real-length cookie key and its own audit folder."""
    from lib.access.users import DEMO_USERS_FILE
    monkeypatch.setenv("TSUNAGU_USERS_FILE", str(DEMO_USERS_FILE))
    monkeypatch.setenv("TSUNAGU_COOKIE_KEY", TEST_COOKIE_KEY)
    monkeypatch.setenv("TSUNAGU_AUDIT_DIR", str(tmp_path / "audit"))
    # AppTest has no browser that must store the sign-in cookie first (a real browser still waits:
    # the browser tests run the app in its own process):
    monkeypatch.setattr("lib.ui.signin.SIGN_IN_SETTLE_SECONDS", 0.0)
    return tmp_path / "audit"


# The test run's PostgreSQL URL once started (tests that make a database of their own read it here):
_postgres_server: list[str] = []


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server of the test run's own (Debian's package, started in /tmp)."""
    from tests.servers import Postgres
    server = Postgres()
    _postgres_server.append(server.start())
    yield _postgres_server[0]
    server.stop()
