"""One rule for "this text names agency X": whole names from the known list, longest first, after NFKC."""
import pytest

from lib.casework.agencies import named, names_agency

KNOWN = ["社協", "社協ボランティアセンター", "地域包括支援センター", "地域包括支援センター北部", "包括",
         "みんなの居場所", "NPOひだまり"]


@pytest.mark.parametrize("text, expected", [
    ("主: 地域包括支援センター／副: みんなの居場所", {"地域包括支援センター", "みんなの居場所"}),
    ("社協ボランティアセンター", {"社協ボランティアセンター"}),               # not 社協
    ("地域包括支援センター北部と相談", {"地域包括支援センター北部"}),          # not the centre, not 包括
    ("社協・包括", {"社協", "包括"}),
    ("協力：ＮＰＯひだまり", {"NPOひだまり"}),                              # full-width typed
    ("ボランティア", set()),
    ("", set()),
    (None, set()),
])
def test_named_agencies_are_whole_known_names_longest_first(text, expected):
    assert named(text, KNOWN) == expected


@pytest.mark.parametrize("text, agency, expected", [
    ("社協ボランティアセンター", "社協", False),
    ("社協ボランティアセンター", "社協ボランティアセンター", True),
    ("主：社協／副：包括", "社協", True),
    ("地域包括支援センター北部", "包括", False),
    ("地域包括支援センター北部", "地域包括支援センター", False),
    ("居宅介護支援事業所 みどりの里", "居宅介護支援事業所 みどりの里", True),   # not in the list: added
    ("何か", None, False),
])
def test_names_agency(text, agency, expected):
    assert names_agency(text, agency, KNOWN) is expected


@pytest.mark.parametrize("text", ["社協ボランティアセンターと地域包括支援センター北部", "（社協）", "", None, "名前なし", "サロンＡ、サロンA"])
def test_a_namer_finds_what_named_finds(text):
    from lib.casework.agencies import named, namer
    names = ["社協", "社協ボランティアセンター", "地域包括支援センター", "地域包括支援センター北部", "(社協)", "サロンA"]
    assert namer(names)(text) == named(text, names) == named(text, tuple(names))


# ---------------------------------------------------------------- one agency, however it is spelled

TAB = "アウトリーチ支援員（社協）"          # as the sample town's 機関 tab writes it
VARIANTS = ["アウトリーチ支援員(社協)", "アウトリーチ支援員 （社協）", "アウトリーチ支援員（ 社協 ）", "ｱｳﾄﾘｰﾁ支援員(社協)",
            "アウトリーチ　支援員（社協）"]


def town_spelling(sample_raw, written: str):
    """The sample town where every tab but 機関 writes the outreach agency as `written`."""
    from lib.workbook.validate import validate
    raw = {title: [[c.replace(TAB, written) if isinstance(c, str) and title != "機関" else c for c in row]
                   for row in rows] for title, rows in sample_raw.items()}
    return validate(raw)


@pytest.mark.parametrize("written", VARIANTS)
def test_every_look_up_finds_the_agency_however_it_is_spelled(sample_raw, written):
    import datetime as dt
    from lib.access import scope, users
    from lib.casework import agencies, referrals
    from lib.meetings import paperwork, writeback
    from lib.notify import invite
    workbook = town_spelling(sample_raw, written)
    tab = agencies.directory(workbook)
    # the 機関 tab's row: spelling, mail, 分野; membership
    assert (tab.spelling(written), tab.mail(written), tab.fields(written)) == (TAB, "info07@midori.example.jp", "生活困窮")
    assert agencies.same(written, TAB) and agencies.is_member(workbook, written)
    # 役割分担 and 参加機関 texts name it
    assert agencies.names_agency(f"主: {written}／副: 地域包括支援センター", TAB, list(workbook["機関"]["機関名"]))
    # a meeting that lists it: invited as the tab spells it; 様式4 prints its 分野
    saved = next(s for s in map(lambda m: writeback.saved_meeting(workbook, m), workbook["会議"]["会議ID"])
                 if any(agencies.same(a, TAB) for a in s.row.get("参加機関") or ()))
    assert TAB not in saved.row["参加機関"]                            # the meeting really spells it otherwise
    assert [a for a in invite.invited(workbook, saved) if agencies.same(a, TAB)] == [TAB]
    report = paperwork.report_sheet(workbook, writeback.agenda_of(saved), saved).blocks[-1].rows
    assert any(row[1:3] == ["生活困窮", TAB] for row in report)
    # scope: its staff, signed in with either spelling, see the same households
    as_tab = scope.visible_households(workbook, users.User("x", "x", users.STAFF, TAB))
    as_written = scope.visible_households(workbook, users.User("x", "x", users.STAFF, written))
    assert as_tab and as_tab == as_written
    # a つなぎ to it is to a known agency (not 「機関タブにありません」)
    household = next(iter(as_tab))
    plan = referrals.request(workbook, household, sender="地域包括支援センター", recipient=written, kind="つなぎ",
                             text="同行をお願いします", today=dt.date(2026, 11, 24), by="高野", taken=set())
    assert plan.appends
    # the daily digest of the agency says the same as in a town that spells it one way
    from lib.notify import digest
    from lib.workbook.validate import validate

    def said(book):
        d = digest.agency_digest(book, TAB, "x@town.example", dt.date(2026, 11, 24), dt.date(2026, 11, 1),
                                 stale_days=60, app_url="https://t.example")
        return [(s.title, s.lines) for s in d.sections]
    assert said(workbook) == said(validate(sample_raw)) and any(lines for _, lines in said(workbook))
    # 構成員名簿: its people are listed under it, and データ点検 does not call it a non-member
    assert not agencies.register(workbook).query("機関名 == @TAB")["氏名"].eq("（名簿に記載なし）").any()
    assert [p for p in workbook.problems if p.tab == "構成員名簿" and "構成員ではありません" in p.message] == []
