"""The app's own small state files (sign-in throttling, signed-out cookies, disposal records), kept across restarts
in the state_dir setting (default: the audit log's folder)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from lib import settings
from lib.access import audit


def folder(env=None, secrets=None) -> Path:
    """TSUNAGU_STATE_DIR, else the audit log's folder."""
    configured = settings.get("state_dir", env, secrets)
    return Path(configured) if configured else audit.folder(env, secrets)


def read_json(where: Path, name: str, default):
    """A JSON file's content, or `default` when it is missing or unreadable."""
    try:
        return json.loads((where / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def write_json(where: Path, name: str, data) -> bool:
    """Replace a JSON file atomically; False (never an exception) when it cannot be written."""
    try:
        where.mkdir(parents=True, exist_ok=True)
        temp = where / f".{name}.tmp"
        temp.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
        os.replace(temp, where / name)
        return True
    except OSError:
        return False
