"""What the running Streamlit app is configured with: its secrets (.streamlit/secrets.toml)."""
from __future__ import annotations

import streamlit as st


def secrets() -> dict:
    """secrets.toml as a dict ({} when there is none)."""
    try:
        return st.secrets.to_dict()
    except Exception:   # noqa: BLE001 — no secrets.toml at all: streamlit raises its own not-found error
        return {}
