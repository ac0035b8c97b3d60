"""Settings on the 管理 screen: where the workbook is (with 「接続を確かめる」), mail (with
「テストメールを送る」) and the other rows of lib/settings.py marked on_screen — written by
lib/access/configure.py to the one settings file, audited old → new.

Inputs have no keys: each is drawn with the value saved now, and a save compares what was typed
with the values the form was drawn with on the previous run, so a change another 管理者 made
meanwhile is refused by name instead of being overwritten."""
from __future__ import annotations

import os

import streamlit as st

from lib import settings
from lib.access import configure
from lib.access import audit as audit_log
from lib.meetings.agenda import CADENCE_MONTHS, cadence
from lib.notify import run as notify_run
from lib.ui.runtime import secrets
from lib.ui.signin import auth_settings
from lib.ui.widgets import esc
from lib.workbook import schema

_DRAWN = "_settings_drawn"        # the saved values the forms were drawn with (previous run)
_FLASH = "_settings_flash"
DEMO_TEXT = ("デモモード（見本の町・見本のユーザー）では設定は変えられません。見本のユーザーのパスワードは"
             "だれでも知っているためです。町で使うときは `python start.py` で起動し、初期設定コードで最初の管理者を作ります。")
CADENCE_KINDS = [k for k in schema.MEETING_TYPES if k != "その他"]


def _fixed_note(name: str) -> str | None:
    where = configure.fixed_by(name, os.environ, secrets())
    return f"{where} で決まっています（画面では変えられません）。" if where else None


def _text(name: str, saved: dict, *, password: bool = False, help_text: str | None = None) -> str:
    """A text input for one setting: the saved value (placeholder: the default), or the fixed value, disabled."""
    fixed = _fixed_note(name)
    setting = settings.BY_NAME[name]
    label = configure.LABELS[name]
    if password:
        value = ""
        placeholder = "設定済み（変えるときだけ入力）" if settings.get(name, secrets=secrets()) else "（なし）"
    else:
        value = settings.get(name, secrets=secrets()) if fixed else saved.get(name, "")
        placeholder = f"{setting.default}（既定）" if setting.default else "（空）"
    typed = st.text_input(label, value=value, placeholder=placeholder, disabled=bool(fixed),
                          type="password" if password else "default", help=fixed or help_text or setting.meaning,
                          autocomplete="new-password" if password else None)
    if password and not typed:
        return saved.get(name, "")               # empty: keep the password as it is
    return typed


def _row(saved: dict, *names: str) -> list[str]:
    """Text inputs side by side (a password setting as a password input)."""
    values = []
    for column, name in zip(st.columns(len(names)), names):
        with column:
            values.append(_text(name, saved, password=settings.BY_NAME[name].kind == "secret"))
    return values


def _switch(name: str, saved: dict) -> str:
    """A checkbox for an on/off setting; the default is kept as 'not set'."""
    fixed = _fixed_note(name)
    now = settings.get(name, secrets=secrets()) if fixed else (saved.get(name) or settings.BY_NAME[name].default)
    on = st.checkbox(configure.LABELS[name], value=now == "on", disabled=bool(fixed),
                     help=fixed or settings.BY_NAME[name].meaning)
    return _unless_default(name, "on" if on else "off", saved)


def _fixed_caption(*names: str) -> None:
    """One line under a form naming its fields fixed outside the screen (they are drawn grey)."""
    fixed = [f"{configure.LABELS[n]}（{where}）" for n in names if (where := configure.fixed_by(n, os.environ, secrets()))]
    if fixed:
        st.caption("灰色の欄はサーバーの設定で決まっているため、画面では変えられません: " + "、".join(fixed))


def _unless_default(name: str, chosen: str, saved: dict) -> str:
    """A choice equal to the default, for a setting nobody set, stays unset (the default may change)."""
    return "" if chosen == settings.BY_NAME[name].default and not saved.get(name) else chosen


def _say(outcome: configure.Outcome, success: str) -> None:
    if outcome.conflicts:
        st.error("保存していません。\n\n" + "\n".join(f"- {esc(c)}" for c in outcome.conflicts)
                 + "\n\n画面を開き直して、いまの値を確かめてからもう一度保存してください。", icon=":material/sync_problem:")
    if outcome.errors:
        st.error("保存していません。次の欄を直してください。\n\n" + "\n".join(f"- {esc(e)}" for e in outcome.errors),
                 icon=":material/edit_off:")
    if outcome.failed:
        st.error(esc(outcome.failed), icon=":material/block:")
    if outcome.saved:
        st.session_state[_FLASH] = success if outcome.changed else "変更はありませんでした。"
        st.rerun()


