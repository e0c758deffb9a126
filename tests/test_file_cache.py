"""The default shared cache's files: whole entries for readers, atomic updates across processes."""

import multiprocessing
import os
import pickle
import time

import pytest

from commitments.cache import BoundedFileBasedCache, LockingFileBasedCache


def locking(path) -> LockingFileBasedCache:
    return LockingFileBasedCache(str(path), {"OPTIONS": {"MAX_BYTES": 2**20}})


def add_one(path, times: int) -> None:
    cache = locking(path)
    for _ in range(times):
        cache.update("count", lambda value: (value or 0) + 1, 60)


def test_updates_from_several_processes_lose_no_count(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=add_one, args=(tmp_path, 200)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert locking(tmp_path).update("count", lambda value: value, 60) == 800


def test_an_update_sees_nothing_for_an_expired_or_unreadable_entry(tmp_path):
    cache = locking(tmp_path)
    seen = []
    cache.update("key", lambda value: "old", -1)  # Already expired.
    cache.update("key", lambda value: seen.append(value) or "new", 60)
    path = cache._key_to_file("key")
    with open(path, "wb") as file:
        file.write(b"\x80not a pickle")
    cache.update("key", lambda value: seen.append(value) or "again", 60)
    assert seen == [None, None]
    assert cache.update("key", lambda value: value, 60) == "again"


def test_a_shorter_update_leaves_no_trailing_bytes(tmp_path):
    cache = locking(tmp_path)
    cache.update("key", lambda value: "x" * 1000, 60)
    cache.update("key", lambda value: "y", 60)
    with open(cache._key_to_file("key"), "rb") as file:
        pickle.load(file)  # The expiry.
        assert pickle.load(file) == "y"
        assert file.read() == b""


def test_an_update_reads_and_grows_an_entry_longer_than_one_read(tmp_path):
    cache = locking(tmp_path)
    cache.update("key", lambda value: "x" * 200_000, 60)
    assert cache.update("key", lambda value: value + "y", 60) == "x" * 200_000 + "y"
    assert cache.update("key", lambda value: value, 60) == "x" * 200_000 + "y"


def test_set_writes_whole_entries_and_recreates_a_deleted_folder(tmp_path):
    folder = tmp_path / "cache"
    cache = BoundedFileBasedCache(str(folder), {"OPTIONS": {"MAX_BYTES": 2**20}})
    cache.set("page", b"x" * 5000, 60)
    assert cache.get("page") == b"x" * 5000
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    cache.set("page", b"y", 60)
    assert cache.get("page") == b"y"
    # No temporary file is left behind.
    assert [path.suffix for path in folder.iterdir()] == [".djcache"]


@pytest.mark.parametrize("size", [10_000, 100_000])
def test_the_folder_stays_within_its_budget(tmp_path, size):
    cache = BoundedFileBasedCache(str(tmp_path), {"OPTIONS": {"MAX_BYTES": 20 * size}})
    for number in range(100):
        cache.set(f"entry-{number}", b"z" * size, 60)
    total = sum(path.stat().st_size for path in tmp_path.iterdir())
    assert total <= 20 * size * (1 + 1 / 20) + size
    assert cache.get("entry-99") == b"z" * size


def test_writers_sharing_a_folder_count_each_other_s_files(tmp_path):
    """A pass remembers the sizes it has seen; what others wrote since is weighed too."""
    size = 10_000
    writers = [
        BoundedFileBasedCache(str(tmp_path), {"OPTIONS": {"MAX_BYTES": 20 * size}})
        for _ in range(3)
    ]
    for number in range(150):
        writers[number % 3].set(f"entry-{number}", b"z" * size, 60)
    writers[0].cull_to_budget()
    total = sum(path.stat().st_size for path in tmp_path.iterdir())
    assert total <= 20 * size
    # The newest entries stay, whoever wrote them.
    assert all(writer.get("entry-149") == b"z" * size for writer in writers)
    assert writers[1].get("entry-148") == b"z" * size
    assert writers[0].get("entry-0") is None


def test_culling_removes_the_temporary_files_of_writes_that_never_finished(tmp_path):
    cache = BoundedFileBasedCache(str(tmp_path), {"OPTIONS": {"MAX_BYTES": 2**20}})
    cache.set("kept", b"k", 60)
    orphan, ongoing = tmp_path / "a.djcache.1-2.tmp", tmp_path / "b.djcache.3-4.tmp"
    for path in (orphan, ongoing):
        path.write_bytes(b"t" * 1000)
    an_hour_ago = time.time() - 3600
    os.utime(orphan, (an_hour_ago, an_hour_ago))
    cache.cull_to_budget()
    assert {path.name for path in tmp_path.iterdir()} == {
        "b.djcache.3-4.tmp",
        os.path.basename(cache._key_to_file("kept")),
    }
    assert cache.get("kept") == b"k"


# Bytes that fail to unpickle in ways other than a bad pickle: a missing
# module, a type that does not compare with a time, a truncated stream.
GARBAGE = [
    b"cno_such_module_here\nThing\n.",
    pickle.dumps("not a time") + pickle.dumps("value"),
    pickle.dumps(None)[:-1],
    b"",
]


@pytest.mark.parametrize("garbage", GARBAGE)
def test_an_unreadable_entry_is_a_miss_for_get_and_update(tmp_path, garbage):
    cache = locking(tmp_path)
    for key in ("read", "updated"):
        with open(cache._key_to_file(key), "wb") as file:
            file.write(garbage)
    assert cache.get("read", "missed") == "missed"
    assert not os.path.exists(cache._key_to_file("read"))
    assert cache.update("updated", lambda value: [value], 60) == [None]
    assert cache.get("updated") == [None]
