"""Daily digests and meeting invitations, sent for real to a local SMTP server the test starts
(aiosmtpd), read back with the standard library's email module; the .ics parsed with icalendar."""
import datetime as dt
import email
import socket
from email import policy

import pytest

from lib.notify import run as notify
from lib.workbook import schema

TODAY = dt.date(2026, 11, 25)
HOUSEHOLD_NAMES = ("山田世帯", "佐藤世帯", "鈴木世帯", "田中世帯", "高橋世帯")
SECRETS = ("内容ひみつ", "秘密の依頼内容", "ひきこもり", "8050", "本人の希望で")


def hand_built_town(path, *, extra_meeting=None):
    """A small town written as an .xlsx: three agencies (one without an address), five households."""
    from sample_data.generate import write_xlsx
    d = dt.date
    rows = {
        "機関": [["地域包括支援センター", "高齢", None, None, "houkatsu@town.example", "福祉課", "はい"],
               ["社会福祉協議会", "生活困窮", None, None, "shakyo@town.example", "福祉課", "はい"],
               ["居宅介護支援事業所", "高齢", None, None, None, None, "いいえ"]],
        "世帯": [["H-001", "山田世帯", None, "8050、ひきこもり", "あり", "支援中", "地域包括支援センター", "高野", d(2026, 1, 10),
                d(2026, 12, 1), None, "高", None, None, None, "本人の希望で"],
               ["H-002", "佐藤世帯", None, "生活困窮", "あり", "支援中", "地域包括支援センター", "高野", d(2026, 2, 1),
                d(2026, 11, 20), None, None, None, None, None, None],
               ["H-003", "鈴木世帯", None, "ひきこもり", "なし", "見守り", "社会福祉協議会", "谷", d(2026, 3, 1),
                d(2027, 3, 1), None, None, None, None, None, None],
               ["H-004", "田中世帯", None, None, "あり", "終結", "地域包括支援センター", "高野", d(2025, 5, 1),
                d(2026, 11, 26), None, None, None, d(2026, 10, 1), None, None],
               ["H-005", "高橋世帯", None, None, "あり", "受付", "地域包括支援センター", "高野", d(2026, 11, 24),
                None, None, None, None, None, None, None]],
        "経過記録": [[d(2026, 11, 1), "H-001", "地域包括支援センター", "高野", "訪問", "内容ひみつ"],
                 [d(2026, 11, 10), "H-002", "地域包括支援センター", "高野", "電話", "内容ひみつ"],
                 [d(2026, 8, 1), "H-003", "社会福祉協議会", "谷", "訪問", "内容ひみつ"]],
        "支援プラン": [["H-001", "その他", "就労", None, "同行する", "社会福祉協議会が同行", d(2026, 11, 1), "実施中", d(2026, 6, 1)],
                  ["H-002", "その他", "家計", None, "相談", "地域包括支援センター", d(2026, 12, 31), "実施中", d(2026, 6, 1)]],
        "つなぎ": [["T-0001", "H-003", d(2026, 11, 15), "地域包括支援センター", "社会福祉協議会", "つなぎ", "秘密の依頼内容",
                 "依頼中", None, None, None],
                ["T-0002", "H-001", d(2026, 11, 20), "地域包括支援センター", "社会福祉協議会", "つなぎ", "秘密の依頼内容",
                 "受理", d(2026, 11, 24), "谷", "秘密の依頼内容"]],
        "段階履歴": [["H-002", d(2026, 11, 24), "プラン作成", "支援中", "本人の希望で", "高野"]],
        "会議": [["M-1", "重層的支援会議", d(2026, 12, 3), dt.time(13, 30), dt.time(15, 0), "役場2階", "福祉課長", "H-001、H-002",
                None, "地域包括支援センター、社会福祉協議会", None],
               ["M-2", "支援会議", d(2026, 12, 10), dt.time(10, 0), dt.time(11, 0), "役場3階", "福祉課長", "H-003", None,
                "社会福祉協議会、居宅介護支援事業所", None]],
    }
    if extra_meeting:
        rows["会議"][0] = extra_meeting
    tabs = {t.name: [t.column_names] for t in schema.TABS}
    for name, body in rows.items():
        tabs[name] += body
    write_xlsx(tabs, path)
    return path


class Inbox:
    """What the local SMTP server received; `refuse` makes it refuse that many messages first."""

    def __init__(self):
        self.messages = []
        self.refuse = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            return "451 4.3.0 一時的に受け取れません"
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture
def env(tmp_path, smtp):
    path = hand_built_town(tmp_path / "town.xlsx")
    return {"TSUNAGU_WORKBOOK": str(path), "TSUNAGU_SMTP_HOST": "127.0.0.1", "TSUNAGU_SMTP_PORT": str(smtp.port),
            "TSUNAGU_SMTP_STARTTLS": "off", "TSUNAGU_MAIL_FROM": "tsunagu@town.example",
            "TSUNAGU_APP_URL": "https://tsunagu.town.example", "TSUNAGU_STATE_DIR": str(tmp_path / "state"),
            "TSUNAGU_AUDIT_DIR": str(tmp_path / "audit")}


