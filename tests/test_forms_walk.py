"""Every form saves against what its person saw (issue: nothing typed is ever lost, a colleague's save
is never overwritten). Two people on one workbook, each in their own Streamlit session: B opens the
form, A saves a change to what B's form was drawn from, then B saves. B's save must write nothing,
say what changed (and who), show the sheet as it is now, and keep everything B typed; the workbook
cells stay as A left them. Records that depend on nothing (経過記録) land for both.

Walked on the Excel file and on Google Sheets (real gspread over HTTP to the fake Sheets API)."""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from typing import Callable

import pytest

from lib.workbook import sources
from lib.workbook.validate import validate
from tests.conftest import SAMPLE, SHEET_KEY
from tests.fake_sheets import FakeSheets
from tests.test_pages import open_page

TODAY = dt.date(2026, 11, 24)
HID = "H-004"
REFUSED = "この画面を開いた後に、シートで次のところが変わっています"


@pytest.fixture(params=["excel", "sheets"])
def backend(request, tmp_path, monkeypatch, sample_raw):
    monkeypatch.setenv("TSUNAGU_TODAY", TODAY.isoformat())
    if request.param == "excel":
        path = tmp_path / "town.xlsx"
        shutil.copy(SAMPLE, path)
        monkeypatch.setenv("TSUNAGU_WORKBOOK", str(path))
        monkeypatch.setenv("TSUNAGU_BACKUP_DIR", str(tmp_path / "backups"))
        yield request.param
        return
    fake = FakeSheets({SHEET_KEY: {t: [list(r) for r in rows] for t, rows in sample_raw.items()}})
    root = fake.start()
    monkeypatch.setenv("TSUNAGU_WORKBOOK", f"https://docs.google.com/spreadsheets/d/{SHEET_KEY}/edit#gid=0")
    monkeypatch.setenv("TSUNAGU_SHEETS_API_ROOT", root)
    monkeypatch.setenv("TSUNAGU_STATE_DIR", str(tmp_path / "state"))
    yield request.param
    fake.stop()


def workbook():
    """The workbook as a fresh read gives it now (the file, or the fake spreadsheet)."""
    return validate(sources.read_raw(sources.resolve())[0])


def press(at, label):
    next(b for b in at.button if b.label == label).click()
    return at.run()


def said(at, kind="error"):
    return "\n".join(str(e.value) for e in getattr(at, kind))


# ---------------------------------------------------------------- the forms, as a person fills them

def stage(at, new, reason=""):
    at.selectbox(key=f"entry_stage_{HID}_stage").select(new)
    at.text_area(key=f"entry_stage_{HID}_reason").input(reason)
    return press(at, "段階を保存")


def consent(at, value, scope=None):
    at.radio(key=f"entry_consent_{HID}_value").set_value(value)
    if scope:
        at.selectbox(key=f"entry_consent_{HID}_scope").select(scope)
    at.text_input(key=f"entry_consent_{HID}_note").input(f"{value}の記録")
    return press(at, "同意を保存")


def plan_cell(at, column, value):
    at.session_state[f"entry_plan_{HID}_A氏"] = {"edited_rows": {0: {column: value}}, "added_rows": [], "deleted_rows": []}
    return press(at, "プランを保存")


def closure(at):
    prefix = f"entry_close_{HID}"
    goals = sorted((s.key for s in at.selectbox if s.key.startswith(f"{prefix}_achieved_")), key=lambda k: int(k.rsplit("_", 1)[1]))
    for key in goals[:-1]:                        # each goal of the plan (the last line is for another goal)
        at.selectbox(key=key).select("達成")
    at.text_input(key=f"{prefix}_change_0").input("毎日通院している")
    at.text_area(key=f"{prefix}_reason").input("目標を達成した")
    return press(at, "終結を保存")


def pick_matching(at, ctx):
    at.selectbox(key=f"entry_match_pick_{HID}").set_value(ctx["mid"]).run()


def matching_step(at, mid, step, reason=""):
    prefix = f"entry_match_{mid}"
    at.selectbox(key=f"{prefix}_step").select(step)
    at.text_area(key=f"{prefix}_note").input(f"{step}のときの様子")
    at.text_input(key=f"{prefix}_reason").input(reason)
    return press(at, "段階を記録")


def pick_person(at, ctx):
    at.selectbox(key="outreach_pick").set_value(ctx["person"]).run()


def outreach_intake(at, person_id, name):
    at.text_input(key=f"entry_outreach_intake_{person_id}_name").input(name)
    return press(at, "相談受付へ進む")


def outreach_contact(at, person_id, text, state):
    prefix = f"entry_outreach_{person_id}"
    at.selectbox(key=f"{prefix}_method").select("訪問")
    at.selectbox(key=f"{prefix}_state").select(state)
    at.text_area(key=f"{prefix}_text").input(text)
    return press(at, "接触を記録")


