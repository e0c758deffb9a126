"""The default shared cache: files on the local disk, with atomic `add` and `incr`.

Throttles (and any other count) must agree across gunicorn's worker
processes. Django's file-based cache is shared by every process on the
machine and costs no database write, but its `add` and `incr` read and then
write, so two processes can both win an `add`. This backend serialises those
two under an exclusive lock on one file in the cache folder, and adds
`update`, a read and rewrite in place under a lock of the key's own file. Teams that run
Redis set REDIS_URL instead (config/settings/base.py), where both are atomic,
and PrefixedRedisCache keeps `clear` to the cache's own keys.
"""

import contextlib
import fcntl
import io
import os
import pickle
import re
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache

READ_SIZE = 65536


class BoundedFileBasedCache(FileBasedCache):
    """FileBasedCache bounded by the bytes its files take (OPTIONS["MAX_BYTES"]), not by entries.

    Django's own culling lists the whole folder on every `set` and counts
    entries, which says nothing of their size (a cached page of 500
    commitments is ~380 KB, an empty list 100 bytes). This one counts what
    each process writes and, once that reaches a twentieth of the budget,
    deletes the least recently written files until the folder is back under
    80 % of it: the folder exceeds MAX_BYTES by at most a twentieth per
    worker process between two checks.
    """

    MAX_PATHS = 1024

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self.max_bytes = int(params.get("OPTIONS", {}).get("MAX_BYTES", 64 * 2**20))
        self._written = 0
        self._sizes = {}  # File name: (mtime, size), as this instance's last pass found them.
        self._paths = {}  # (key, version): the key's file, up to MAX_PATHS of them.

    def _key_to_file(self, key, version=None):
        """Return the key's file as Django's does, remembered for MAX_PATHS keys.

        A throttle names its key on every request, and Django validates and
        hashes a key each time it is named.
        """
        path = self._paths.get((key, version))
        if path is None:
            if len(self._paths) >= self.MAX_PATHS:
                self._paths.clear()
            path = self._paths[(key, version)] = super()._key_to_file(key, version)
        return path

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        """Write the entry to a temporary file and rename it over the key's: readers never see half.

        Django's own `set` also does this, but first creates the folder and a
        randomly named file and checks the two names for sameness: three
        times the system calls, on the path of every fresh API read.
        """
        path = self._key_to_file(key, version)
        chunks = [
            pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol),
            pickle.dumps(value, self.pickle_protocol),
        ]
        temporary = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        try:
            descriptor = os.open(temporary, flags, 0o600)
        except FileNotFoundError:  # The folder can be deleted at any time.
            self._createdir()
            descriptor = os.open(temporary, flags, 0o600)
        try:
            with open(descriptor, "wb") as file:
                file.writelines(chunks)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.remove(temporary)
            raise
        self._written += sum(len(chunk) for chunk in chunks)
        if self._written >= self.max_bytes / 20:
            self._written = 0
            self.cull_to_budget()

    def _cull(self):
        """Replaced by cull_to_budget(), which weighs files by their size."""

    # Stored as pickled, not compressed: what it keeps (JSON bodies) is read
    # far more often than written, and decompressing a page costs more than
    # reading its bytes.
    def get(self, key, default=None, version=None):
        try:
            with open(self._key_to_file(key, version), "rb") as file:
                if not self._is_expired(file):
                    return pickle.loads(file.read())
        except FileNotFoundError:
            pass
        except Exception:
            # A file of another format (an older, compressed one) or a torn
            # write, whose bytes unpickling can fail on in almost any way (a
            # missing module, a bad opcode, a wrong type): a miss, and the
            # file goes, rather than an error on every read of the key.
            with contextlib.suppress(OSError):
                os.remove(self._key_to_file(key, version))
        return default

    def _write_content(self, file, timeout, value):
        # Django's `touch` and `add` write through this.
        file.write(pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol))
        file.write(pickle.dumps(value, self.pickle_protocol))

    # Older than this, a temporary file is a write that never finished (its
    # process died between writing and renaming): a whole write takes far less.
    ORPHAN_SECONDS = 60

    def cull_to_budget(self) -> None:
        """Delete the oldest entries until the folder is under budget, and orphaned writes.

        One pass over the folder, which holds thousands of entries; every
        writer runs this as it writes. A file met in an earlier pass is not
        looked at again (a stat() of each was most of a pass's time): an
        entry's name holds its key, and a key's bytes are those of one
        generation's answer, so a file rewritten since then has about the
        same size, and is at worst deleted a little earlier than its turn.
        """
        orphaned_before = time.time() - self.ORPHAN_SECONDS
        known, sizes = self._sizes, {}
        try:
            names = os.listdir(self._dir)
        except FileNotFoundError:
            return
        for name in names:
            if name.endswith(self.cache_suffix):
                value = known.get(name)
                if value is None:
                    try:
                        stat = os.stat(os.path.join(self._dir, name))
                    except OSError:  # Deleted since the listing.
                        continue
                    value = (stat.st_mtime, stat.st_size)
                sizes[name] = value
            elif name.endswith(".tmp"):
                path = os.path.join(self._dir, name)
                with contextlib.suppress(OSError):
                    if os.stat(path).st_mtime < orphaned_before:
                        os.remove(path)
        self._sizes = sizes
        total = sum(size for _, size in sizes.values())
        if total <= self.max_bytes:
            return
        for (_, size), name in sorted((value, name) for name, value in sizes.items()):
            if total <= self.max_bytes * 0.8:
                break
            self._delete(os.path.join(self._dir, name))
            del sizes[name]
            total -= size


