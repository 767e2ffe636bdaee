"""Versioned snapshots of small aggregate frames: publish, read current, one atomic switch, one refresher.

Three stores share one interface:
- LocalStore: files in the data folder (the embedded default), shared by the server and the CLI.
- RedisStore: Redis (ONESCREEN_REDIS_URL), shared by every worker and host.
- InProcessStore: memory of one process (tests).

A worker reads through a SnapshotReader, which keeps the last snapshot it read: while the store does not answer
it serves that copy (and says so in /health), and it reads the store again when it answers.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboard.clock import machine_seconds

log = logging.getLogger(__name__)

# A replaced snapshot stays readable this long, so a reader between "get version" and "get frames" never fails.
RETIRED_TTL_SECONDS = 600
# How long a refresher may hold the Redis lock before another may take over (a crashed refresher).
LOCK_TTL_SECONDS = 1800
LOCAL_VERSIONS_KEPT = 3
# While the store does not answer, a reader tries it again at most this often (requests meanwhile get the copy
# in memory at once instead of each waiting for a connection timeout).
STORE_RETRY_SECONDS = 1.0
# Redis timeouts: a request never waits long on a Redis that has gone away.
REDIS_CONNECT_TIMEOUT_SECONDS = 1.0
REDIS_SOCKET_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Snapshot:
    """One published version: its frames and what produced them."""

    version: int
    as_of: str
    frames: dict[str, pd.DataFrame]
    meta: dict = field(default_factory=dict)


# Arrow converts in the calling thread, never in its own thread pool: a daemon thread (a server's refresher or
# reader) converting while the interpreter exits deadlocked the pool's shutdown at exit (seen in CI: pytest
# hung after its last test). The frames are small; one thread is enough.
#
# And no thread is inside Arrow once the interpreter finalizes: a daemon thread that Python stops there (it
# ends a thread that wants the GIL back by unwinding its stack, which Arrow's C++ frames refuse) aborts the
# whole process ("terminate called without an active exception", exit status -6). An exit handler closes the
# gate below and waits for the conversions under way; a conversion asked for after that waits for good (a
# daemon thread waiting on a Python lock is simply dropped at exit).
_gate = threading.Condition()
_converting = 0
_closing = False
EXIT_WAIT_SECONDS = 10.0


@contextlib.contextmanager
def _arrow_work():
    """Count a conversion under way; once the process is exiting, never start one."""
    global _converting
    with _gate:
        while _closing:
            _gate.wait()
        _converting += 1
    try:
        yield
    finally:
        with _gate:
            _converting -= 1
            _gate.notify_all()


@atexit.register
def _close_gate() -> None:
    """At exit: let the conversions under way finish (bounded), start no more."""
    global _closing
    with _gate:
        _closing = True
        _gate.wait_for(lambda: _converting == 0, timeout=EXIT_WAIT_SECONDS)


# Arrow's own buffer compression for stored frames (read back transparently, whatever a version was written
# with): the count columns are small integers in 8 bytes and the keys repeat, so a 10M-row city's snapshot is
# 6.4 MB instead of 76 MB. Writing it costs about as much as the uncompressed bytes did (the file write shrinks),
# reading it back about 0.06 s more per worker load at 10M (27 -> 88 ms); Redis moves and holds 12x fewer bytes
# (docs/benchmarks.md).
FRAME_COMPRESSION = "zstd"


def encode_frame(frame: pd.DataFrame) -> bytes:
    """A frame as Arrow IPC stream bytes, its buffers compressed (FRAME_COMPRESSION)."""
    with _arrow_work():
        table = pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)
        sink = pa.BufferOutputStream()
        options = pa.ipc.IpcWriteOptions(compression=FRAME_COMPRESSION)
        with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
            writer.write_table(table)
        return sink.getvalue().to_pybytes()


def decode_frame(data: bytes) -> pd.DataFrame:
    """Arrow IPC stream bytes back to a frame."""
    with _arrow_work():
        return pa.ipc.open_stream(pa.py_buffer(data)).read_all().to_pandas(use_threads=False)


class InProcessStore:
    """Snapshots held in this process."""

    backend = "in-process"

    def __init__(self, note: dict | None = None):
        self._lock = threading.Lock()
        self._refresh = threading.Lock()
        self._current: Snapshot | None = None
        self._failure: dict | None = None
        self._note = note or {}

    def publish(self, frames: dict[str, pd.DataFrame], as_of: str, meta: dict | None = None) -> int:
        """Make these frames the current snapshot; return its version."""
        with self._lock:
            version = (self._current.version if self._current else 0) + 1
            self._current = Snapshot(version, as_of, dict(frames), dict(meta or {}))
            self._failure = None
            return version

    def current_version(self) -> int | None:
        """The current version, or None before the first publish."""
        snap = self._current
        return snap.version if snap else None

    def current(self) -> Snapshot | None:
        """The current snapshot, or None before the first publish."""
        return self._current

    def current_meta(self) -> tuple[int, dict] | None:
        """The current version and its meta (as_of apart), without its frames; None before the first publish."""
        snap = self._current
        return None if snap is None else (snap.version, dict(snap.meta))

    def record_failure(self, reason: str, at: str) -> None:
        """Remember why the last refresh failed (cleared by the next publish)."""
        since = self._failure["since"] if self._failure else at
        self._failure = {"reason": reason, "at": at, "since": since}

    def last_failure(self) -> dict | None:
        """The failure since the last publish: reason, at, since; None when the last refresh worked."""
        return self._failure

    @contextlib.contextmanager
    def refresh_lock(self):
        """Yield True when this caller may refresh now (no other refresh runs), else False."""
        acquired = self._refresh.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                self._refresh.release()

    def health(self) -> dict:
        """Backend name and reachability."""
        return {"backend": self.backend, "ok": True, **self._note}


class LocalStore:
    """Snapshots as Arrow files in a folder: one sub-folder per version and a `current` file naming one.

    A version is written to a temporary folder and renamed into place; `current` is replaced with
    os.replace, so a reader sees either the old or the new version, never a mix. A file lock keeps one
    refresher at a time across processes (the server's refresh thread and `python -m dashboard refresh`).
    """

    backend = "local"

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self._thread_lock = threading.Lock()

    def _dir(self, version: int) -> Path:
        return self.folder / f"v{version:08d}"

    def _versions(self) -> list[int]:
        return sorted(int(p.name[1:]) for p in self.folder.glob("v[0-9]*") if p.is_dir())

    def publish(self, frames: dict[str, pd.DataFrame], as_of: str, meta: dict | None = None) -> int:
        """Write a new version folder, then switch `current` to it and prune old versions."""
        with self._thread_lock:
            version = max(self._versions(), default=0) + 1
            tmp = self.folder / f".tmp-{version}-{os.getpid()}"
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            for name, frame in frames.items():
                (tmp / f"{name}.arrow").write_bytes(encode_frame(frame))
            (tmp / "meta.json").write_text(json.dumps({"as_of": as_of, **(meta or {})}), encoding="utf-8")
            tmp.rename(self._dir(version))
            pointer = self.folder / f".current-{os.getpid()}"
            pointer.write_text(str(version), encoding="utf-8")
            os.replace(pointer, self.folder / "current")
            (self.folder / "failure.json").unlink(missing_ok=True)
            for old in self._versions()[:-LOCAL_VERSIONS_KEPT]:
                shutil.rmtree(self._dir(old), ignore_errors=True)
            return version

    def current_version(self) -> int | None:
        """The version named by the `current` file (one small read)."""
        try:
            return int((self.folder / "current").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def current_meta(self) -> tuple[int, dict] | None:
        """The current version and its meta (as_of apart), without decoding its frames."""
        version = self.current_version()
        if version is None:
            return None
        try:
            meta = self._meta(version)
        except FileNotFoundError:
            return None  # pruned meanwhile
        meta.pop("as_of", None)
        return version, meta

    def _meta(self, version: int) -> dict:
        """The meta of a version's folder, as_of included (FileNotFoundError once pruned)."""
        return json.loads((self._dir(version) / "meta.json").read_text(encoding="utf-8"))

    def current(self) -> Snapshot | None:
        """The current snapshot read from its folder."""
        version = self.current_version()
        if version is None:
            return None
        folder = self._dir(version)
        try:
            meta = self._meta(version)
            frames = {p.stem: decode_frame(p.read_bytes()) for p in folder.glob("*.arrow")}
        except FileNotFoundError:
            return None  # pruned between the two reads; the caller reads again
        return Snapshot(version, meta.pop("as_of"), frames, meta)

    def record_failure(self, reason: str, at: str) -> None:
        """Write why the last refresh failed, keeping when failures began."""
        previous = self.last_failure()
        since = previous["since"] if previous else at
        (self.folder / "failure.json").write_text(json.dumps({"reason": reason, "at": at, "since": since}))

    def last_failure(self) -> dict | None:
        """The failure since the last publish, if any."""
        try:
            return json.loads((self.folder / "failure.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    @contextlib.contextmanager
    def refresh_lock(self):
        """Yield True when this process holds the folder's refresh lock, else False (another refresh runs)."""
        with open(self.folder / "refresh.lock", "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def health(self) -> dict:
        """Backend name, folder and whether it is writable."""
        return {"backend": self.backend, "ok": os.access(self.folder, os.W_OK), "folder": str(self.folder)}


class RedisStore:
    """Snapshots in Redis: one hash per version and one key naming the current version."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "onescreen"):
        import redis

        self.client = redis.Redis.from_url(
            url, socket_timeout=REDIS_SOCKET_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS
        )
        self.prefix = prefix
        # Versions only grow, even across a Redis that restarted empty: a missing counter starts at the machine's
        # time in seconds, above any version published before (fewer than one publish per second on average is
        # far above what a refresh can do). A repeated version would let a cached answer or an ETag outlive its
        # data. The machine's time, not the app's clock: a version is an identifier, not a time of the data, and
        # the app's clock may be fixed (ONESCREEN_NOW) while versions must still move on.
        self._next_version = self.client.register_script(
            "if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[1]) end "
            "return redis.call('INCR', KEYS[1])"
        )

    def _key(self, *parts) -> str:
        return ":".join((self.prefix, *map(str, parts)))

    def publish(self, frames: dict[str, pd.DataFrame], as_of: str, meta: dict | None = None) -> int:
        """Write a new version, then switch 'current' to it and retire the old one in one transaction."""
        from redis.exceptions import WatchError

        version = int(self._next_version(keys=[self._key("version_counter")], args=[machine_seconds()]))
        key = self._key("snap", version)
        mapping = {f"frame:{name}": encode_frame(df) for name, df in frames.items()}
        mapping["meta"] = json.dumps({"as_of": as_of, **(meta or {})})
        self.client.hset(key, mapping=mapping)
        current_key = self._key("current")
        with self.client.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(current_key)
                    old = pipe.get(current_key)
                    pipe.multi()
                    pipe.set(current_key, version)
                    pipe.delete(self._key("failure"))
                    if old is not None and int(old) != version:
                        pipe.expire(self._key("snap", int(old)), RETIRED_TTL_SECONDS)
                    pipe.execute()
                    break
                except WatchError:  # another publisher switched meanwhile: read again and retry
                    continue
        return version

    def current_version(self) -> int | None:
        """The current version (one GET), or None before the first publish."""
        value = self.client.get(self._key("current"))
        return int(value) if value is not None else None

    def current_meta(self) -> tuple[int, dict] | None:
        """The current version and its meta (as_of apart), without reading its frames."""
        version = self.current_version()
        if version is None:
            return None
        raw = self.client.hget(self._key("snap", version), "meta")
        if raw is None:
            return None
        meta = json.loads(raw)
        meta.pop("as_of", None)
        return version, meta

    def current(self) -> Snapshot | None:
        """The current snapshot read whole from one version's hash."""
        version = self.current_version()
        if version is None:
            return None
        raw = self.client.hgetall(self._key("snap", version))
        if not raw:
            return None
        meta = json.loads(raw.pop(b"meta"))
        frames = {k.decode()[len("frame:") :]: decode_frame(v) for k, v in raw.items()}
        return Snapshot(version, meta.pop("as_of"), frames, meta)

    def record_failure(self, reason: str, at: str) -> None:
        """Store why the last refresh failed, keeping when failures began."""
        previous = self.last_failure()
        since = previous["since"] if previous else at
        self.client.set(self._key("failure"), json.dumps({"reason": reason, "at": at, "since": since}))

    def last_failure(self) -> dict | None:
        """The failure since the last publish, if any."""
        value = self.client.get(self._key("failure"))
        return json.loads(value) if value else None

    @contextlib.contextmanager
    def refresh_lock(self):
        """Yield True when this caller holds the Redis refresh lock (expires if a refresher dies)."""
        lock = self.client.lock(self._key("refresh-lock"), timeout=LOCK_TTL_SECONDS, blocking=False)
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                with contextlib.suppress(Exception):
                    lock.release()

    def health(self) -> dict:
        """Backend name and whether Redis answers."""
        try:
            return {"backend": self.backend, "ok": bool(self.client.ping())}
        except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised, by health
            return {"backend": self.backend, "ok": False, "error": str(exc)[:200]}


def safe_url(url: str) -> str:
    """A URL fit for a log line: any password replaced by ***."""
    return re.sub(r"(//[^:/@]*:)[^@/]*@", r"\1***@", url)


def open_store(redis_url: str | None, redis_prefix: str, data_dir: Path):
    """Redis when a URL is set, otherwise the local folder store. A Redis that does not answer at start is still
    the store: readers serve what they hold (nothing yet) and try again, so that every worker and host converges
    on Redis's one version when it answers, instead of each publishing versions of its own."""
    if not redis_url:
        return LocalStore(Path(data_dir) / "snapshots")
    store = RedisStore(redis_url, redis_prefix)
    status = store.health()
    if not status["ok"]:
        log.error("Redis at %s does not answer (%s); serving what is in memory and trying again",
                  safe_url(redis_url), status.get("error"))
    return store


class SnapshotReader:
    """What a worker holds: the current snapshot's frames, re-read only when the version changes, and kept while
    the store does not answer."""

    def __init__(self, store, retry_seconds: float = STORE_RETRY_SECONDS):
        self.store = store
        self.retry_seconds = retry_seconds
        self._snap: Snapshot | None = None
        self._lock = threading.Lock()
        self._error: str | None = None
        self._retry_at = 0.0  # time.monotonic() before which a failed store is not asked again

    def get(self) -> Snapshot | None:
        """The current snapshot, from memory unless a newer version was published (or the store is down). While the
        store is down, one request a second asks it again (it claims the try before asking); the others are served
        from memory at once."""
        if self._error is not None:
            with self._lock:
                if time.monotonic() < self._retry_at:
                    return self._snap
                self._retry_at = time.monotonic() + self.retry_seconds
        try:
            version = self.store.current_version()
            snap = self._snap
            if snap is None or snap.version != version:
                with self._lock:
                    if self._snap is None or self._snap.version != version:
                        fresh = self.store.current()
                        if fresh is not None:
                            self._snap = fresh
        except Exception as exc:  # noqa: BLE001 - a store outage must not break pages: serve what we hold
            self._failed(exc)
            return self._snap
        if self._error is not None:
            log.warning("snapshot store answers again; version %s", version)
            self._error = None
        return self._snap

    def _failed(self, exc: Exception) -> None:
        if self._error is None:
            held = self._snap.version if self._snap else None
            log.warning("snapshot store unreachable, serving version %s from memory: %s", held, exc)
        self._error = str(exc)[:200] or type(exc).__name__
        self._retry_at = time.monotonic() + self.retry_seconds

    @property
    def store_error(self) -> str | None:
        """Why the store did not answer the last time it was asked (None: it answered)."""
        return self._error

    def status(self) -> dict:
        """Where pages' data comes from now: the store, or this process's memory while the store is down."""
        held = self._snap.version if self._snap else None
        if self._error is None:
            return {"serving": "store", "version_in_memory": held}
        return {"serving": "memory", "version_in_memory": held, "store_error": self._error}