def send(env, *args, day=TODAY):
    return notify.run(["--today", day.isoformat(), *args], env=env)


def by_kind(inbox):
    digests = {m["To"]: m for m in inbox.messages if "毎日のお知らせ" in m["Subject"]}
    invitations = [m for m in inbox.messages if "開催通知" in m["Subject"]]
    return digests, invitations


def body(message):
    return message.get_body(("plain",)).get_content()


def decoded(message) -> str:
    """Every header and every part as a reader gets it (base64 undone: encoded bytes can hold any
    digits by chance, and hide what they carry)."""
    parts = [f"{k}: {v}" for k, v in message.items()]
    for part in message.walk():
        if not part.is_multipart():
            content = part.get_content()
            parts.append(content.decode("utf-8", "replace") if isinstance(content, bytes) else str(content))
    return "\n".join(parts)


def test_digest_content_per_agency_with_ids_and_links_only(env, smtp):
    assert send(env) == 0
    digests, _ = by_kind(smtp)
    assert set(digests) == {"houkatsu@town.example", "shakyo@town.example"}     # 居宅: no address
    houkatsu, shakyo = body(digests["houkatsu@town.example"]), body(digests["shakyo@town.example"])
    link = "https://tsunagu.town.example/setai?id="

    def section(text, title):
        return text.split(f"■ {title}", 1)[1].split("■", 1)[0]

    reviews = section(houkatsu, "見直しの時期")
    assert reviews.index("H-002") < reviews.index("H-001")                     # overdue first
    assert f"H-002 {link}H-002　次回見直し日 令和8年11月20日（5日過ぎ）" in reviews
    assert "H-001" in reviews and "あと6日" in reviews and "H-004" not in reviews   # 終結: not listed
    changes = section(houkatsu, "令和8年11月24日からの変化")
    assert "H-002" in changes and "プラン作成 → 支援中" in changes
    assert "出したつなぎの依頼に「受理」（社会福祉協議会" in changes
    assert "H-005" in changes and "新しく主担当" in changes
    assert "H-003" in section(houkatsu, "応答していない") and "出したつなぎ（社会福祉協議会へ、10日経過・応答待ち）" in houkatsu
    assert "T-0001" not in houkatsu
    waiting = section(shakyo, "応答していない")
    assert "H-003" in waiting and "つなぎ（地域包括支援センターから、10日経過）" in waiting
    assert "H-003" in section(shakyo, "60日以上接触のない世帯") and "116日前" in shakyo
    assert "H-001" in section(shakyo, "期限を過ぎた取組") and "その他の取組 期限 令和8年11月1日（実施中）" in shakyo
    for message in smtp.messages:
        raw = decoded(message)
        assert [n for n in HOUSEHOLD_NAMES if n in raw] == []                  # no 表示名 by default
        assert [s for s in SECRETS if s in raw] == []                          # no 課題, no free text


def test_names_only_when_the_town_allows_them(env, smtp):
    assert send({**env, "TSUNAGU_MAIL_NAMES": "on"}) == 0
    digests, _ = by_kind(smtp)
    assert "H-002 佐藤世帯 https://" in body(digests["houkatsu@town.example"])
    assert [s for s in SECRETS if s in body(digests["houkatsu@town.example"])] == []


def test_a_second_run_the_same_day_sends_nothing_and_the_next_day_sends_again(env, smtp, tmp_path):
    from lib.access import audit
    assert send(env) == 0
    first = len(smtp.messages)
    assert first == 2 + 3            # two digests; invitations: M-1 to two agencies, M-2 to the member only
    assert send(env) == 0
    assert len(smtp.messages) == first
    assert send(env, day=TODAY + dt.timedelta(days=1)) == 0
    assert len(smtp.messages) == first + 2                                   # digests again, invitations not
    log = audit.read(tmp_path / "audit")
    assert (log["event"] == "mail").sum() == first + 2 and set(log["user"]) == {"notify"}


def test_a_refused_send_is_retried_on_the_next_run(env, smtp, tmp_path):
    from lib.access import audit
    smtp.refuse = 1
    assert send(env) == 1                                                     # one message did not go
    sent = len(smtp.messages)
    assert sent == 4
    assert send(env) == 0                                                     # … it goes on the next run
    assert len(smtp.messages) == 5
    log = audit.read(tmp_path / "audit")
    assert (log["event"] == "mail_failed").sum() == 1 and (log["event"] == "mail").sum() == 5


