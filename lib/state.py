"""The app's own state, shared by every server process that serves the town.

Two kinds of things live here:
- small files of this machine (the settings a 管理者 saved, import mappings): `read_json`,
  `write_json`, `write_text` in the state folder;
- the state every process must agree on — running meetings (the wall), the one-save-at-a-time
  lock of each workbook, signed-out cookies, the sign-in throttle, the mail log, the setup code
  and the cookie key — behind one small interface, `Store`, chosen by configuration:
  `FolderStore` (default: JSON files in the state folder, each change made under a file lock, so
  several processes on one machine are safe) or `PostgresStore` (TSUNAGU_STATE_URL=postgresql://…,
  for several machines: one row per name, changes in a transaction with the row locked, the save
  lock a PostgreSQL advisory lock).
"""
from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

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
        temp = where / f".{name}.{os.getpid()}.{threading.get_ident()}.tmp"
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


# ---------------------------------------------------------------- the shared state

class StateUnavailable(OSError):
    """The shared state cannot be read or written (its folder or database cannot be reached)."""

    advice = "状態の置き場所（TSUNAGU_STATE_DIR または TSUNAGU_STATE_URL）を管理者が確かめてください。"


class Store:
    """Named JSON values every process of the town shares.

    read(name, default)          the value, or a copy of `default` when there is none;
    update(name, change, default) change(old) → new, made atomically across processes; returns new
                                 (when `change` raises, nothing is written);
    text(name, make)             a text made once by make() and the same for everyone after;
    hold(name)                   a context in which no other process holds the same name.
    """

    description = ""

    def read(self, name: str, default: Any = None) -> Any:
        raise NotImplementedError

    def update(self, name: str, change: Callable[[Any], Any], default: Any = None) -> Any:
        raise NotImplementedError

    def text(self, name: str, make: Callable[[], str]) -> str:
        raise NotImplementedError

    def hold(self, name: str) -> contextlib.AbstractContextManager:
        raise NotImplementedError


# Where the shared state is, as functions take it: a Store, or a state folder (see store()):
Where = Path | Store


# Lock files live here, one per name (their content is never read):
LOCKS = ".locks"


class FolderStore(Store):
    """JSON files in the state folder (0600); each change is made under that name's lock file."""

    def __init__(self, where: Path):
        self.where = Path(where)
        self.description = f"フォルダ {self.where}"

    @staticmethod
    def file_name(name: str) -> str:
        """The file a name is kept in: the name itself when it is a plain file name, else its hash."""
        if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.-]*", name):
            return name
        return "h-" + hashlib.sha256(name.encode()).hexdigest()[:24] + ".json"

    def _lock_path(self, name: str) -> Path:
        safe = hashlib.sha256(name.encode()).hexdigest()[:24]
        return self.where / LOCKS / f"{safe}.lock"

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        """The name's lock file held (filelock: flock on POSIX, LockFileEx on Windows — the library's
        tested path on both, not a hand-written one), across threads and processes."""
        from filelock import FileLock
        path = self._lock_path(name)
        try:
            private_folder(self.where)
            private_folder(path.parent)
            lock = FileLock(path, mode=0o600)
            lock.acquire()
        except OSError as e:
            raise StateUnavailable(f"状態のフォルダに書き込めません（{self.where}）: {e}") from None
        try:
            yield
        finally:
            lock.release()

    def read(self, name: str, default: Any = None) -> Any:
        return read_json(self.where, self.file_name(name), copy.deepcopy(default))

    def update(self, name: str, change: Callable[[Any], Any], default: Any = None) -> Any:
        with self.hold(name):
            new = change(self.read(name, default))
            if not write_json(self.where, self.file_name(name), new):
                raise StateUnavailable(f"状態のファイルを書き込めません（{self.where / self.file_name(name)}）")
            return new

    def _kept_text(self, name: str) -> str:
        try:
            return (self.where / name).read_text(encoding="utf-8").strip()
        except OSError:
            return ""

    def text(self, name: str, make: Callable[[], str]) -> str:
        if kept := self._kept_text(name):
            return kept
        with self.hold(name):                              # two processes starting at once make one
            if kept := self._kept_text(name):
                return kept
            made = make()
            if not write_text(self.where, name, made):
                raise StateUnavailable(f"状態のファイルを書き込めません（{self.where / name}）")
            return made


