"""Safety checks across the code: every HTML block goes through the escape helper, exports are
formula-safe, and no secret reaches a log."""
import ast
import datetime as dt

import pandas as pd

from lib import ui
from tests.conftest import ROOT

# What may be handed to st.markdown(..., unsafe_allow_html=True): constant CSS, or a helper that
# escapes every sheet value it puts into the HTML (tested below with hostile values).
SAFE_HTML = {"PROJECTION_CSS", "CARD_CSS", "card_html", "household_summary_html"}


def html_call_sites():
    for path in [*(ROOT / "screens").glob("*.py"), *(ROOT / "lib" / "ui").glob("*.py"), ROOT / "app.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and any(k.arg == "unsafe_allow_html" for k in node.keywords):
                yield path.name, node


def name_of(node):
    if isinstance(node, ast.Call):
        node = node.func
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", None)


def test_every_unsafe_html_block_goes_through_the_escape_helpers():
    sites = list(html_call_sites())
    assert len(sites) >= 5
    unsafe = [(f, node.lineno, ast.unparse(node.args[0])) for f, node in sites if name_of(node.args[0]) not in SAFE_HTML]
    assert unsafe == []


def test_no_page_uses_components_html_or_st_html_with_sheet_values():
    for path in (ROOT / "screens").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "components.html" not in text and "st.html(" not in text, path.name


def test_household_summary_escapes_every_value():
    from lib.casework.household import Detail
    hostile = "<img src=x onerror=alert(1)>"
    detail = Detail(household={"世帯ID": hostile, "表示名": hostile, "段階": hostile, "同意": hostile, "地区": hostile,
                               "主担当機関": hostile, "担当者": hostile, "受付日": pd.Timestamp(2025, 4, 1),
                               "次回見直し日": pd.NaT, "紹介元": hostile, "終結日": pd.NaT, "備考": hostile,
                               "課題": [hostile], "緊急度": hostile},
                    track="支援会議", last_contact=dt.date(2026, 1, 1), complex=True, members=pd.DataFrame(),
                    genogram="", ecomap="", plan=pd.DataFrame(), contacts=pd.DataFrame(), meetings=pd.DataFrame(), problems=[])
    html = ui.household_summary_html(detail)
    assert "<img" not in html and "&lt;img src&#61;x onerror&#61;alert&#40;1&#41;&gt;" in html


def test_every_download_is_formula_safe_and_audited():
    for path in (ROOT / "screens").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "st.download_button" not in text, f"{path.name}: use ui.audited_download"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and name_of(node) == "audited_download":
                builder = node.args[1]          # a lambda: the file is built only when someone asks
                assert isinstance(builder, ast.Lambda), path.name
                producer = name_of(builder.body)
                # exports neutralise formulas; the blank workbook holds no sheet value and neutralises its text too
                assert producer in ("to_xlsx", "to_pdf", "blank"), (path.name, producer)


def test_no_secret_reaches_the_audit_log_or_the_page(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    from tests.conftest import DEMO_PASSWORDS, TEST_COOKIE_KEY
    from tests.test_pages import APP, rendered_text, sign_in
    monkeypatch.setenv("TSUNAGU_AUDIT_DIR", str(tmp_path))
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "admin")
    at.switch_page("screens/help.py").run()
    logged = "".join(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.jsonl"))
    assert "sign_in" in logged
    shown = rendered_text(at)
    for secret in (DEMO_PASSWORDS["admin"], TEST_COOKIE_KEY):
        assert secret not in logged and secret not in shown
