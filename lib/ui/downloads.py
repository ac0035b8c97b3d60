"""Downloads: a file built only when the person asks for it, after their sign-in is checked
again (signed out, disabled or removed since the button was drawn: refused and audited), and
audited (who, what, how many households)."""
from __future__ import annotations

import logging
from typing import Callable

import streamlit as st

from lib.access import audit as audit_log
from lib.ui.runtime import secrets
from lib.ui.signin import guard


class DownloadRefused(PermissionError):
    """A download asked for by a session whose sign-in has ended."""


class _PlainRefusal(logging.Filter):
    """An expected refusal (DownloadRefused) reaches the console as one plain line, not as the
    traceback Streamlit logs for a deferred download that raised (it is audited already)."""

    def filter(self, record: logging.LogRecord) -> bool:
        refused = record.exc_info[1] if record.exc_info else None
        while refused is not None and not isinstance(refused, DownloadRefused):    # (Streamlit wraps it)
            refused = refused.__cause__ or refused.__context__
        if isinstance(refused, DownloadRefused):
            record.msg, record.args, record.exc_info, record.exc_text = f"つなぐボード: {refused}", (), None, None
        return True


def plain_refusals() -> None:
    """Put the filter on every Streamlit logger there is (each has its own console handler and does
    not pass records up; the one that logs a deferred download's exception is among them)."""
    for name in list(logging.root.manager.loggerDict):
        if name == "streamlit" or name.startswith("streamlit."):
            logger = logging.getLogger(name)
            if not any(isinstance(f, _PlainRefusal) for f in logger.filters):
                logger.addFilter(_PlainRefusal())


plain_refusals()       # (at the first page run, the server's own modules and their loggers are loaded)


def audited_download(label: str, build: Callable[[], bytes], file_name: str, what: str, households: int,
                     **kwargs) -> None:
    """A download button whose file is built only when the person asks for it, and that request
    is written to the audit log (who, what, how many households) as it is built."""
    who, where, signed_in = st.session_state.get("username") or "", audit_log.folder(secrets=secrets()), guard()

    def on_request() -> bytes:               # runs outside the script (no session state here)
        check = signed_in()                  # signed out, disabled or removed since the button was drawn
        if check.username != who:
            audit_log.record(where, "download_refused", who, what=what, file=file_name, reason=check.reason)
            raise DownloadRefused(f"サインインが終わっているため、ダウンロードできません（{file_name}）")
        audit_log.record(where, "download", who, what=what, file=file_name, households=households)
        return build()

    st.download_button(label, on_request, file_name=file_name, on_click="ignore", **kwargs)


def paper_downloads(label: str, forms: Callable[[], list], file_stem: str, what: str, key: str,
                    households: int = 1) -> None:
    """A printed form (lib.meetings.paperwork) as two buttons side by side: 「label（Excel）」 and
    「label（PDF）」, each built only when asked for and audited."""
    from lib.meetings import paperwork
    left, right = st.columns(2)
    with left:
        audited_download(f"{label}（Excel）", lambda: paperwork.to_xlsx(forms()), f"{file_stem}.xlsx", what=what,
                         households=households, icon=":material/table:", key=f"{key}_xlsx")
    with right:
        audited_download(f"{label}（PDF）", lambda: paperwork.to_pdf(forms()), f"{file_stem}.pdf", what=what,
                         households=households, icon=":material/picture_as_pdf:", key=f"{key}_pdf")
