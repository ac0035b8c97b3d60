"""Docs that are tested: README's set-up commands and sheet guide follow the code."""
import re

from lib.workbook import schema
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_gives_exactly_two_setup_commands():
    section = README.split("## はじめかた", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    commands = [line.split("#")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_sheet_guide_is_made_from_the_schema():
    assert schema.readme_guide() in README


def test_sheet_guide_lists_every_tab_and_column():
    guide = README.split("## シートの書き方", 1)[1]
    for tab in schema.TABS:
        section = guide.split(f"### {tab.name}", 1)[1].split("\n### ", 1)[0]
        for column in tab.column_names:
            assert f"| {column} |" in section, (tab.name, column)


def test_no_secrets_file_is_committed():
    assert not (ROOT / ".streamlit" / "secrets.toml").exists() or ".streamlit/secrets.toml" in (
        ROOT / ".gitignore").read_text()
    assert (ROOT / ".streamlit" / "secrets.toml.example").exists()


def test_readme_settings_table_is_the_settings_table_in_code():
    from lib import settings
    assert settings.readme_table() in README


def test_no_setting_is_read_outside_lib_settings():
    """Only lib/settings.py names TSUNAGU_* variables in code that reads them (os.environ / env.get)."""
    offenders = []
    for path in [ROOT / "app.py", *(ROOT / "screens").glob("*.py"), *(ROOT / "lib").rglob("*.py")]:
        if path.name == "settings.py":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"(environ|env)(\.get)?[\[(]\s*[\"']TSUNAGU_", line):
                offenders.append(f"{path.name}: {line.strip()}")
    assert offenders == []


def test_every_setting_is_read_through_its_name():
    from lib import settings
    code = "\n".join(p.read_text(encoding="utf-8") for p in [*(ROOT / "lib").rglob("*.py"), *(ROOT / "screens").glob("*.py")]
                     if p.name != "settings.py")
    own = (ROOT / "lib" / "settings.py").read_text(encoding="utf-8")     # the folders are settled in lib/settings.py
    unused = [s.name for s in settings.SETTINGS if f'"{s.name}"' not in code and f'configured("{s.name}"' not in own]
    assert unused == []
