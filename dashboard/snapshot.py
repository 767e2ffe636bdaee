"""Versioned snapshots of small aggregate frames: publish, read current, one atomic switch."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa

log = logging.getLogger(__name__)

# A replaced snapshot stays readable this long, so a reader between "get version" and "get frames" never fails.
RETIRED_TTL_SECONDS = 600


@dataclass(frozen=True)
class Snapshot:
    """One published version: its frames and what produced them."""

    version: int
    as_of: str
    frames: dict[str, pd.DataFrame]
    meta: dict = field(default_factory=dict)


def encode_frame(frame: pd.DataFrame) -> bytes:
    """A frame as Arrow IPC stream bytes."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def decode_frame(data: bytes) -> pd.DataFrame:
    """Arrow IPC stream bytes back to a frame."""
    return pa.ipc.open_stream(pa.py_buffer(data)).read_all().to_pandas()


def now_iso() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class InProcessStore:
    """Snapshots held in this process (the embedded default)."""

    backend = "in-process"

    def __init__(self):
        self._lock = threading.Lock()
        self._current: Snapshot | None = None

    def publish(self, frames: dict[str, pd.DataFrame], as_of: str, meta: dict | None = None) -> int:
        """Make these frames the current snapshot; return its version."""
        with self._lock:
            version = (self._current.version if self._current else 0) + 1
            self._current = Snapshot(version, as_of, dict(frames), dict(meta or {}))
            return version

    def current_version(self) -> int | None:
        """The current version, or None before the first publish."""
        snap = self._current
        return snap.version if snap else None

    def current(self) -> Snapshot | None:
        """The current snapshot, or None before the first publish."""
        return self._current

    def health(self) -> dict:
        """Backend name and reachability."""
        return {"backend": self.backend, "ok": True}


class RedisStore:
    """Snapshots in Redis: one hash per version and one key naming the current version."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "onescreen"):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix

    def _key(self, *parts) -> str:
        return ":".join((self.prefix, *map(str, parts)))

    def publish(self, frames: dict[str, pd.DataFrame], as_of: str, meta: dict | None = None) -> int:
        """Write a new version, then switch 'current' to it and retire the old one in one transaction."""
        version = int(self.client.incr(self._key("version_counter")))
        key = self._key("snap", version)
        mapping = {f"frame:{name}": encode_frame(df) for name, df in frames.items()}
        mapping["meta"] = json.dumps({"as_of": as_of, **(meta or {})})
        self.client.hset(key, mapping=mapping)
        current_key = self._key("current")
        with self.client.pipeline(transaction=True) as pipe:
            old = self.client.get(current_key)
            pipe.set(current_key, version)
            if old is not None and int(old) != version:
                pipe.expire(self._key("snap", int(old)), RETIRED_TTL_SECONDS)
            pipe.execute()
        return version

    def current_version(self) -> int | None:
        """The current version (one GET), or None before the first publish."""
        value = self.client.get(self._key("current"))
        return int(value) if value is not None else None

    def current(self) -> Snapshot | None:
        """The current snapshot read whole from one version's hash."""
        version = self.current_version()
        if version is None:
            return None
        raw = self.client.hgetall(self._key("snap", version))
        if not raw:
            return None
        meta = json.loads(raw.pop(b"meta"))
        frames = {k.decode()[len("frame:"):]: decode_frame(v) for k, v in raw.items()}
        return Snapshot(version, meta.pop("as_of"), frames, meta)

    def health(self) -> dict:
        """Backend name and whether Redis answers."""
        try:
            return {"backend": self.backend, "ok": bool(self.client.ping())}
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised, by health
            return {"backend": self.backend, "ok": False, "error": str(exc)[:200]}


class SnapshotReader:
    """What a worker holds: the current snapshot's frames, re-read only when the version changes."""

    def __init__(self, store):
        self.store = store
        self._snap: Snapshot | None = None
        self._lock = threading.Lock()

    def get(self) -> Snapshot | None:
        """The current snapshot, from memory unless a newer version was published."""
        version = self.store.current_version()
        snap = self._snap
        if snap is not None and snap.version == version:
            return snap
        with self._lock:
            if self._snap is None or self._snap.version != version:
                fresh = self.store.current()
                if fresh is not None:
                    self._snap = fresh
            return self._snap
