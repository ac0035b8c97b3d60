"""Send the day's mail: each agency's digest and the meeting invitations, safe to run again.

    python -m lib.notify                        # send (cron / タスク スケジューラで毎朝)
    python -m lib.notify --dry-run --out DIR    # write the messages as .eml files, send nothing
    python -m lib.notify --today 2026-11-25     # as of another day (tests, training)

A sent log in the state folder keeps what went out: a digest goes once per agency per day, an
invitation once per meeting version; what failed is not logged and goes on the next run. Every
send (and every failure) is written to the audit log. Exit status: 0 when everything due went
out (an agency without an address is reported, not counted), 1 when a send failed, 2 when the workbook cannot be read.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import smtplib
import ssl
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

from lib import settings
from lib import state
from lib.access import audit, configure
from lib.casework.agencies import directory
from lib.casework.households import stale_contact_days
from lib.notify import digest as digest_rules
from lib.notify import invite
from lib.workbook import sources

LOG = "notify_log.json"
AUDIT_USER = "notify"


@dataclass
class Outgoing:
    """One message and what to log once it went out."""

    kind: str                 # "digest" or "invitation"
    agency: str
    message: EmailMessage
    log_key: str
    log_value: object
    households: int = 0


@dataclass
class Mailer:
    """SMTP settings; `send` raises OSError / smtplib.SMTPException when the server refuses."""

    host: str
    port: int
    starttls: bool
    user: str
    password: str

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)


def mailer(env, secrets) -> Mailer | None:
    host = settings.get("smtp_host", env, secrets)
    if not host:
        return None
    return Mailer(host, settings.get_int("smtp_port", env, secrets), settings.get("smtp_starttls", env, secrets) == "on",
                  settings.get("smtp_user", env, secrets), settings.get("smtp_password", env, secrets))


def test_mail(values: dict[str, str], to: str, now: dt.datetime | None = None) -> str | None:
    """Send one test message with these mail settings (on-screen values, saved or not): None when
    the server took it, else what went wrong, in Japanese."""
    get = lambda name: (values.get(name) or "").strip() or settings.BY_NAME[name].default   # noqa: E731
    if not get("smtp_host"):
        return "メールサーバーが空です。"
    if not configure.is_mail(to):
        return "送り先のメールアドレスを書いてください。"
    try:
        port = int(get("smtp_port"))
    except ValueError:
        return "ポートは整数で書いてください。"
    sender_address = get("mail_from") or "tsunagu@localhost"
    now = now or dt.datetime.now()
    message = _message(formataddr(("つなぐボード", sender_address)), to.strip(), "【つなぐボード】テストメール",
                       f"つなぐボードからのテストメールです（{now:%Y-%m-%d %H:%M}）。\n"
                       "このメールが届けば、お知らせと開催通知もこの設定で送れます。\n", sender_address.rsplit("@", 1)[-1])
    mail = Mailer(get("smtp_host"), port, get("smtp_starttls") == "on", get("smtp_user"), get("smtp_password"))
    try:
        mail.send(message)
    except smtplib.SMTPAuthenticationError:
        return "メールサーバーがユーザー名かパスワードを受け付けませんでした。"
    except smtplib.SMTPNotSupportedError:
        return "このメールサーバーは STARTTLS に対応していません。STARTTLS を off にするか、ポートを確かめてください。"
    except smtplib.SMTPRecipientsRefused:
        return f"メールサーバーが宛先 {to} を受け付けませんでした。"
    except (smtplib.SMTPException, ssl.SSLError) as e:
        return f"メールサーバーが送信を断りました（{type(e).__name__}: {e}）。"
    except OSError as e:
        return f"メールサーバー {get('smtp_host')}:{port} につながりません（{e.strerror or e}）。"
    return None


def _message(sender: str, to: str, subject: str, body: str, domain: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, to, subject
    message["Message-ID"] = make_msgid(domain=domain)
    message["Date"] = dt.datetime.now(dt.timezone.utc).astimezone()
    message.set_content(body)
    return message


def plan(workbook, today: dt.date, log: dict, env, secrets, now: dt.datetime) -> tuple[list[Outgoing], list[str]]:
    """The messages due today (not yet in the sent log) and the agencies that have no address."""
    from_address = settings.get("mail_from", env, secrets) or "tsunagu@localhost"
    sender, domain = formataddr(("つなぐボード", from_address)), from_address.rsplit("@", 1)[-1]
    app_url = settings.get("app_url", env, secrets)
    sent_digests = log.get("digest", {})
    out: list[Outgoing] = []
    missing: list[str] = []
    for d in digest_rules.digests(workbook, today, log.get("last_digest", {}), stale_days=stale_contact_days(secrets),
                                  app_url=app_url, with_names=settings.get("mail_names", env, secrets) == "on"):
        if d.address is None:
            missing.append(d.agency)
            continue
        if sent_digests.get(d.agency) == today.isoformat():
            continue
        message = _message(sender, d.address, f"【つなぐボード】{d.agency} 毎日のお知らせ {today:%m/%d}", d.text(today), domain)
        out.append(Outgoing("digest", d.agency, message, d.agency, today.isoformat(), d.households))
    tab = directory(workbook)
    versions = log.get("invitation", {})
    for saved in invite.upcoming(workbook, today):
        version = invite.fingerprint(saved)
        for agency in invite.invited(workbook, saved):
            address = tab.mail(agency)
            if address is None:
                if agency not in missing:
                    missing.append(agency)
                continue
            key = f"{saved.row['会議ID']}|{agency}"
            before = versions.get(key)
            if before and before["version"] == version:
                continue
            sequence = before["sequence"] + 1 if before else 0
            subject, body = invite.notice_text(workbook, saved, today, settings.get("mail_sender_name", env, secrets))
            if before:
                subject = "【変更】" + subject
            message = _message(sender, address.strip(), subject, body, domain)
            ics = invite.calendar(saved, agency, sequence=sequence, stamp=now, domain=domain,
                                  description=invite.description(saved))
            message.add_attachment(ics.decode(), subtype="calendar", charset="utf-8", cte="base64",
                                   filename="invite.ics", params={"method": "REQUEST"})
            out.append(Outgoing("invitation", agency, message, key, {"version": version, "sequence": sequence}))
    return out, missing


def run(argv: list[str] | None = None, env=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.notify", description="毎日のお知らせと会議の開催通知をメールで送ります")
    parser.add_argument("--dry-run", action="store_true", help="送らずに、メールを .eml ファイルとして --out に書く")
    parser.add_argument("--out", type=Path, help="--dry-run のときにメールを書くフォルダ")
    parser.add_argument("--today", type=dt.date.fromisoformat, help="この日として送る（例 2026-11-25）")
    args = parser.parse_args(argv)
    env = os.environ if env is None else env
    secrets = sources.secrets_from_files()
    today = args.today or dt.date.today()
    if args.dry_run and args.out is None:
        parser.error("--dry-run には --out（メールを書くフォルダ）が必要です")
    try:
        workbook = sources.load(sources.resolve(env, secrets)).workbook
    except sources.SourceError as e:
        print(f"ワークブックを読めませんでした: {e}\n{e.advice}", file=sys.stderr)
        return 2
    shared = state.store(state.folder(env, secrets), env, secrets)
    audit_dir = audit.folder(env, secrets)
    with shared.hold("notify"):    # two servers' timers at once: the second sees what the first sent
        return _send_all(args, env, secrets, shared, audit_dir, workbook, today)


def _send_all(args, env, secrets, shared: state.Store, audit_dir, workbook, today: dt.date) -> int:
    log = shared.read(LOG, {})
    outgoing, missing = plan(workbook, today, log, env, secrets, dt.datetime.now(dt.timezone.utc))
    for agency in missing:
        print(f"注意: 機関「{agency}」にメールアドレスがないため送れません（機関タブのメール列。データ点検にも出ます）",
              file=sys.stderr)
    if args.dry_run:
        args.out.mkdir(parents=True, exist_ok=True)
        for i, item in enumerate(outgoing, start=1):
            (args.out / f"{i:03d}_{item.kind}.eml").write_bytes(bytes(item.message))
        print(f"{len(outgoing)}通を {args.out} に書きました（送っていません）")
        return 0
    sender = mailer(env, secrets)
    if sender is None and outgoing:
        print("メールサーバーが設定されていません（TSUNAGU_SMTP_HOST）。--dry-run で内容だけ確かめられます。", file=sys.stderr)
        return 1
    failed = 0
    for item in outgoing:
        try:
            sender.send(item.message)
        except (OSError, smtplib.SMTPException) as e:
            failed += 1
            audit.record(audit_dir, "mail_failed", AUDIT_USER, kind=item.kind, agency=item.agency, error=str(e)[:200])
            print(f"送れませんでした（次の実行でもう一度送ります）: {item.agency} {item.kind}: {e}", file=sys.stderr)
            continue
        section = "digest" if item.kind == "digest" else "invitation"
        log.setdefault(section, {})[item.log_key] = item.log_value
        if item.kind == "digest":
            log.setdefault("last_digest", {})[item.agency] = today.isoformat()
        shared.update(LOG, lambda _: log, {})      # after every send: a crash later never sends it twice
        audit.record(audit_dir, "mail", AUDIT_USER, kind=item.kind, agency=item.agency, to=item.message["To"],
                     households=item.households, message_id=item.message["Message-ID"])
    print(f"{len(outgoing) - failed}通を送りました" + (f"（{failed}通は送れませんでした）" if failed else ""))
    return 1 if failed else 0
