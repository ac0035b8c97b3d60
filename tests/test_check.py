"""`python -m lib.workbook.check`: the same report as データ点検, with exit codes a town can script."""
import json
import subprocess
import sys

from tests.conftest import ROOT, SAMPLE, SHEET_KEY


def run_check(*args, env=None):
    import os
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TSUNAGU_")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "lib.workbook.check", *map(str, args)], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=120)


def test_sample_town_passes():
    result = run_check(SAMPLE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "Excel: midori_town.xlsx: エラー 0件・注意 0件・情報 0件（表示できない行 0行）"


def test_bad_workbook_fails_and_lists_every_problem(bad_workbook):
    result = run_check(bad_workbook)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Excel: bad_workbook.xlsx: エラー 18件・注意 8件・情報 3件（表示できない行 12行）"
    assert "  エラー: 8行目 同意 「有」 — 次のどれかを入れてください: あり／なし／不明。この行は表示できません" in lines
    assert sum(1 for line in lines if line.startswith("  ")) == 29


def test_json_output_has_the_documented_keys(bad_workbook):
    result = run_check(bad_workbook, "--json")
    assert result.returncode == 1
    problems = json.loads(result.stdout)
    assert len(problems) == 29
    assert all(list(p) == ["tab", "row", "column", "value", "severity", "message"] for p in problems)
    assert problems[2] == {"tab": "世帯", "row": 5, "column": "受付日", "value": "2025/13/40", "severity": "error",
                           "message": "2025/13/40 という日はありません（月・日を確かめてください）。この行は表示できません"}


def test_unreadable_source_exits_2_with_advice(tmp_path):
    result = run_check(tmp_path / "none.xlsx")
    assert result.returncode == 2
    assert "ファイルが見つかりません" in result.stderr and "共有フォルダ" in result.stderr


def test_check_reads_google_sheets_through_the_api_root(fake_sheets):
    fake, root = fake_sheets
    result = run_check(f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit", "--json",
                       env={"TSUNAGU_SHEETS_API_ROOT": root})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
    assert (fake.count("metadata"), fake.count("batchGet")) == (1, 1)
