"""Shared display helpers: escaping and the card body never break on odd sheet values."""
import datetime as dt
import re

import pytest

from lib import ui
from lib.casework.board import Card


@pytest.mark.parametrize("raw, expected", [
    ("<script>alert(1)</script>", "&lt;script&gt;alert&#40;1&#41;&lt;/script&gt;"),
    ("[x](javascript:alert(1))", "&#91;x&#93;&#40;javascript&#58;alert&#40;1&#41;&#41;"),
    ("**太字** _斜体_ `code` $x$", "&#42;&#42;太字&#42;&#42; &#95;斜体&#95; &#96;code&#96; &#36;x&#36;"),
    ("O'Neil & \"co\"", "O&#39;Neil &amp; &quot;co&quot;"),
    ("=1+1", "&#61;1&#43;1"),
    ("山田世帯", "山田世帯"),
    (None, ""),
    (12, "12"),
])
def test_escape_makes_values_inert_in_html_and_markdown(raw, expected):
    assert ui.esc(raw) == expected


@pytest.mark.parametrize("typed", [
    "https://evil.example/login", "http://evil.example", "HTTPS://EVIL.EXAMPLE", "www.evil.example",
    "WWW.evil.example", "help@evil.example", "連絡先 a.b+c@evil.example まで", "見て https://x.jp と www.y.jp",
])
def test_escaped_text_has_no_link_markdown_could_find(typed):
    """GFM finds links in the text after character references are decoded: the decoded text
    must hold no http(s)://, www. or mail address, and read as typed without the word joiners."""
    import html
    import re
    shown = html.unescape(ui.esc(typed))
    assert shown.replace("\u2060", "") == typed
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]+@[-\w]+\.", shown)


@pytest.mark.parametrize("typed", ["midori_town.xlsx", "山田世帯", "R8.11.24", "10:30"])
def test_text_that_is_no_link_is_escaped_as_before(typed):
    assert "\u2060" not in ui.esc(typed)


def card(**changes):
    base = dict(household_id="H-1", name="山田世帯", stage="支援中", area=None, issues=(), track="支援会議",
                agency=None, staff=None, urgency=None, review=None, review_state=None, days_since_contact=None,
                stale=False, complex=False)
    return Card(**{**base, **changes})


def test_card_with_every_optional_value_empty():
    html = ui.card_html(card())
    assert "地区未設定" in html and "担当未設定" in html and "見直し 未設定" in html and "接触の記録なし" in html


@pytest.mark.parametrize("changes, said, not_said", [
    # What a colour marks is also said in words (WCAG 1.4.1: colour is never the only carrier):
    ({"review": dt.date(2026, 1, 1), "review_state": "overdue"}, "（期限切れ）", "（まもなく）"),
    ({"review": dt.date(2026, 1, 1), "review_state": "soon"}, "（まもなく）", "（期限切れ）"),
    ({"days_since_contact": 400, "stale": True}, "最終接触 400日前（間が空いています）", None),
    ({"days_since_contact": 3, "stale": False}, "最終接触 3日前", "間が空いています"),
    ({"waiting": 20, "waiting_overdue": True}, "つなぎ未応答 20日（期限超過）", None),
    ({"waiting": 2, "waiting_overdue": False}, "つなぎ未応答 2日", "期限超過"),
    ({"urgency": "高"}, "緊急度 高", None),
])
def test_what_a_card_s_colour_marks_is_said_in_words(changes, said, not_said):
    html = re.sub(r"<[^>]+>", "", ui.card_html(card(**changes)))
    assert said in html and (not_said is None or not_said not in html)


def test_card_with_very_long_and_hostile_values():
    long_text = "あ" * 500
    html = ui.card_html(card(area=long_text, issues=("<b>x</b>", long_text), agency="<img src=x onerror=alert(1)>",
                             staff=long_text, urgency="高", review=dt.date(2026, 1, 1), review_state="overdue",
                             days_since_contact=400, stale=True, complex=True))
    assert "<img" not in html and "<b>x" not in html
    assert long_text in html
    assert 'class="tb-overdue">見直し R8.1.1（期限切れ）' in html
    assert 'class="tb-stale">最終接触 400日前' in html
    assert "複合" in html


def test_a_refused_download_reaches_the_console_as_one_plain_line_not_a_traceback():
    import logging
    from lib.ui.downloads import DownloadRefused, plain_refusals
    logger, lines = logging.getLogger("streamlit.some_module_of_the_server"), []
    logger.propagate = False                    # as Streamlit's loggers are
    plain_refusals()

    class Keep(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))
    keep = Keep()
    logger.addHandler(keep)
    try:
        try:
            try:
                raise DownloadRefused("サインインが終わっているため、ダウンロードできません（様式4.xlsx）")
            except DownloadRefused as e:
                raise RuntimeError("Callable execution failed") from e          # as Streamlit wraps it
        except RuntimeError:
            logger.exception("Error executing deferred callable for file_id %s", "abc")
        try:
            raise ValueError("a real bug")
        except ValueError:
            logger.exception("Error executing deferred callable for file_id %s", "def")
    finally:
        logger.removeHandler(keep)
    assert lines[0] == "つなぐボード: サインインが終わっているため、ダウンロードできません（様式4.xlsx）"
    assert "Traceback" in lines[1] and "a real bug" in lines[1]              # a real error keeps its traceback
