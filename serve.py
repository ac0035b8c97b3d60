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

app = st.App("app.py", middleware=[Middleware(PathGuard, base=lambda: config.get_option("server.baseUrlPath"))])