class LockingFileBasedCache(BoundedFileBasedCache):
    """BoundedFileBasedCache whose `add`, `incr` and `update` are atomic across processes."""

    def update(self, key, function, timeout=DEFAULT_TIMEOUT, version=None):
        """Store function(the current value, or None) at `key`; return what was stored.

        Atomic across processes under a lock of the key's file alone, and
        rewritten in place: no temporary file and no rename, which ext4
        flushes to disk when it replaces a file. A throttle's count costs a
        few system calls this way, against a millisecond through get and set
        under the folder's lock. A key written by `update` is for `update`
        alone: `get` does not take its lock, so could read it half-written.
        """
        path = self._key_to_file(key, version)
        try:
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            self._createdir()
            descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        # Plain descriptor calls: a Python file object around them (buffers,
        # a flush, a truncate whatever the length) tripled the cost.
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)  # Released when it closes.
            # One read unless it comes back full: a count takes ~100 bytes.
            old = os.pread(descriptor, READ_SIZE, 0)
            while old and len(old) % READ_SIZE == 0:
                if not (chunk := os.pread(descriptor, READ_SIZE, len(old))):
                    break
                old += chunk
            current = None
            stream = io.BytesIO(old)
            with contextlib.suppress(Exception):  # Unreadable bytes: as get() reads them.
                expiry = pickle.load(stream)
                if expiry is None or expiry > time.time():
                    current = pickle.load(stream)
            value = function(current)
            new = pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol)
            new += pickle.dumps(value, self.pickle_protocol)
            os.pwrite(descriptor, new, 0)
            if len(new) < len(old):
                os.ftruncate(descriptor, len(new))
        finally:
            os.close(descriptor)
        return value

    @contextlib.contextmanager
    def _exclusive(self):
        os.makedirs(self._dir, 0o700, exist_ok=True)
        with open(os.path.join(self._dir, "lock"), "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._exclusive():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._exclusive():
            return super().incr(key, delta, version)


class PrefixedRedisCache(RedisCache):
    """Django's RedisCache, whose `clear` deletes only the keys under its own KEY_PREFIX.

    Django's empties the whole Redis database (FLUSHDB): clearing the
    response cache would also wipe the throttles' counts that the default
    cache keeps beside it, and whatever else shares the server. Without a
    prefix there is nothing to tell the cache's keys apart, and it empties
    the database as Django's does.
    """

    def clear(self):
        if not self.key_prefix:
            return super().clear()
        client = self._cache.get_client(write=True)
        pattern = re.sub(r"([\\*?\[\]])", r"\\\1", self.key_prefix) + ":*"
        batch = []
        for key in client.scan_iter(match=pattern, count=1000):
            batch.append(key)
            if len(batch) == 1000:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
        return True