def _outreach_contact_holds(after, before, at, ctx):
    rows = after["アウトリーチ"]
    new = rows.iloc[len(before["アウトリーチ"]):]
    assert list(new["内容"]) == ["Aが会えた"] and list(new["状態"]) == ["見守り"]
    assert at.text_area(key=f"entry_outreach_{ctx['person']}_text").value == "Bも会えた"


def contact(at, text):
    at.selectbox(key=f"entry_contact_{HID}_method").select("電話")
    at.text_area(key=f"entry_contact_{HID}_text").input(text)
    return press(at, "経過記録を保存")


def operator(at):
    """The 重層的支援会議's operator view; its first household."""
    at.selectbox(key="meeting_kind").set_value("重層的支援会議").run()
    at.radio(key="meeting_view").set_value("進行（操作）").run()
    return next(t.key for t in at.text_area if t.key.startswith("decide_text_")).removeprefix("decide_text_")


def decide(at, hid, text):
    at.text_area(key=f"decide_text_{hid}").input(text)
    at.button(key=f"save_decision_{hid}").click()
    return at.run()


# ---------------------------------------------------------------- the walk

@dataclass
class Walk:
    """One form: how B's page opens and B fills it, what A saves meanwhile, and what must hold after."""

    name: str
    id: str                             # (for pytest -k)
    open: Callable                      # () → an AppTest with the form drawn (B's, then A's)
    colleague: Callable                 # (A's AppTest, context) → A's save
    mine: Callable                      # (B's AppTest, context) → B's save
    holds: Callable                     # (workbook after, workbook before, B's AppTest, context) → None
    prepare: Callable = lambda: {}      # → context (a matching to step …), made before either opens
    open_colleague: Callable | None = None   # A's page, when A saves with another form
    choose: Callable = lambda at, ctx: None     # what each does on the page before typing (a matching picked …)
    who: str = ""                       # who the refusal names as having changed it


def household(tab):
    return lambda: open_page("screens/household.py", id=HID, entry_tab=tab)


def _new_matching():
    from lib.casework import participation
    config = sources.resolve()
    plan, mid = participation.start(sources.load(config).workbook, HID, target="B氏", resource="北部農園しごと体験",
                                    day="R8.11.1", note="", agency=None, by="森田", today=TODAY)
    sources.write(config, sources.load(config), plan)
    return {"mid": mid}


def _person():
    from lib.casework import outreach
    return {"person": next(p.id for p in outreach.of_workbook(workbook()) if p.name == "東部 70代男性")}


def _household_row(after):
    return after["世帯"].set_index("世帯ID").loc[HID]


def _stage_holds(after, before, at, ctx):
    assert _household_row(after)["段階"] == "中断"
    new = after["段階履歴"].iloc[len(before["段階履歴"]):]
    assert list(new["新段階"]) == ["中断"]                                 # A's row only


def _consent_holds(after, before, at, ctx):
    assert _household_row(after)["同意"] == "なし"
    assert list(after["同意記録"].iloc[len(before["同意記録"]):]["同意"]) == ["撤回"]
    assert at.text_input(key=f"entry_consent_{HID}_note").value == "ありの記録"


def _plan_holds(after, before, at, ctx):
    plans = after["支援プラン"]
    first = plans[(plans["世帯ID"] == HID) & (plans["対象"] == "A氏")].iloc[0]
    assert first["取組事項"] == "Aが書いた取組" and first["状況"] != "中止"


def _closure_holds(after, before, at, ctx):
    assert _household_row(after)["段階"] == "見守り"
    assert len(after["評価"]) == len(before["評価"])
    assert at.text_area(key=f"entry_close_{HID}_reason").value == "目標を達成した"


def _matching_holds(after, before, at, ctx):
    rows = after["参加支援"]
    assert list(rows[rows["マッチングID"] == ctx["mid"]]["段階"]) == ["打診", "中断"]
    assert f"このマッチングは" in said(at, "warning")                    # and the form stays, with what was typed
    assert at.text_area(key=f"entry_match_{ctx['mid']}_note").value == "見学のときの様子"


def _intake_holds(after, before, at, ctx):
    assert len(after["世帯"]) == len(before["世帯"]) + 1                 # one 世帯, never two
    assert after["世帯"].iloc[-1]["表示名"] == "Aが受け付けた世帯"
    assert "この人の記録は" in said(at, "warning")
    assert at.text_input(key=f"entry_outreach_intake_{ctx['person']}_name").value == "Bが受け付けた世帯"


def _meeting_holds(after, before, at, ctx):
    meeting = after["会議"].iloc[-1]
    assert meeting["決定事項"] == f"{ctx['hid']}: Aの決定"
    assert at.text_area(key=f"decide_text_{ctx['hid']}").value == "Bの決定"


