"""The app's own small state files (sign-in throttling, signed-out cookies, disposal records), kept across restarts
in the state_dir setting (default: the audit log's folder)."""
from __future__ import annotations

import json
import os
from pathlib import Path

from lib import settings


def folder(env=None, secrets=None) -> Path:
    """TSUNAGU_STATE_DIR, else the audit log's folder."""
    return settings.state_folder(env, secrets)


def read_json(where: Path, name: str, default):
    """A JSON file's content, or `default` when it is missing or unreadable."""
    try:
        return json.loads((where / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return default


def private_folder(where: Path) -> None:
    """Make the folder (and missing parents) readable by the app's account only (0700) when created."""
    if not where.is_dir():
        where.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(where, 0o700)               # mkdir's mode is cut by the umask


def write_text(where: Path, name: str, text: str) -> bool:
    """Replace a file atomically, readable by the app's account only (0600: usernames, addresses,
    keys); False (never an exception) when it cannot be written."""
    try:
        private_folder(where)
        temp = where / f".{name}.tmp"
        handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temp, 0o600)                # an older temp file may have had another mode
        os.replace(temp, where / name)
        return True
    except OSError:
        return False


def write_json(where: Path, name: str, data) -> bool:
    """Replace a JSON file atomically (0600, see write_text); False when it cannot be written."""
    return write_text(where, name, json.dumps(data, ensure_ascii=False, default=str))
