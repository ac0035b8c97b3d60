"""Every page through Streamlit's AppTest: on the sample town, on the bad-input fixture, projected,
and on Google Sheets through the fake server (refresh, stale-data banner, error page)."""
import ast
import datetime as dt
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")
PAGES = ["screens/home.py", "screens/board.py", "screens/household.py", "screens/intake.py", "screens/plans.py",
         "screens/resources.py", "screens/agencies.py", "screens/meeting.py", "screens/wall.py", "screens/check.py", "screens/help.py",
         "screens/imports.py", "screens/outreach.py"]
TITLES = {"screens/home.py": "つなぐボード", "screens/board.py": "ケースボード", "screens/household.py": "世帯詳細",
          "screens/intake.py": "相談受付", "screens/agencies.py": "機関一覧",
          "screens/plans.py": "プラン進捗", "screens/resources.py": "社会資源マップ", "screens/meeting.py": "会議", "screens/wall.py": "会議", "screens/check.py": "データ点検",
          "screens/help.py": "設定・ヘルプ", "screens/imports.py": "取り込み", "screens/outreach.py": "アウトリーチ"}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setenv("TSUNAGU_TODAY", "2026-11-24")


def sign_in(at: AppTest, username: str = "admin", password: str | None = None) -> AppTest:
    """Type into the sign-in form as a person would, and submit it."""
    from tests.conftest import DEMO_PASSWORDS
    inputs = {t.label: t for t in at.text_input}
    inputs["ユーザー名"].input(username)
    inputs["パスワード"].input(password if password is not None else DEMO_PASSWORDS[username])
    next(b for b in at.button if b.label == "サインイン").click()
    return at.run()


def open_page(page: str, projection: bool = False, user: str = "admin", entry_tab: str | None = None,
              **params) -> AppTest:
    """The page signed in as `user`; `entry_tab`: the 「記録する」 tab of 世帯詳細 to open (only the open
    tab's form is drawn)."""
    at = AppTest.from_file(APP, default_timeout=60)
    if projection:
        at.query_params["mode"] = "projection"
    at.run()
    sign_in(at, user)
    if entry_tab:
        from lib.ui.entry_forms import entry_tab_key
        at.session_state[entry_tab_key(params["id"])] = entry_tab
    if page != "screens/home.py":
        at.switch_page(page)
        for key, value in params.items():
            at.query_params[key] = value
        at.run()
    assert not at.exception, at.exception
    return at


def rendered_text(at: AppTest) -> str:
    """Everything the page sends to the browser, as text (protobuf text of every element,
    dataframes as CSV, graphviz specs included)."""
    from google.protobuf import text_format
    out = []

    def walk(node):
        if type(node).__name__ == "Dataframe":
            out.append(node.value.to_csv())
        elif getattr(node, "proto", None) is not None:
            out.append(text_format.MessageToString(node.proto, as_utf8=True))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(out)


def texts(at: AppTest) -> str:
    parts = [e.value for kind in ("markdown", "caption", "title", "subheader", "warning", "error", "info", "success")
             for e in getattr(at, kind)]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [e.label for e in at.expander]
    return "\n".join(map(str, parts))


def test_every_page_file_is_registered_in_app():
    tree = ast.parse(Path(APP).read_text(encoding="utf-8"))
    registered = {n.args[0].value for n in ast.walk(tree)
                  if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "Page"
                  and isinstance(n.args[0], ast.Constant)}
    assert registered == {f"screens/{p.name}" for p in (ROOT / "screens").glob("*.py")}
    assert registered == set(PAGES) | {"screens/admin.py"}


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_sample_town(page, monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page(page)
    assert at.title[0].value == TITLES[page]
    import html
    assert "データ: 見本の町（midori_town.xlsx）" in [html.unescape(c.value) for c in at.sidebar.caption]
    assert any(c.value.startswith("データ取得: ") for c in at.sidebar.caption)
    assert "表示できませんでした" not in texts(at)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_bad_input_and_links_to_data_check(page, bad_workbook, monkeypatch):
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(bad_workbook))
    at = open_page(page)
    assert at.title[0].value == TITLES[page]
    if page != "screens/check.py":
        assert "12行を表示できませんでした（シートの入力に誤りがあります）" in [w.value for w in at.warning]


def test_home_counts_on_sample_town(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/home.py", user="kyodo")
    assert [(m.label, m.value) for m in at.metric] == [
        ("支援中の世帯", "48"), ("重層的支援会議へ", "30"), ("支援会議へ", "18"), ("データ点検のエラー", "0")]
    stages = next(d.value for d in at.dataframe if "段階" in d.value.columns)
    assert dict(zip(stages["段階"], stages["世帯数"])) == {
        "受付": 6, "アセスメント": 7, "プラン作成": 6, "支援中": 19, "見守り": 10, "終結": 8, "中断": 4}


def test_data_check_shows_counts_and_groups_by_tab(bad_workbook, monkeypatch):
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(bad_workbook))
    at = open_page("screens/check.py")
    assert [(m.label, m.value) for m in at.metric] == [
        ("エラー", "18件"), ("注意", "8件"), ("情報", "3件"), ("表示できない行", "12行")]
    assert [e.label for e in at.expander] == [
        "世帯（11件）", "世帯員（5件）", "支援プラン（1件）", "会議（3件）", "経過記録（2件）", "社会資源（4件）"]
    first = at.dataframe[0].value
    assert list(first.columns) == ["行", "列", "値", "重要度", "内容"]
    assert list(first["行"]) == [1, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16]
    assert len(at.get("download_button")) == 1


def test_data_check_filters_by_severity_and_tab(bad_workbook, monkeypatch):
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(bad_workbook))
    at = open_page("screens/check.py")
    at.multiselect(key="check_severity").set_value(["情報"]).run()
    assert [e.label for e in at.expander] == ["世帯（2件）", "メモ（1件）"]
    at.multiselect(key="check_tabs").set_value(["メモ"]).run()
    assert [e.label for e in at.expander] == ["メモ（1件）"]


def test_projection_mode_from_url_hides_cell_values_on_data_check(bad_workbook, monkeypatch):
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(bad_workbook))
    at = open_page("screens/check.py", projection=True)
    assert at.session_state["projection"] is True
    assert at.sidebar.toggle[0].value is True
    assert "値" not in at.dataframe[0].value.columns
    shown = texts(at) + "".join(df.value.to_csv() for df in at.dataframe)
    for name in ("青木世帯", "<script>", "夜間の連絡は避ける", "町独自の欄"):
        assert name not in shown
    assert at.get("download_button") == []


