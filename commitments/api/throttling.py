"""Rate limits that hold across worker processes, keyed by an address nobody can forge.

DRF's throttles read a request history from the cache, append and write it
back; two workers doing that at once both see the old history and one count
is lost. Here each check runs under a short lock (one flock() on the default
file cache, the cache's atomic `add` on Redis), so the documented rate holds
however many workers serve. The client's address is the socket's unless settings.NUM_PROXIES in
REST_FRAMEWORK (from TRUSTED_PROXY_COUNT) says how many proxies to believe.
"""

import contextlib
import math
import time

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

LOCK_SECONDS = 5
LOCK_WAIT_SECONDS = 2.0


class SharedCountThrottle(SimpleRateThrottle):
    """A sliding-window counter, kept in the shared cache and updated under a cross-process lock.

    DRF's own throttle stores every request's time for the whole window, so
    its cache entry (read and written on each request) grows with the rate.
    This keeps two counts, this window's and the last one's, and weighs the
    last by how much of it still overlaps the sliding window (rounded up): a
    constant size, and a burst at one window's end cannot be repeated at the
    next one's start, as it could with fixed windows.
    """

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        elapsed = (self.now % self.duration) / self.duration
        with cross_process_lock(self.cache, f"{self.key}:lock") as locked:
            if not locked:
                # The lock's holder died or the cache is overwhelmed: refuse
                # rather than count without it.
                self.wait_seconds = 1.0
                return False
            counts = self.cache.get(self.key) or {}
            current, previous = counts.get(window, 0), counts.get(window - 1, 0)
            # Rounded up, so that a burst at the end of one window is never
            # followed by more than the rate's remainder at the next one's start.
            overlap = math.ceil(round(previous * (1 - elapsed), 9))
            if overlap + current >= self.num_requests:
                self.wait_seconds = self.seconds_until_allowed(current, previous, elapsed)
                return False
            self.cache.set(self.key, {window: current + 1, window - 1: previous}, 2 * self.duration)
        return True

    def seconds_until_allowed(self, current: int, previous: int, elapsed: float) -> float:
        """Return how long until the weighted count drops below the rate."""
        if current >= self.num_requests or previous == 0:
            return (1 - elapsed) * self.duration
        # ceil(previous * (1 - e)) + current < rate once e passes this fraction.
        needed = 1 - (self.num_requests - current - 1) / previous
        return max((needed - elapsed) * self.duration, 0.0) + 0.001

    def wait(self):
        return self.wait_seconds


@contextlib.contextmanager
def cross_process_lock(cache, lock_key: str):
    """Hold a lock shared by every process using `cache`; yield whether it was had.

    The default file cache locks with one flock() call; any other cache (Redis)
    with its atomic `add`, released by `delete`.
    """
    native = getattr(cache, "lock", None)
    if native is not None:
        with native(lock_key):
            yield True
        return
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not cache.add(lock_key, 1, LOCK_SECONDS):
        if time.monotonic() > deadline:
            yield False
            return
        time.sleep(0.005)
    try:
        yield True
    finally:
        cache.delete(lock_key)


class AnonymousThrottle(SharedCountThrottle, AnonRateThrottle):
    """Limit anonymous clients per IP address (API_ANON_THROTTLE_RATE)."""

    def get_rate(self):
        return settings.API_ANON_THROTTLE_RATE


class TokenEndpointThrottle(SharedCountThrottle):
    """Limit password guessing at the token endpoint per IP (API_TOKEN_THROTTLE_RATE)."""

    scope = "token"

    def get_rate(self):
        return settings.API_TOKEN_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