def _save(values: dict[str, str], drawn: dict, success: str) -> None:
    who = st.session_state.get("username") or ""
    _say(configure.save(values, drawn, who, os.environ, secrets()), success)


def _drawn() -> tuple[dict, dict]:
    """(the saved values now, the ones the forms were drawn with last run); once a run."""
    saved = settings.saved(os.environ, secrets())
    drawn = st.session_state.get(_DRAWN, saved)
    st.session_state[_DRAWN] = saved
    return saved, drawn


def _flash() -> None:
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(esc(flash), icon=":material/check_circle:")


def workbook_settings() -> None:
    """Where the workbook is, alone (the 「データを読めませんでした」 page of a 管理者)."""
    if auth_settings().demo:
        st.info(DEMO_TEXT, icon=":material/science:")
        return
    st.subheader("ワークブックの場所を直す")
    _flash()
    workbook_form(*_drawn())


def workbook_form(saved: dict, drawn: dict) -> None:
    """Where the workbook is, with 「接続を確かめる」."""
    with st.form("settings_workbook"):
        location = _text("workbook", saved, help_text=(
            "Excel ならファイルの場所（例 `\\\\fileserver\\fukushi\\つなぐボード.xlsx` や `C:\\つなぐボード\\町.xlsx`）、"
            "Google スプレッドシートならその URL。空なら見本の町が開きます。"))
        key_fixed = _fixed_note("service_account_file")
        upload = None
        if not key_fixed:
            has_key = bool(settings.get("service_account_file", secrets=secrets()))
            upload = st.file_uploader("サービスアカウントの鍵（Google スプレッドシートのときだけ。JSON ファイル）",
                                      type=["json"], help="Google Cloud でサービスアカウントの「鍵を追加」→ JSON で"
                                      "ダウンロードしたファイル。スプレッドシートをそのメールアドレスに共有します。"
                                      + (" いまは鍵が保存されています。" if has_key else ""))
        _fixed_caption("workbook", "service_account_file")
        c1, c2 = st.columns(2)
        trial = c1.form_submit_button("接続を確かめる", icon=":material/cable:")
        keep = c2.form_submit_button("保存する", type="primary", icon=":material/save:")
    if not (trial or keep):
        return
    key_path, problem = None, None
    if upload is not None:
        key_path, problem = configure.store_key_file(upload.getvalue(), os.environ, secrets(), trial=not keep)
        if problem:
            st.error(esc(problem), icon=":material/key_off:")
            return
    with st.spinner("ワークブックを読んでいます…"):
        found = configure.try_workbook(location, os.environ, secrets(), key_file=key_path)
    if not found.ok:
        st.error(f"読めませんでした: {esc(found.message)}" + ("（保存していません）" if keep else ""), icon=":material/error:")
        return
    notes = "".join(f"\n- {esc(n)}" for n in found.notes)
    if trial:
        st.success(esc(found.message) + notes, icon=":material/check_circle:")
        return
    values = {"workbook": location}
    if key_path:
        values["service_account_file"] = key_path
    _save(values, drawn, f"保存しました。{found.message}{notes}")