# The table the PostgreSQL store keeps (one row per name):
TABLE = "tsunagu_state"
# Seconds to wait for the database before saying it cannot be reached:
CONNECT_TIMEOUT = 5


class PostgresStore(Store):
    """One row per name in TABLE; changes in a transaction with the row locked; hold() is a
    PostgreSQL advisory lock. Connections are kept for reuse (one per thread at a time)."""

    def __init__(self, url: str):
        self.url = url
        self.description = "PostgreSQL " + _without_password(url)
        self._idle: list = []
        self._lock = threading.Lock()
        self._ready = False

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Any]:
        import psycopg
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(self.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT)
            if not self._ready:                          # several servers starting at once make one table
                with conn.transaction():
                    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key(TABLE),))
                    conn.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (name text PRIMARY KEY, "
                                 "value jsonb NOT NULL, changed timestamptz NOT NULL DEFAULT now())")
                self._ready = True
            yield conn
        except psycopg.Error as e:
            if conn is not None:
                conn.close()
            raise StateUnavailable(f"共有の状態（{self.description}）を読み書きできません: {(str(e).strip().splitlines() or [''])[0][:200]}") from None
        else:
            with self._lock:
                self._idle.append(conn)

    def read(self, name: str, default: Any = None) -> Any:
        with self._connection() as conn:
            row = conn.execute(f"SELECT value FROM {TABLE} WHERE name = %s", (name,)).fetchone()
        return copy.deepcopy(default) if row is None else row[0]

    def update(self, name: str, change: Callable[[Any], Any], default: Any = None) -> Any:
        from psycopg.types.json import Jsonb
        with self._connection() as conn, conn.transaction():
            conn.execute(f"INSERT INTO {TABLE} (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                         (name, Jsonb(default)))
            old = conn.execute(f"SELECT value FROM {TABLE} WHERE name = %s FOR UPDATE", (name,)).fetchone()[0]
            new = change(old)
            conn.execute(f"UPDATE {TABLE} SET value = %s, changed = now() WHERE name = %s",
                         (Jsonb(json.loads(json.dumps(new, ensure_ascii=False, default=str))), name))
            return new

    def text(self, name: str, make: Callable[[], str]) -> str:
        from psycopg.types.json import Jsonb
        with self._connection() as conn:
            conn.execute(f"INSERT INTO {TABLE} (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                         (name, Jsonb(make())))
            return conn.execute(f"SELECT value FROM {TABLE} WHERE name = %s", (name,)).fetchone()[0]

    @contextlib.contextmanager
    def hold(self, name: str) -> Iterator[None]:
        key = _lock_key(name)
        with self._connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))


def _lock_key(name: str) -> int:
    """The PostgreSQL advisory lock number of a name (64 bits of its hash)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _without_password(url: str) -> str:
    """The URL as it may be shown (postgresql://user@host/db, never the password)."""
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    user = f"{parts.username}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


_stores: dict[str, Store] = {}
_stores_lock = threading.Lock()


def store(where: Path | Store | None = None, env: Mapping[str, str] | None = None,
          secrets: Mapping | None = None) -> Store:
    """The shared state: `where` itself when it is a Store; PostgreSQL when the state_url setting
    names a database; else the state folder `where` (default: the configured one)."""
    if isinstance(where, Store):
        return where
    url = settings.get("state_url", env, secrets)
    key = url or str(where if where is not None else folder(env, secrets))
    with _stores_lock:
        if key not in _stores:
            _stores[key] = PostgresStore(url) if url else FolderStore(Path(key))
        return _stores[key]
