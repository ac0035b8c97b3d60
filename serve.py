"""The server: `streamlit run serve.py` runs app.py behind two guards Streamlit has no setting for.

- /_stcore/metrics (Streamlit's internal counters) answers 404 to everyone;
- a path of more than one part that is not one of Streamlit's own (/a/b, /setai/extra) would load
  the page with its scripts looked for under the wrong folder — a blank page — so it is sent to
  the app's root, which forwards to ホーム like any other unknown path.
"""
import streamlit as st
from starlette.middleware import Middleware
from streamlit import config

from lib.access.web import PathGuard



def _announce_setup() -> None:
    """A real town's first start (no users file yet, not the demo): the one-time setup code on the
    console (lib.access.setup; the setup page says where else it is kept)."""
    import datetime as dt
    import os
    import tomllib
    from pathlib import Path

    from lib import state
    from lib.access import setup, users
    from lib.workbook import sources
    found = Path(__file__).resolve().parent / ".streamlit" / "secrets.toml"
    secrets = tomllib.loads(found.read_text(encoding="utf-8")) if found.exists() else {}
    try:
        sample = sources.resolve(secrets=secrets).is_sample
        where = state.folder(secrets=secrets)
        if users.auth_settings(os.environ, secrets, sample, where).setup:
            print(setup.announce(state.store(where, os.environ, secrets), dt.datetime.now()), flush=True)
    except (sources.SourceError, users.AuthConfigError, OSError) as e:      # the page explains these
        print(f"つなぐボード: 設定を確かめてください（{e}）", flush=True)


_announce_setup()
app = st.App("app.py", middleware=[Middleware(PathGuard, base=lambda: config.get_option("server.baseUrlPath"))])
