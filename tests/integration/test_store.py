"""Snapshots published to and read from the in-process store and real Redis."""

from __future__ import annotations

import threading

import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

from dashboard.snapshot import RETIRED_TTL_SECONDS, InProcessStore, LocalStore, RedisStore, SnapshotReader


@pytest.fixture(params=["in-process", "redis"])
def store(request):
    if request.param == "in-process":
        return InProcessStore()
    url = request.getfixturevalue("redis_url")
    return RedisStore(url, prefix=request.getfixturevalue("redis_prefix"))


def frames(n: int) -> dict[str, pd.DataFrame]:
    return {
        "units": pd.DataFrame({"code": ["230102", "230103"], "name_zh": ["道里区", "南岗区"], "n": [n, n]}),
        "other": pd.DataFrame({"version_written": [n], "x": [1.5]}),
    }


def test_publish_and_read_back(store):
    assert store.current_version() is None and store.current() is None
    v1 = store.publish(frames(1), as_of="2026-11-22T00:00:00+00:00", meta={"rows": 10})
    assert store.current_meta() == (v1, {"rows": 10})
    v2 = store.publish(frames(2), as_of="2026-11-22T01:00:00+00:00")
    assert v2 == v1 + 1 and store.current_version() == v2
    snap = store.current()
    assert snap.as_of == "2026-11-22T01:00:00+00:00"
    for name, frame in frames(2).items():
        assert_frame_equal(snap.frames[name], frame)
    assert store.health()["ok"]


def test_stored_frames_are_compressed_and_read_back_equal(tmp_path, redis_url, redis_prefix):
    """A snapshot's files and Redis values hold compressed Arrow: a day-by-unit frame of repeated keys and small
    counts takes under a fifth of its uncompressed Arrow size, and reads back equal."""
    rows = 100_000
    frame = pd.DataFrame({
        "unit": [f"2301{i % 18:02d}" for i in range(rows)],
        "day": [f"2026-{1 + i // 9000 % 12:02d}-{1 + i % 28:02d}" for i in range(rows)],
        "submitted": [i % 7 for i in range(rows)],
        "on_time": [i % 3 for i in range(rows)],
    })
    raw = pa.BufferOutputStream()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pa.ipc.new_stream(raw, table.schema) as writer:
        writer.write_table(table)
    uncompressed = raw.getvalue().size
    local = LocalStore(tmp_path)
    version = local.publish({"req_day": frame}, as_of="a")
    assert (tmp_path / f"v{version:08d}" / "req_day.arrow").stat().st_size < uncompressed / 5
    redis = RedisStore(redis_url, prefix=redis_prefix)
    version = redis.publish({"req_day": frame}, as_of="a")
    assert len(redis.client.hget(redis._key("snap", version), "frame:req_day")) < uncompressed / 5
    for read in (local.current(), redis.current()):
        assert_frame_equal(read.frames["req_day"], frame)
    assert local.current_meta() == (local.current_version(), {})


def test_reader_keeps_frames_until_the_version_changes(store):
    store.publish(frames(1), as_of="a")
    reader = SnapshotReader(store)
    first = reader.get()
    assert reader.get() is first
    store.publish(frames(2), as_of="b")
    assert reader.get().frames["units"]["n"].tolist() == [2, 2]


def test_readers_never_see_a_mix_of_versions(store):
    store.publish(frames(0), as_of="0")
    errors = []

    def read():
        for _ in range(200):
            snap = store.current()
            if snap is None:
                continue
            n = snap.frames["units"]["n"].iloc[0]
            if snap.frames["other"]["version_written"].iloc[0] != n:
                errors.append(snap.version)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    for n in range(1, 40):
        store.publish(frames(n), as_of=str(n))
    for thread in readers:
        thread.join()
    assert not errors


def test_redis_retires_the_replaced_version(redis_url, redis_prefix):
    store = RedisStore(redis_url, prefix=redis_prefix)
    v1 = store.publish(frames(1), as_of="a")
    v2 = store.publish(frames(2), as_of="b")
    assert 0 < store.client.ttl(f"{redis_prefix}:snap:{v1}") <= RETIRED_TTL_SECONDS
    assert store.client.ttl(f"{redis_prefix}:snap:{v2}") == -1  # the current version never expires