def mail_form(saved: dict, drawn: dict) -> None:
    """Mail server and sender, with 「テストメールを送る」 (with the values on screen, saved or not)."""
    with st.form("settings_mail"):
        c1, c2 = st.columns([3, 1])
        with c1:
            host = _text("smtp_host", saved)
        with c2:
            port = _text("smtp_port", saved)
        user, password = _row(saved, "smtp_user", "smtp_password")
        starttls = _switch("smtp_starttls", saved)
        sender, sender_name = _row(saved, "mail_from", "mail_sender_name")
        names = _switch("mail_names", saved)
        _fixed_caption("smtp_host", "smtp_port", "smtp_starttls", "smtp_user", "smtp_password", "mail_from",
                       "mail_sender_name", "mail_names")
        to = st.text_input("テストメールの宛先", placeholder="自分のメールアドレス")
        c1, c2 = st.columns(2)
        test = c1.form_submit_button("テストメールを送る", icon=":material/forward_to_inbox:")
        keep = c2.form_submit_button("保存する", type="primary", icon=":material/save:")
    values = {"smtp_host": host, "smtp_port": port, "smtp_starttls": starttls, "smtp_user": user,
              "smtp_password": password, "mail_from": sender, "mail_sender_name": sender_name, "mail_names": names}
    if test:
        used = {n: (settings.get(n, secrets=secrets()) if configure.fixed_by(n, os.environ, secrets()) else v)
                for n, v in values.items()}
        with st.spinner("送っています…"):
            problem = notify_run.test_mail(used, to)
        audit_log.record(audit_log.folder(secrets=secrets()), "test_mail", st.session_state.get("username") or "",
                         target=to.strip(), reason=problem or "送信")
        if problem:
            st.error(f"送れませんでした: {esc(problem)}", icon=":material/unsubscribe:")
        else:
            st.success(f"{esc(to.strip())} にテストメールを送りました。届いたか確かめてください。", icon=":material/mark_email_read:")
    if keep:
        _save(values, drawn, "メールの設定を保存しました。")


def other_form(saved: dict, drawn: dict) -> None:
    """The app's address and the rules of the board, meetings, sign-in and records."""
    with st.form("settings_other"):
        app_url = _text("app_url", saved)
        stale, referral, retention = _row(saved, "stale_contact_days", "referral_days", "retention_years")
        st.markdown("**会議を開く間隔**（会議の画面が次の開催日を提案します）")
        fixed = _fixed_note("meeting_cadence")
        every = cadence(settings.get("meeting_cadence", secrets=secrets()))
        names = list(CADENCE_MONTHS)
        months_name = {m: n for n, m in CADENCE_MONTHS.items()}
        columns = st.columns(len(CADENCE_KINDS))
        chosen = []
        for column, kind in zip(columns, CADENCE_KINDS):
            now = months_name.get(every.get(kind, 0), "随時")
            picked = column.selectbox(kind, names, index=names.index(now), disabled=bool(fixed), help=fixed)
            chosen.append(f"{kind}={picked}")
        meetings = _unless_default("meeting_cadence", "、".join(chosen), saved)
        c1, c2 = st.columns([2, 1])
        with c1:
            hours, ttl = _row(saved, "session_hours", "cache_ttl")
        with c2:
            style_fixed = _fixed_note("date_style")
            styles = settings.BY_NAME["date_style"].kind.removeprefix("choice:").split("|")
            style_now = settings.get("date_style", secrets=secrets())
            style = st.radio(configure.LABELS["date_style"], styles, index=styles.index(style_now) if style_now in styles else 0,
                             horizontal=True, disabled=bool(style_fixed), help=style_fixed)
        tiles = _switch("map_tiles", saved)
        backup = _text("backup_dir", saved)
        proxies = _text("trusted_proxies", saved)
        _fixed_caption("app_url", "stale_contact_days", "referral_days", "retention_years", "meeting_cadence",
                       "session_hours", "cache_ttl", "date_style", "map_tiles", "backup_dir", "trusted_proxies")
        keep = st.form_submit_button("保存する", type="primary", icon=":material/save:")
    if keep:
        _save({"app_url": app_url, "stale_contact_days": stale, "referral_days": referral, "retention_years": retention,
               "meeting_cadence": meetings, "session_hours": hours, "cache_ttl": ttl,
               "date_style": _unless_default("date_style", style, saved), "map_tiles": tiles, "backup_dir": backup,
               "trusted_proxies": proxies}, drawn, "設定を保存しました。")


def settings_panel() -> None:
    """The 管理者's settings: the workbook, mail, and the rest."""
    if auth_settings().demo:
        st.info(DEMO_TEXT, icon=":material/science:")
        return
    saved, drawn = _drawn()
    _flash()
    st.markdown("**ワークブック**（町のシート）")
    workbook_form(saved, drawn)
    st.markdown("**メール**（毎日のお知らせと会議の開催通知）")
    mail_form(saved, drawn)
    st.markdown("**画面と運用**")
    other_form(saved, drawn)
    st.caption(f"画面で保存した設定は {settings.settings_file(os.environ, secrets())} にあります（管理者だけが読めるファイル）。"
               "環境変数や secrets.toml に書いた設定はそちらが優先します。")