def test_projection_switch_sets_the_bookmarkable_url(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/home.py")
    assert "mode" not in at.query_params
    at.sidebar.toggle[0].set_value(True).run()
    assert at.query_params["mode"] == "projection"
    at.sidebar.toggle[0].set_value(False).run()
    assert "mode" not in at.query_params


def test_help_page_lists_every_tab(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/help.py")
    from lib.workbook import schema
    guide = [e for e in at.expander if e.label != "自分のパスワードを変える"]
    assert len(guide) == len(schema.TABS)
    assert all(any(e.label.startswith(t.name) for e in guide) for t in schema.TABS)


# ---------------------------------------------------------------- Google Sheets through the fake

def test_app_reads_google_sheets_in_one_batch_get_and_refresh_reads_again(sheets_env):
    fake = sheets_env
    at = open_page("screens/home.py")
    assert at.metric[0].value == "48"
    assert (fake.count("metadata"), fake.count("batchGet")) == (1, 1)
    assert any("Google スプレッドシート" in c.value for c in at.sidebar.caption)
    at.run()   # within the TTL: served from the cache
    assert fake.count("batchGet") == 1
    drive = fake.count("drive")
    at.sidebar.button[0].click().run()      # 最新の情報に更新, nobody changed the sheet: one small request
    assert (fake.count("metadata"), fake.count("batchGet"), fake.count("drive")) == (1, 1, drive + 1)
    key = next(iter(fake.books))
    fake.books[key]["世帯"][1][1] = "手で直した名前"                     # someone types in the sheet
    at.sidebar.button[0].click().run()      # …then the values in one request (the titles are known)
    assert (fake.count("metadata"), fake.count("batchGet")) == (1, 2)
    assert not [w for w in at.warning if "最新の情報" in w.value]   # (an overdue つなぎ warning may show)


@pytest.mark.parametrize("refused, user, said", [(True, "admin", True), (False, "admin", False), (True, "houkatsu", False)])
def test_a_drive_api_not_enabled_is_said_on_the_check_page_to_the_admin(sheets_env, refused, user, said):
    sheets_env.drive_refused = refused
    at = open_page("screens/check.py", user=user)
    assert any("Google Drive API が有効になっていない" in i.value for i in at.info) is said


def test_failed_refresh_keeps_earlier_data_with_a_banner(sheets_env):
    fake = sheets_env
    at = open_page("screens/home.py")
    key = next(iter(fake.books))
    fake.books[key]["世帯"][1][1] = "手で直した名前"          # changed since (else nothing needs reading)
    fake.always_fail = 500
    at.sidebar.button[0].click().run()
    assert not at.exception
    assert at.metric[0].value == "48"
    banner = next(w.value for w in at.warning if "最新の情報" in w.value)
    assert "最新の情報を読めませんでした" in banner and "分前）を表示しています" in banner
    fake.always_fail = None
    at.sidebar.button[0].click().run()
    assert not [w for w in at.warning if "最新の情報" in w.value]   # (an overdue つなぎ warning may show)


def test_no_earlier_data_shows_what_to_check_not_a_traceback(sheets_env):
    fake = sheets_env
    fake.forbidden.add(next(iter(fake.books)))
    at = sign_in(AppTest.from_file(APP, default_timeout=60).run())
    assert not at.exception
    assert at.title[0].value == "データを読めませんでした"
    assert "共有" in at.markdown[0].value
    assert not at.metric


def test_config_error_shows_error_page(monkeypatch):
    monkeypatch.setenv("TSUNAGU_WORKBOOK", "https://docs.google.com/spreadsheets/d/" + "x" * 44 + "/edit")
    monkeypatch.delenv("TSUNAGU_SHEETS_API_ROOT", raising=False)
    at = sign_in(AppTest.from_file(APP, default_timeout=60).run())
    assert not at.exception
    assert at.title[0].value == "データを読めませんでした"
    assert "secrets.toml" in at.markdown[0].value


def test_no_pages_folder_and_no_private_streamlit_modules():
    """A folder named pages/ puts a fresh server's first run into Streamlit's legacy mode
    (streamlit PR #10276); the screens live in screens/ and nothing needs a private module."""
    assert not (ROOT / "pages").exists()
    for path in [Path(APP), *(ROOT / "screens").glob("*.py"), *(ROOT / "lib").rglob("*.py")]:
        assert "streamlit.runtime" not in path.read_text(encoding="utf-8"), path


# ---------------------------------------------------------------- ケースボード and 世帯詳細

def column_headers(at):
    return [h.value for h in at.subheader]


def test_board_columns_and_figures_on_sample_town(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/board.py")
    assert [(m.label, m.value) for m in at.metric] == [
        ("支援中の世帯", "48"), ("見直し期限切れ", "12"), ("60日以上接触なし", "17"), ("今月の新規受付", "5"),
        ("重層的支援会議へ", "30"), ("支援会議へ", "18")]
    assert column_headers(at) == ["受付（6）", "アセスメント（7）", "プラン作成（6）", "支援中（19）", "見守り（10）"]
    assert [e.label for e in at.expander][-2:] == ["終結（8）", "中断（4）"]
    cards = [m.value for m in at.markdown if 'class="tb-card"' in m.value]
    assert len(cards) == 6 + 7 + 6 + 10 + 10 + 8 + 4        # 10 cards a column at first (支援中: 19)
    assert next(b for b in at.button if b.key == "more_支援中").label == "さらに表示（残り9）"


def test_board_filters_narrow_cards_and_survive_page_switches(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/board.py")
    at.multiselect(key="board_tracks").set_value(["支援会議"]).run()
    assert column_headers(at) == ["受付（5）", "アセスメント（3）", "プラン作成（0）", "支援中（0）", "見守り（10）"]
    assert "絞り込み中: 60世帯のうち 18世帯を表示" in [c.value for c in at.caption]
    at.switch_page("screens/help.py").run()
    at.switch_page("screens/board.py").run()
    assert at.multiselect(key="board_tracks").value == ["支援会議"]
    assert column_headers(at)[-1] == "見守り（10）"
    at.text_input(key="board_text").input("H-008").run()
    assert sum(int(h.split("（")[1].rstrip("）")) for h in column_headers(at)) == 1


def test_board_shows_more_cards_on_request(monkeypatch, tmp_path):
    from sample_data import generate
    path = generate.write_xlsx(generate.build(120), tmp_path / "town120.xlsx")
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(path))
    at = open_page("screens/board.py")
    assert "支援中（39）" in column_headers(at)

    for left in (29, 19, 9):                          # 10 cards a column, 10 more a press
        button = next(b for b in at.button if b.key == "more_支援中")
        assert button.label == f"さらに表示（残り{left}）"
        before = sum('class="tb-card"' in m.value for m in at.markdown)
        button.click().run()
        assert sum('class="tb-card"' in m.value for m in at.markdown) == before + min(left, 10)
    assert not any(b.key == "more_支援中" for b in at.button)


def test_board_table_view(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/board.py")
    at.toggle(key="board_table_view").set_value(True).run()
    table = at.dataframe[0].value
    assert len(table) == 60 and table["世帯ID"].is_unique


def test_household_detail_by_url(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/household.py", id="H-001")
    assert at.title[0].value == "泉世帯"
    assert [s.value for s in at.subheader] == ["記録する", "世帯員", "家族構成図", "アセスメント（別紙2-3）", "参加支援（別紙2-5①）",
                                               "世帯支援プラン", "経過記録（新しい順）", "世帯支援プランシート（様式5）",
                                               "評価シート（終結時）", "この世帯を取り上げた会議", "この世帯のデータ点検"]
    tables = [d.value for d in at.dataframe if not d.proto.editing_mode]     # not the plan editor
    members = next(t for t in tables if "記号" in t.columns)
    plan = next(t for t in tables if "当面の取組事項" in t.columns)
    assert list(members["記号"]) == ["A氏", "B氏", "C氏"]
    assert list(plan["対象"])[-2:] == ["危機介入", "その他"]
    assert "夜間の連絡は避ける" in at.markdown[0].value     # 備考 at a desk
    assert len(at.get("image")) == 1                         # the 家族構成図, drawn as a picture
    at.toggle(key="detail_ecomap").set_value(True).run()
    assert len(at.get("image")) == 2                         # and the エコマップ when asked for


def test_unknown_household_id_gives_a_message_not_an_exception(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/household.py", id="H-999")
    assert at.title[0].value == "世帯詳細"
    assert "世帯ID「H&#45;999」の世帯は、表示できる世帯の中にありません" in at.warning[0].value


def test_household_problems_are_listed_on_its_page(bad_workbook, monkeypatch):
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(bad_workbook))
    at = open_page("screens/household.py", id="H-007")
    assert any("次回見直し日" in m.value for m in at.markdown)


def test_sheet_html_is_escaped_on_board_and_detail(bad_workbook, monkeypatch):
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(bad_workbook))
    for page, params in (("screens/board.py", {}), ("screens/household.py", {"id": "H-013"})):
        at = open_page(page, **params)
        shown = rendered_text(at)
        assert shown.count("window.parent.document.cookie") <= 1         # the app's own sign-in cookie element
        shown = re.sub(r"<script>window\.parent\.document\.cookie = .*?</script>", "", shown)
        assert "<script>" not in shown.replace("<script>alert(1)</script>,", "")  # CSV cells are not HTML
        assert "&lt;script&gt;alert&#40;1&#41;&lt;/script&gt;" in shown


@pytest.mark.parametrize("page", PAGES)
def test_projection_leaks_no_name_and_no_free_text(page, sample_raw, monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    from lib.workbook import schema
    from lib.workbook.validate import validate
    workbook = validate(sample_raw)
    secrets = set(workbook["世帯"]["表示名"])
    for tab in schema.TABS:
        for column in schema.free_text_columns(tab.name):
            secrets |= {v for v in workbook[tab.name][column] if isinstance(v, str) and v}
    params = {"id": "H-001"} if page == "screens/household.py" else {}
    at = open_page(page, projection=True, **params)
    shown = rendered_text(at)
    leaked = sorted(s for s in secrets if s in shown)
    assert leaked == []
    if page != "screens/meeting.py":   # the 会議 page opens on a 支援会議, whose own households it may show
        no_consent = workbook["世帯"][workbook["世帯"]["同意"] != "あり"]["世帯ID"]
        assert not [h for h in no_consent if f'"{h}"' in shown or f"{h} " in shown or f"{h}," in shown]


def test_projected_board_has_pseudonyms_and_no_shien_kaigi_households(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/board.py", projection=True)
    assert [m.value for m in at.metric][-1] == "0"
    assert column_headers(at) == ["受付（1）", "アセスメント（4）", "プラン作成（6）", "支援中（19）", "見守り（0）"]
    labels = [link.proto.label for link in at.get("page_link") if "id=" in link.proto.page or link.proto.query_string]
    assert labels and all(label.endswith("世帯") and label[:-2].isupper() for label in labels)


# ---------------------------------------------------------------- 会議

def agenda_ids(at):
    return [b.key.removeprefix("drop_") for b in at.button if b.key and b.key.startswith("drop_")]


def test_meeting_builder_proposes_and_staff_edit_the_agenda(monkeypatch, sample_raw):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/meeting.py")
    assert at.selectbox(key="meeting_kind").value == "支援会議"
    assert str(at.date_input(key="meeting_date").value) == "2026-11-25"     # 随時: the next business day
    assert "社会福祉法第106条の6" in at.warning[0].value
    # 120 minutes hold 8 households of 15 minutes; the other 8 go to 次回へ, most pressing first:
    assert agenda_ids(at)[:1] == ["H-008"] and len(agenda_ids(at)) == 8
    assert [s.value for s in at.subheader] == ["議題（8世帯・13:30〜15:30）", "次回へ（8世帯）"]
    later = list(at.dataframe[0].value["世帯ID"])
    at.number_input(key="meeting_length").set_value(240).run()
    ids = agenda_ids(at)
    assert len(ids) == 16 and ids[8:] == later
    assert at.subheader[0].value == "議題（16世帯・13:30〜17:30）"
    at.button(key=f"drop_{ids[0]}").click().run()
    assert agenda_ids(at) == ids[1:]
    at.button(key=f"down_{ids[1]}").click().run()
    assert agenda_ids(at)[:2] == [ids[2], ids[1]]
    extra = at.selectbox(key="meeting_add").options[0]
    at.selectbox(key="meeting_add").set_value(extra.split("（")[-1].rstrip("）")).run()
    next(b for b in at.button if b.label == "議題に加える").click().run()
    assert len(agenda_ids(at)) == 16
    at.selectbox(key="meeting_kind").set_value("重層的支援会議").run()
    assert not at.warning or "106条" not in at.warning[0].value
    import datetime as dt
    from lib.meetings import agenda
    from lib.workbook.validate import validate
    expected = agenda.propose(validate(sample_raw), "重層的支援会議", dt.date(2026, 11, 25))
    assert agenda_ids(at) == [p.household_id for p in expected][:16]


def test_meeting_paperwork_and_regular_meetings_render(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/meeting.py")
    at.radio(key="meeting_view").set_value("書類").run()
    assert len(at.get("download_button")) == 2
    at.radio(key="meeting_view").set_value("議題").run()
    at.selectbox(key="meeting_kind").set_value("定例会議").run()
    assert [s.value for s in at.subheader] == ["プランの進み具合（支援中の世帯）", "社会資源の充足状況"]
    assert "東部には相談窓口・居場所・サロン・通いの場がありません" in at.markdown[-1].value
    at.selectbox(key="meeting_kind").set_value("代表者会議").run()
    assert at.subheader[0].value == "令和8年度（2026年度）の計画指標"
    assert len(at.dataframe[0].value) == 7


def operator_view(at, kind="支援会議"):
    if at.selectbox(key="meeting_kind").value != kind:
        at.selectbox(key="meeting_kind").set_value(kind).run()
    first = agenda_ids(at)[0]
    at.radio(key="meeting_view").set_value("進行（操作）").run()
    assert not at.exception, at.exception
    return first


def position(at):
    return next(m.value for m in at.markdown if m.value.startswith("### "))


def test_operator_steps_and_the_wall_follows_without_names_or_typed_text(writable_town):
    from lib.workbook.sources import read_excel
    from lib.workbook.validate import validate
    at = open_page("screens/meeting.py", user="kyodo")
    first = operator_view(at)
    names = validate(read_excel(writable_town))["世帯"].set_index("世帯ID")["表示名"]
    assert position(at).startswith(f"### 1 / 8　{names[first]}")          # the operator's desk: real names
    next(b for b in at.button if b.label == "次へ").click().run()
    next(b for b in at.button if b.label == "次へ").click().run()
    third = position(at)
    assert third.startswith("### 3 / 8")
    at.text_area(key=f"decide_text_{agenda_ids_in_operator(at)}").input("見守りを月2回に（ひみつの決定）").run()
    wall = open_page("screens/wall.py", user="eturan")                  # the meeting-room PC
    shown = rendered_text(wall)
    assert "### 3 / 8" in shown and "世帯" in shown
    assert [n for n in names if n in shown] == []                        # no real name
    assert "ひみつの決定" not in shown                                   # nothing being typed
    assert wall.get("text_area") == [] and wall.get("selectbox") == []
    assert [b.label for b in wall.button] == ["最新の情報に更新", "サインアウト"]        # the sidebar's own only
    next(b for b in at.button if b.label == "前へ").click().run()
    wall.run()
    assert "### 2 / 8" in rendered_text(wall)
    at.button(key="stop_meeting").click().run()
    wall.run()
    assert "いま進行中の会議はありません" in wall.info[0].value


def agenda_ids_in_operator(at):
    return next(t.key for t in at.text_area if t.key.startswith("decide_text_")).removeprefix("decide_text_")


def test_operator_records_decision_plan_and_stage_in_one_save(writable_town):
    from lib.casework import entry
    from lib.workbook.sources import read_excel
    from lib.workbook.validate import validate
    at = open_page("screens/meeting.py")
    hid = operator_view(at, "重層的支援会議")
    before = validate(read_excel(writable_town))
    stage = before["世帯"].set_index("世帯ID").loc[hid, "段階"]
    wanted = "プラン作成" if stage != "プラン作成" else "支援中"
    at.text_area(key=f"decide_text_{hid}").input("就労体験を始める").run()
    at.text_area(key=f"decide_minutes_{hid}").input("本人は前向き").run()
    at.selectbox(key=f"decide_stage_{hid}").set_value(wanted).run()
    at.date_input(key=f"decide_review_{hid}").set_value(dt.date(2027, 2, 1)).run()
    assert "終結" not in at.selectbox(key=f"decide_stage_{hid}").options
    rows = entry.plan_rows(before, hid)
    target = rows[0]["対象"]
    editor = f"meetingplan_{hid}_{target}"
    at.session_state[editor] = {"edited_rows": {0: {"取組事項": "週1回 同行する"}}, "added_rows": [], "deleted_rows": []}
    at.multiselect(key="meeting_present").set_value(["福祉課 多機関協働係"]).run()
    at.button(key=f"save_decision_{hid}").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "決定を保存しました" in at.success[0].value
    after = validate(read_excel(writable_town))
    household_row = after["世帯"].set_index("世帯ID").loc[hid]
    assert household_row["段階"] == wanted and household_row["次回見直し日"].date() == dt.date(2027, 2, 1)
    history = after["段階履歴"].iloc[-1]
    assert (history["世帯ID"], history["旧段階"], history["新段階"], history["理由"]) == (hid, stage, wanted, "就労体験を始める")
    plan = after["支援プラン"]
    assert plan.loc[plan["_row"] == int(rows[0]["key"]), "取組事項"].iloc[0] == "週1回 同行する"
    meeting = after["会議"].iloc[-1]
    assert meeting["決定事項"] == f"{hid}: 就労体験を始める" and meeting["議事録"] == f"{hid}: 本人は前向き"
    assert meeting["変更プラン"].startswith(f"{hid}: {target}「")
    assert meeting["出席者"].splitlines()[0] == "福祉課 多機関協働係：出席"
    assert any(line.endswith("：欠席") for line in meeting["出席者"].splitlines())
    # The next household's save updates the same 会議 row and keeps the first household's lines:
    next(b for b in at.button if b.label == "次へ").click().run()
    second = agenda_ids_in_operator(at)
    at.text_area(key=f"decide_text_{second}").input("見守り継続").run()
    at.button(key=f"save_decision_{second}").click().run()
    again = validate(read_excel(writable_town))
    assert len(again["会議"]) == len(after["会議"])
    assert again["会議"].iloc[-1]["決定事項"] == f"{hid}: 就労体験を始める\n{second}: 見守り継続"
    # The paperwork view offers the saved meeting, with 様式5:
    at.radio(key="meeting_view").set_value("書類").run()
    assert at.selectbox(key="meeting_paper_source").value == meeting["会議ID"]
    assert len(at.get("download_button")) == 4


def test_operator_refuses_when_the_row_changed_meanwhile(writable_town):
    from openpyxl import load_workbook
    at = open_page("screens/meeting.py")
    first = operator_view(at)
    at.text_area(key=f"decide_text_{first}").input("見守り継続").run()
    at.selectbox(key=f"decide_agency_{first}").set_value("社会福祉協議会").run()
    book = load_workbook(writable_town)
    row = next(r for r in book["世帯"].iter_rows(min_row=2) if r[0].value == first)
    row[7].value = "同僚が変更"
    book.save(writable_town)
    before = writable_town.read_bytes()
    at.button(key=f"save_decision_{first}").click().run()
    assert "保存していません" in at.error[0].value
    table = at.dataframe[-1].value
    assert list(table["列"]) == ["担当者"] and list(table["いまの値"]) == ["同僚が変更"]
    assert writable_town.read_bytes() == before
    assert at.text_area(key=f"decide_text_{first}").value == "見守り継続"      # what was typed stays


def test_shien_kaigi_is_closed_to_staff_of_non_member_agencies(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/meeting.py", user="kyotaku")
    assert "構成員の機関の職員だけが見られます" in at.info[0].value
    assert agenda_ids(at) == [] and at.get("download_button") == []
    at.selectbox(key="meeting_kind").set_value("重層的支援会議").run()
    assert not at.exception and at.radio(key="meeting_view")


def test_member_register_view(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/meeting.py")
    at.radio(key="meeting_view").set_value("構成員名簿").run()
    table = at.dataframe[0].value
    assert "税務課 収納係" not in set(table["機関名"])
    assert table["守秘義務確認日"].notna().all() and len(table) == 15


# ---------------------------------------------------------------- プラン進捗

def test_plan_progress_page_figures_filters_and_download(monkeypatch, sample_raw):
    import datetime as dt
    from lib.casework import plans
    from lib.workbook.validate import validate
    expected = plans.portfolio(validate(sample_raw), dt.date(2026, 11, 24))
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/plans.py")
    figures = {m.label: m.value for m in at.metric}
    assert figures["期限切れの取組"] == str(expected.overdue) and figures["プランのない世帯"] == "0"
    assert sum(int(figures[f"取組: {s}"]) for s in ("未着手", "実施中", "達成", "見直し", "中止")) == 133
    assert at.subheader[1].value == "取組の一覧（133件）"
    at.toggle(key="plans_overdue").set_value(True).run()
    assert at.subheader[1].value == f"取組の一覧（{expected.overdue}件）"
    assert at.dataframe[1].value["期限切れ"].all()
    assert len(at.get("download_button")) == 1


def test_indicator_view_shows_the_year_and_the_report(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/plans.py")
    at.radio(key="plans_view").set_value("実施計画の指標").run()
    assert at.selectbox(key="plans_year").value == 2026
    assert at.subheader[0].value == "令和8年度（2026年度）の計画指標"
    table = at.dataframe[0].value.set_index("指標")
    assert table.loc["新規相談受付件数", "実績値"] == 30
    assert len(at.get("vega_lite_chart")) == 4
    beside = [d.value for d in at.dataframe[1:5]]             # each chart's figures as a table beside it
    firsts = {tuple(t.columns[:2]): t for t in beside}
    assert set(firsts) == {("月", "新規受付"), ("月", "支援会議"), ("月", "受付"), ("課題", "世帯数")}
    assert len(firsts[("月", "新規受付")]) == len(firsts[("月", "支援会議")]) == 12       # a row a month of the year
    report = at.dataframe[5].value
    assert list(report.columns)[-2:] == ["令和7年度（2025年度）", "令和8年度（2026年度）"]
    at.selectbox(key="plans_year").set_value(2025).run()
    assert at.subheader[0].value == "令和7年度（2025年度）の計画指標"


@pytest.mark.parametrize("year, day", [(2025, "2026-03-10"), (2026, "2026-12-10")])
def test_representatives_meeting_and_plan_progress_show_the_same_indicators(monkeypatch, year, day):
    """One computation: the 代表者会議 table equals プラン進捗's for every indicator, and the report's row."""
    import datetime as dt

    import pandas as pd

    from lib.casework import indicators
    from lib.workbook.sources import read_excel
    from lib.workbook.validate import validate
    from tests.conftest import SAMPLE
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    plans = open_page("screens/plans.py")
    plans.radio(key="plans_view").set_value("実施計画の指標").run()
    plans.selectbox(key="plans_year").set_value(year).run()
    meeting = open_page("screens/meeting.py")
    meeting.selectbox(key="meeting_kind").set_value("代表者会議").run()
    meeting.date_input(key="meeting_date").set_value(dt.date.fromisoformat(day)).run()
    on_plans, on_meeting = plans.dataframe[0].value, meeting.dataframe[0].value
    assert len(on_plans) >= 7
    pd.testing.assert_frame_equal(on_plans, on_meeting)
    workbook = validate(read_excel(SAMPLE))
    report = indicators.annual_report(workbook, [year], dt.date(2026, 11, 24))
    label = report.columns[-1]
    assert report[label].fillna(-1).tolist() == on_plans["実績値"].fillna(-1).tolist()


def test_plan_progress_in_projection_shows_pseudonyms_and_no_plan_text(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/plans.py", projection=True)
    items = at.dataframe[1].value
    assert items["表示名"].str.fullmatch(r"[A-Z]+世帯").all()
    assert items["目標"].isna().all() and items["役割分担"].isna().all()
    assert len(at.get("download_button")) == 0


# ---------------------------------------------------------------- 社会資源マップ

def test_resource_map_offline_by_default_with_gaps_and_unmapped(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    monkeypatch.delenv("TSUNAGU_MAP_TILES", raising=False)
    at = open_page("screens/resources.py")
    assert at.toggle(key="resources_tiles").value is False
    assert len(at.get("vega_lite_chart")) == 1 and len(at.get("deck_gl_json_chart")) == 0
    assert "地図に出ている社会資源: 41件（全42件）" in [c.value for c in at.caption]
    assert list(at.dataframe[0].value["資源ID"]) == ["R-042"]
    assert "東部には相談窓口・居場所・サロン・通いの場がありません" in at.markdown[0].value
    at.multiselect(key="resources_kinds").set_value(["サロン"]).run()
    assert "地図に出ている社会資源: 4件（全42件）" in [c.value for c in at.caption]


def test_resource_map_tiled_view_is_a_switch_and_a_setting(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    monkeypatch.setenv("TSUNAGU_MAP_TILES", "on")
    at = open_page("screens/resources.py")
    assert at.toggle(key="resources_tiles").value is True
    import json
    deck = at.get("deck_gl_json_chart")[0].proto
    assert json.loads(deck.tooltip) == {"text": "{name}\n{kind}\n{address}\n{hours}\n{phone}"}
    assert len(json.loads(deck.json)["layers"][0]["data"]) == 41
    at.toggle(key="resources_tiles").set_value(False).run()
    assert len(at.get("vega_lite_chart")) == 1


def test_participation_suggestions_for_a_household(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/resources.py")
    at.selectbox(key="resources_household").set_value("H-008").run()
    table = next(d.value for d in at.dataframe if "距離（km）" in d.value.columns)
    assert table["理由"].iloc[0].startswith("同じ地区（西部）")
    assert (table["距離（km）"].iloc[:4] < 1).all()


def test_resource_map_in_projection_pseudonymises_the_household_picker(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/resources.py", projection=True)
    assert all(o.split("（")[0].endswith("世帯") and o.split("（")[0][:-2].isupper()
               for o in at.selectbox(key="resources_household").options)


# ---------------------------------------------------------------- sign-in, roles, audit, retention

def audit_events(folder):
    from lib.access import audit
    log = audit.read(folder)
    return list(zip(log["user"], log["event"]))


def test_nothing_shows_before_sign_in_and_a_wrong_password_is_refused(monkeypatch, signed_in_setup):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert [t.value for t in at.title] == ["つなぐボード"] and not at.metric and not at.dataframe
    assert {t.label for t in at.text_input} == {"ユーザー名", "パスワード"}
    sign_in(at, "admin", "wrong-password")
    assert "ユーザー名かパスワードが違います。" in [e.value for e in at.error]
    assert not at.metric
    assert ("admin", "sign_in_failed") in audit_events(signed_in_setup)


def locked_out_solo(monkeypatch, tmp_path) -> AppTest:
    """A one-user town where that user has just failed the attempt limit."""
    from lib.access import users
    path = tmp_path / "users.yaml"
    config = {"credentials": {"usernames": {"solo": {"name": "一人", "password": users.hash_password("right-password-1"),
                                                     "roles": [users.ADMIN], "agency": None}}}}
    users.save(config, path)
    monkeypatch.setenv("TSUNAGU_USERS_FILE", str(path))
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    from lib.access.sessions import FREE_ATTEMPTS
    for _ in range(FREE_ATTEMPTS + 1):
        sign_in(at, "solo", "wrong-password-x")
    return at


def test_repeated_failures_lock_the_user_out(monkeypatch, tmp_path):
    at = sign_in(locked_out_solo(monkeypatch, tmp_path), "solo", "right-password-1")
    assert any("しばらくサインインできません" in e.value for e in at.error)
    assert not at.metric
    assert ("solo", "sign_in_throttled") in audit_events(tmp_path / "audit")


def test_a_lock_out_survives_a_server_restart(monkeypatch, tmp_path, signed_in_setup):
    import streamlit as st
    locked_out_solo(monkeypatch, tmp_path)
    st.cache_resource.clear()                   # what a restart forgets: everything held in memory
    again = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "solo", "right-password-1")
    assert any("しばらくサインインできません" in e.value for e in again.error)
    assert not again.metric
    assert (signed_in_setup / "throttle.json").exists()


def test_sign_out_returns_to_the_form_and_is_audited(monkeypatch, signed_in_setup):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/home.py", user="houkatsu")
    at.sidebar.button(key="sign_out").click().run()
    assert {t.label for t in at.text_input} == {"ユーザー名", "パスワード"} and not at.metric
    assert [e for e in audit_events(signed_in_setup) if e[0] == "houkatsu"] == [
        ("houkatsu", "sign_in"), ("houkatsu", "sign_out")]


def test_a_sign_in_that_runs_out_says_so_and_is_audited(monkeypatch, signed_in_setup):
    import time
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    monkeypatch.setenv("TSUNAGU_SESSION_HOURS", str(10 / 3600))         # ten seconds
    at = open_page("screens/home.py", user="kyodo")
    assert at.metric                                                     # signed in
    time.sleep(10.5)                        # counted from after the sign-in, however slow the machine
    at.run()
    assert "サインインの有効期限が切れました。もう一度サインインしてください。" in [i.value for i in at.info]
    assert not at.metric and {t.label for t in at.text_input} == {"ユーザー名", "パスワード"}
    assert [e for e in audit_events(signed_in_setup) if e[0] == "kyodo"] == [("kyodo", "sign_in"), ("kyodo", "session_ended")]


def test_a_user_disabled_while_signed_in_is_signed_out_at_the_next_move(monkeypatch, tmp_path, signed_in_setup):
    import shutil
    from lib.access import users
    path = tmp_path / "users.yaml"
    shutil.copy(users.DEMO_USERS_FILE, path)
    monkeypatch.setenv("TSUNAGU_USERS_FILE", str(path))
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/home.py", user="houkatsu")
    assert at.metric
    from lib.access import users_command
    assert users_command.main(["--file", str(path), "disable", "houkatsu"]) == 0
    at.run()
    assert not at.metric and {t.label for t in at.text_input} == {"ユーザー名", "パスワード"}
    assert any("このサインインは終わりました" in i.value for i in at.info)


def test_demo_mode_says_so_on_every_page(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    monkeypatch.delenv("TSUNAGU_USERS_FILE", raising=False)
    monkeypatch.delenv("TSUNAGU_COOKIE_KEY", raising=False)
    for page in PAGES:
        at = open_page(page, id="H-001") if page == "screens/household.py" else open_page(page)
        assert "デモモード（見本の町・見本のユーザー）" in [w.value for w in at.sidebar.warning], page


def test_a_real_town_with_a_short_cookie_key_does_not_start(bad_workbook, monkeypatch):
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(bad_workbook))
    monkeypatch.setenv("TSUNAGU_COOKIE_KEY", "too-short")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.title[0].value == "つなぐボードを始められません"
    assert "クッキー鍵" in at.error[0].value and not at.text_input


def test_a_real_town_without_a_cookie_key_keeps_a_generated_one(bad_workbook, monkeypatch, signed_in_setup):
    import stat
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(bad_workbook))
    monkeypatch.delenv("TSUNAGU_COOKIE_KEY", raising=False)
    at = sign_in(AppTest.from_file(APP, default_timeout=60).run(), "kyodo")
    assert not at.exception and any(c.value.startswith("サインイン中:") for c in at.sidebar.caption)
    kept = signed_in_setup / "cookie_key.txt"
    assert len(kept.read_text()) >= 48 and stat.S_IMODE(kept.stat().st_mode) == 0o600


@pytest.mark.parametrize("user", ["houkatsu", "kyotaku"])
def test_staff_see_only_their_households_on_every_page(user, monkeypatch, sample_raw):
    from lib.access import scope, users
    from lib.workbook.validate import validate
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    workbook = validate(sample_raw)
    me = users.user(users.load(users.DEMO_USERS_FILE), user)
    mine = scope.scope_workbook(workbook, scope.Viewer(user=me))["世帯"]
    hidden_names = set(workbook["世帯"]["表示名"]) - set(mine["表示名"])
    hidden_ids = set(workbook["世帯"]["世帯ID"]) - set(mine["世帯ID"])
    board = open_page("screens/board.py", user=user)
    assert sum(int(h.split("（")[1].rstrip("）")) for h in column_headers(board)) + \
        sum(int(e.label.split("（")[1].rstrip("）")) for e in board.expander if e.label.startswith(("終結", "中断"))) \
        == len(mine)
    for page in ("screens/board.py", "screens/plans.py", "screens/resources.py", "screens/meeting.py", "screens/home.py"):
        shown = rendered_text(open_page(page, user=user))
        assert [n for n in hidden_names if n in shown] == [], page
        assert [h for h in hidden_ids if f'"{h}"' in shown or f"{h}," in shown or f"（{h}）" in shown] == [], page
    if user == "kyotaku":       # not a 支援会議 member: no no-consent household, not even as a count
        assert set(mine["同意"]) == {"あり"}
        assert [m.value for m in board.metric][-1] == "0"
        meeting = open_page("screens/meeting.py", user=user)
        assert agenda_ids(meeting) == []


def test_household_outside_scope_is_refused_and_audited(monkeypatch, signed_in_setup, sample_raw):
    from lib.access import scope, users
    from lib.workbook.validate import validate
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    workbook = validate(sample_raw)
    me = users.user(users.load(users.DEMO_USERS_FILE), "kyotaku")
    outside = next(h for h in workbook["世帯"]["世帯ID"] if h not in scope.visible_households(workbook, me))
    inside = sorted(scope.visible_households(workbook, me))[0]
    at = open_page("screens/household.py", user="kyotaku", id=outside)
    assert "表示できる世帯の中にありません" in at.warning[0].value
    at2 = open_page("screens/household.py", user="kyotaku", id=inside)
    assert at2.title[0].value != "世帯詳細"
    events = audit_events(signed_in_setup)
    assert ("kyotaku", "refused_household") in events and ("kyotaku", "open_household") in events


def test_viewer_account_is_always_projected(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/board.py", user="eturan")
    assert at.sidebar.toggle[0].value is True and at.sidebar.toggle[0].proto.disabled
    labels = [link.proto.label for link in at.get("page_link") if link.proto.query_string]
    assert labels and all(label.endswith("世帯") and label[:-2].isupper() for label in labels)


def test_only_coordinators_and_admins_may_record_a_meeting(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/meeting.py", user="houkatsu")
    first = operator_view(at)
    assert at.button(key="save_meeting").proto.disabled and at.button(key=f"save_decision_{first}").proto.disabled


def test_downloads_and_writes_are_audited(writable_town, signed_in_setup):
    at = open_page("screens/plans.py", user="kyodo")
    buttons = at.get("download_button")
    assert buttons and all(b.proto.HasField("deferred_file_id") for b in buttons)   # built only when asked for
    meeting = open_page("screens/meeting.py", user="kyodo")
    first = operator_view(meeting)
    meeting.selectbox(key=f"decide_agency_{first}").set_value("社会福祉協議会").run()
    meeting.button(key=f"save_decision_{first}").click().run()
    from lib.access import audit
    log = audit.read(signed_in_setup)
    assert "download" not in set(log["event"])           # nothing built or audited until someone clicks
    write = log[log["event"] == "write"].iloc[0]
    assert write["user"] == "kyodo" and ["世帯", first, "主担当機関"] in [c[:3] for c in write["cells"]]
    views = log[log["event"] == "view_plans"]
    assert list(views["user"]) == ["kyodo"]             # once per session, not on every rerun


def test_admin_page_lists_users_and_the_audit_log_but_no_password_hash(monkeypatch):
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/admin.py")
    users_table = at.dataframe[0].value
    assert set(users_table["ユーザー名"]) == {"admin", "kyodo", "houkatsu", "kyotaku", "eturan"}
    assert "$2b$" not in rendered_text(at)
    assert any(("admin" in r and "サインイン" in r) for r in at.dataframe[1].value.fillna("").astype(str).agg(" ".join, axis=1))
    staff = open_page("screens/admin.py", user="houkatsu")
    assert "管理者だけ" in staff.error[0].value


def test_retention_flag_with_a_fixed_today(monkeypatch, sample_raw):
    import datetime as dt
    from lib.access import retention
    from lib.workbook.validate import validate
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    monkeypatch.setenv("TSUNAGU_TODAY", "2032-06-01")
    expected = retention.disposal_due(validate(sample_raw), dt.date(2032, 6, 1))
    assert len(expected) > 0
    at = open_page("screens/check.py")
    assert f"{len(expected)}世帯の記録が保存期間を過ぎています" in at.warning[-1].value
    home = open_page("screens/home.py")
    assert f"{len(expected)}世帯" in [m.value for m in home.metric]


def test_admin_lists_what_is_due_everywhere_and_records_a_disposal(monkeypatch, tmp_path, signed_in_setup):
    import json
    import shutil
    from openpyxl import load_workbook
    from lib.workbook.sources import read_excel
    from tests.conftest import SAMPLE
    book = load_workbook(SAMPLE)
    hh = book["世帯"]
    header = [c.value for c in hh[1]]
    for row in hh.iter_rows(min_row=2):
        if row[0].value == "H-001":                      # closed long ago
            row[header.index("段階")].value, row[header.index("終結日")].value = "終結", "2019/1/10"
        if row[0].value == "H-023":                      # stopped long ago
            row[header.index("中断日")].value = "2020/2/1"
    town = tmp_path / "town.xlsx"
    book.save(town)
    backups = tmp_path / "backups"
    backups.mkdir()
    shutil.copy(town, backups / "town_20261120-0900.xlsx")
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(town))
    monkeypatch.setenv("TSUNAGU_BACKUP_DIR", str(backups))
    at = open_page("screens/admin.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["シート（ワークブック）"] == "2世帯" and metrics["アプリのバックアップ"] == "1ファイル"
    at.multiselect(key="admin_dispose_ids").set_value(["H-001", "H-023"]).run()
    assert at.button(key="dispose_button").disabled                  # not before the confirmation
    at.checkbox(key="admin_dispose_confirm").check().run()
    at.button(key="dispose_button").click().run()
    assert "2世帯の廃棄を記録しました（バックアップ1ファイルから削除）" in at.success[0].value
    ids = {r[0] for r in read_excel(backups / "town_20261120-0900.xlsx")["世帯"][1:]}
    assert "H-001" not in ids and "H-023" not in ids and "H-002" in ids
    record = json.loads((signed_in_setup / "disposals.jsonl").read_text(encoding="utf-8"))
    assert record["user"] == "admin" and record["households"] == ["H-001", "H-023"]
    assert ("admin", "dispose") in audit_events(signed_in_setup)
    assert {m.label: m.value for m in at.metric}["アプリのバックアップ"] == "0ファイル"


def test_every_multiselect_and_selectbox_has_a_japanese_placeholder():
    """Streamlit's own placeholder is English ("Choose options"); every screen gives its own."""
    for path in (ROOT / "screens").glob("*.py"):
        for call in (n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)):
            name = getattr(call.func, "attr", "")
            if name == "multiselect" or (name == "selectbox" and any(k.arg == "index" for k in call.keywords)):
                assert any(k.arg == "placeholder" for k in call.keywords), f"{path.name}:{call.lineno}"


def test_the_wall_account_sees_only_a_running_meetings_wall(monkeypatch, sample_raw):
    from lib.workbook.validate import validate
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    wall = open_page("screens/meeting.py", user="eturan")
    assert agenda_ids(wall) == [] and wall.get("selectbox") == [] and wall.get("download_button") == []
    assert "いま進行中の会議はありません" in wall.info[0].value
    kyodo = open_page("screens/meeting.py", user="kyodo")
    first = operator_view(kyodo)                                    # a 支援会議 is running now
    wall.run()
    shown = rendered_text(wall)
    name = validate(sample_raw)["世帯"].set_index("世帯ID").loc[first, "表示名"]
    assert "### 1 / 8" in shown and name not in shown                 # the 支援会議 item, pseudonymised
    assert [m.value for m in wall.markdown if m.value.startswith("### ")][0].endswith("世帯")


def test_links_and_images_typed_into_the_sheet_stay_plain_text(monkeypatch, sample_raw):
    """A URL in a name is not a link and a Sheets tab named like a markdown image shows no image
    (Google Sheets allows [ ] in tab names; Excel does not)."""
    from tests.conftest import SHEET_KEY
    from tests.fake_sheets import FakeSheets
    raw = {k: [list(r) for r in v] for k, v in sample_raw.items()}
    header = raw["世帯"][0]
    raw["世帯"][1][header.index("表示名")] = "http://evil.example/steal?x=1"
    raw["世帯"][2][header.index("表示名")] = "www.evil.example"
    raw["![x](http://evil.example/i.png)"] = [["a"], ["b"]]
    fake = FakeSheets({SHEET_KEY: raw})
    root = fake.start()
    try:
        monkeypatch.setenv("TSUNAGU_WORKBOOK", SHEET_KEY)
        monkeypatch.setenv("TSUNAGU_SHEETS_API_ROOT", root)
        for page in ("screens/board.py", "screens/check.py", "screens/household.py"):
            at = open_page(page, id="H-001") if page == "screens/household.py" else open_page(page)
            if page == "screens/check.py":
                at.multiselect(key="check_severity").set_value(["エラー", "注意", "情報"]).run()
            shown = [m.value for m in at.markdown] + [e.label for e in at.expander] + [t.value for t in at.title]
            shown += [str(getattr(p.proto, "label", "")) for p in at.get("page_link")]
            assert not [m for m in shown if "http://evil" in m or "www.evil.example" in m or "](http" in m], page
            if page == "screens/check.py":
                assert any("evil" in e.label for e in at.expander)          # the tab is reported, inert
    finally:
        fake.stop()


def test_plan_progress_lists_households_and_opens_one_plan_on_demand(monkeypatch):
    """No widget per household (1,861 expanders at 3,000 households before): a table, and one sheet."""
    monkeypatch.delenv("TSUNAGU_WORKBOOK", raising=False)
    at = open_page("screens/plans.py")
    listed = at.dataframe[2].value
    assert len(listed) > 20 and len(at.expander) == 1                     # only 絞り込み
    first = listed["世帯ID"].iloc[0]
    at.selectbox(key="plans_open").set_value(first).run()
    sheet = at.dataframe[3].value
    assert list(sheet.columns)[:4] == ["対象", "目標", "検討内容", "当面の取組事項"] and len(sheet) >= 3
    wall = open_page("screens/plans.py", projection=True)
    wall.selectbox(key="plans_open").set_value(wall.dataframe[2].value["世帯ID"].iloc[0]).run()
    assert list(wall.dataframe[3].value.columns) == ["対象", "期限", "状況"]


def test_a_large_agenda_draws_its_first_rows_and_more_on_request(monkeypatch, tmp_path):
    """Hundreds of proposals in a large town: 30 rows with controls, the rest on request (all stay on the agenda)."""
    import subprocess
    import sys
    town = tmp_path / "town300.xlsx"
    subprocess.run([sys.executable, "-m", "sample_data.generate", "--households", "300", "--out", str(town)],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    monkeypatch.setenv("TSUNAGU_WORKBOOK", str(town))
    at = open_page("screens/meeting.py", user="kyodo")
    at.number_input(key="meeting_minutes").set_value(5).run()
    at.number_input(key="meeting_length").set_value(480).run()          # a whole day: 96 households fit
    total = int(at.subheader[0].value.split("（")[1].split("世帯")[0])
    assert total > 60 and len(agenda_ids(at)) == 30
    at.button(key="more_agenda_rows").click().run()
    assert len(agenda_ids(at)) == 60 and f"議題（{total}世帯" in at.subheader[0].value


def test_a_reopened_operator_page_joins_the_running_meeting_where_it_stands(tmp_path, monkeypatch):
    """The operator's page is closed at item 3 (its server died, another PC): the page opened again
    starts at item 3, not 1 — the running meeting in the shared state is the truth, and the wall
    that follows it does not jump back."""
    monkeypatch.setenv("TSUNAGU_STATE_DIR", str(tmp_path / "state"))
    at = open_page("screens/meeting.py", user="kyodo")
    operator_view(at, "重層的支援会議")
    for _ in range(2):
        next(b for b in at.button if b.label == "次へ").click().run()
    assert position(at).startswith("### 3 / ")
    again = open_page("screens/meeting.py", user="kyodo")                 # a new session
    operator_view(again, "重層的支援会議")
    assert position(again).startswith("### 3 / ")
    from lib.meetings import live
    (running,) = live.running(tmp_path / "state", dt.datetime.now())
    assert running.pos == 2