WALKS = [
    Walk("段階", "stage", household("段階を動かす"), lambda a, c: stage(a, "中断", "連絡が途絶えた"),
         lambda b, c: stage(b, "見守り", "様子を見る"), _stage_holds, who="admin さんが"),
    Walk("同意", "consent", household("同意を記録"), lambda a, c: consent(a, "撤回"),
         lambda b, c: consent(b, "あり", "両方"), _consent_holds, who="admin さんが"),
    Walk("支援プラン", "plan", household("支援プランを編集"), lambda a, c: plan_cell(a, "取組事項", "Aが書いた取組"),
         lambda b, c: plan_cell(b, "状況", "中止"), _plan_holds, who="admin さんが"),
    Walk("終結と評価", "closure", household("終結と評価"), lambda a, c: stage(a, "見守り", "様子を見る"), lambda b, c: closure(b),
         _closure_holds, open_colleague=household("段階を動かす"), who="admin さんが"),
    Walk("参加支援", "participation", household("参加支援"), lambda a, c: matching_step(a, c["mid"], "中断", "本人が辞退"),
         lambda b, c: matching_step(b, c["mid"], "見学"), _matching_holds, _new_matching, choose=pick_matching,
         who="管理者（見本）"),
    Walk("アウトリーチ→相談受付", "outreach_intake", lambda: open_page("screens/outreach.py", user="kyodo"),
         lambda a, c: outreach_intake(a, c["person"], "Aが受け付けた世帯"),
         lambda b, c: outreach_intake(b, c["person"], "Bが受け付けた世帯"), _intake_holds, _person, choose=pick_person),
    Walk("アウトリーチの接触", "outreach_contact", lambda: open_page("screens/outreach.py", user="kyodo"),
         lambda a, c: outreach_contact(a, c["person"], "Aが会えた", "見守り"),
         lambda b, c: outreach_contact(b, c["person"], "Bも会えた", "終了"), _outreach_contact_holds, _person,
         choose=pick_person),
    Walk("会議の決定", "meeting", lambda: open_page("screens/meeting.py"), lambda a, c: decide(a, c["hid"], "Aの決定"),
         lambda b, c: decide(b, c["hid"], "Bの決定"), _meeting_holds),
]


@pytest.mark.parametrize("walk", WALKS, ids=[w.id for w in WALKS])
def test_a_form_drawn_before_a_colleagues_save_is_refused_and_keeps_what_was_typed(backend, walk):
    ctx = walk.prepare()
    start = workbook()
    b, a = walk.open(), (walk.open_colleague or walk.open)()
    if walk.id == "meeting":
        ctx["hid"] = operator(b)
        assert operator(a) == ctx["hid"]
    walk.choose(b, ctx)
    walk.choose(a, ctx)
    a = walk.colleague(a, ctx)
    assert not a.exception and not a.error, said(a)
    between = workbook()
    b = walk.mine(b, ctx)
    assert not b.exception
    assert REFUSED in said(b), said(b)
    assert walk.who in said(b) + "".join(d.value.to_csv() for d in b.dataframe), said(b)
    table = next(d.value for d in b.dataframe if "いまの値" in d.value.columns)
    assert len(table) >= 1
    after = workbook()
    for tab in after.tables:                      # B's refused save wrote nothing at all
        assert after[tab].equals(between[tab]), tab
    walk.holds(after, start, b, ctx)


# ---------------------------------------------------------------- records that depend on nothing

def assessment(at, text):
    at.text_area(key=f"entry_assess_{HID}_本人の思い").input(text)
    return press(at, "アセスメントを保存")


def intake(at, name):
    at.text_input(key="entry_intake_name").input(name)
    at.selectbox(key="entry_intake_area").select("東部")
    return press(at, "相談受付を保存")


BOTH = [
    ("contact", household("経過記録を追加"), lambda at, who: contact(at, f"{who}の電話"), "経過記録", "内容",
     ["Aの電話", "Bの電話"]),
    ("assessment", household("アセスメント"), lambda at, who: assessment(at, f"{who}が聞いた思い"), "アセスメント", "本人の思い",
     ["Aが聞いた思い", "Bが聞いた思い"]),
    ("intake", lambda: open_page("screens/intake.py"), lambda at, who: intake(at, f"{who}が受け付けた世帯"), "世帯", "表示名",
     ["Aが受け付けた世帯", "Bが受け付けた世帯"]),
]


@pytest.mark.parametrize("name, open_form, save, tab, column, rows", BOTH, ids=[b[0] for b in BOTH])
def test_records_that_depend_on_nothing_land_for_both(backend, name, open_form, save, tab, column, rows):
    """B draws, A saves, B saves: two people's records of the same moment both land (nothing is
    overwritten; a new 世帯 takes the next free 世帯ID)."""
    start = workbook()
    b, a = open_form(), open_form()
    a = save(a, "A")
    b = save(b, "B")
    assert not a.exception and not b.exception and not b.error, said(b)
    after = workbook()
    assert list(after[tab].iloc[len(start[tab]):][column]) == rows
    if tab == "世帯":
        assert after["世帯"]["世帯ID"].is_unique