def test_invitations_carry_an_ics_and_an_update_keeps_its_uid(env, smtp, tmp_path):
    import icalendar
    assert send(env) == 0
    _, invitations = by_kind(smtp)
    assert sorted(m["To"] for m in invitations) == ["houkatsu@town.example", "shakyo@town.example", "shakyo@town.example"]
    shien = next(m for m in invitations if "支援会議" in m["Subject"] and "重層" not in m["Subject"])
    assert "第159条" in body(shien) and "H-003" not in shien.as_string()        # secrecy notice, no household
    first = next(m for m in invitations if "重層的支援会議" in m["Subject"] and m["To"] == "shakyo@town.example")
    event = icalendar.Calendar.from_ical(next(first.iter_attachments()).get_content()).walk("VEVENT")[0]
    assert str(event["DTSTART"].dt.tzinfo) == "Asia/Tokyo" and event["DTSTART"].dt.hour == 13
    assert event["DTSTART"].dt.date() == dt.date(2026, 12, 3) and event["LOCATION"] == "役場2階"
    assert int(event["SEQUENCE"]) == 0
    assert [n for n in HOUSEHOLD_NAMES if n in first.as_string()] == []
    uid = str(event["UID"])
    # The meeting moves to 14:00 in another room: the invitation goes again with the same UID.
    hand_built_town(tmp_path / "town.xlsx", extra_meeting=[
        "M-1", "重層的支援会議", dt.date(2026, 12, 3), dt.time(14, 0), dt.time(15, 30), "役場3階", "福祉課長",
        "H-001、H-002", None, "地域包括支援センター、社会福祉協議会", None])
    assert send(env, day=TODAY + dt.timedelta(days=1)) == 0
    updates = [m for m in smtp.messages[len(smtp.messages) - 2:] if "開催通知" in m["Subject"]]
    assert len(updates) == 2 and all(m["Subject"].startswith("【変更】") for m in updates)
    again = next(m for m in updates if m["To"] == "shakyo@town.example")
    changed = icalendar.Calendar.from_ical(next(again.iter_attachments()).get_content()).walk("VEVENT")[0]
    assert str(changed["UID"]) == uid and int(changed["SEQUENCE"]) == 1
    assert changed["DTSTART"].dt.hour == 14 and changed["LOCATION"] == "役場3階"


def test_dry_run_writes_eml_files_and_sends_nothing(env, smtp, tmp_path):
    out = tmp_path / "eml"
    assert send(env, "--dry-run", "--out", str(out)) == 0
    files = sorted(out.iterdir())
    assert len(files) == 5 and smtp.messages == []
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert parsed["To"] == "houkatsu@town.example" and "毎日のお知らせ" in parsed["Subject"]
    assert send(env) == 0 and len(smtp.messages) == 5                         # the dry run logged nothing


def test_an_agency_without_an_address_is_reported(env, capsys):
    from lib.workbook import sources
    from lib.workbook.validate import validate
    send({**env, "TSUNAGU_SMTP_HOST": "127.0.0.1"})
    assert "居宅介護支援事業所" in capsys.readouterr().err
    problems = validate(sources.read_excel(env["TSUNAGU_WORKBOOK"])).problems
    assert [(p.tab, p.column) for p in problems if "お知らせ" in p.message] == [("機関", "メール")]


@pytest.mark.parametrize("written", ["地域包括　支援センター", "地域包括 支援センター", " 地域包括支援センター ", "ちいき"])
def test_an_agency_written_another_way_in_the_meeting_gets_its_invitation(env, smtp, written, capsys):
    """会議.参加機関 spelled with a space (full or half width) is the 機関 tab's agency: it gets the
    invitation at the tab's address, addressed as the tab spells it; an unknown name is reported."""
    from pathlib import Path
    meeting = ["M-1", "重層的支援会議", dt.date(2026, 12, 3), dt.time(13, 30), dt.time(15, 0), "役場2階", "福祉課長",
               "H-001、H-002", None, f"{written}、社会福祉協議会", None]
    hand_built_town(Path(env["TSUNAGU_WORKBOOK"]), extra_meeting=meeting)
    assert send(env) == 0
    _, invitations = by_kind(smtp)
    jusou = [m for m in invitations if "重層的支援会議" in m["Subject"]]
    known = written != "ちいき"
    assert sorted(m["To"] for m in jusou) == (["houkatsu@town.example", "shakyo@town.example"] if known
                                             else ["shakyo@town.example"])
    if known:
        assert "地域包括支援センター 様" in body(jusou[0])              # the 機関 tab's spelling
        assert "地域包括" not in capsys.readouterr().err
    else:
        assert "ちいき" in capsys.readouterr().err                      # no address: said, not silently dropped
