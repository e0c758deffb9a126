"""The default shared cache: files on the local disk, with atomic `add` and `incr`.

Throttles (and any other count) must agree across gunicorn's worker
processes. Django's file-based cache is shared by every process on the
machine and costs no database write, but its `add` and `incr` read and then
write, so two processes can both win an `add`. This backend serialises those
two under an exclusive lock on one file in the cache folder. Teams that run
Redis set REDIS_URL instead (config/settings/base.py), where both are atomic.
"""

import contextlib
import fcntl
import os

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache


class LockingFileBasedCache(FileBasedCache):
    """FileBasedCache whose `add` and `incr` are atomic across processes."""

    @contextlib.contextmanager
    def _exclusive(self):
        os.makedirs(self._dir, 0o700, exist_ok=True)
        with open(os.path.join(self._dir, "lock"), "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def lock(self, key):
        """Return a context manager that excludes every other process's `lock`, `add`, `incr`."""
        return self._exclusive()

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._exclusive():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._exclusive():
            return super().incr(key, delta, version)
