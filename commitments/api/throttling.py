"""Rate limits that hold across worker processes, keyed by an address nobody can forge.

DRF's throttles read a request history from the cache, append and write it
back; two workers doing that at once both see the old history and one count
is lost. Here each check runs under a short lock (a flock() of the count's
own file on the default file cache, the cache's atomic `add` on Redis), so the
documented rate holds however many workers serve. The client's address is the
socket's unless settings.NUM_PROXIES in REST_FRAMEWORK (from TRUSTED_PROXY_COUNT)
says how many proxies to believe.
"""

import math
import time

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

LOCK_SECONDS = 5
# The throttles that counted a request already, in its environ (request.META):
# the direct path's count holds for the full stack's answer too (api/direct.py).
COUNTED_BY = "commitments.counted_by_throttles"
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
        if self.rate is None or type(self) in request.META.get(COUNTED_BY, ()):
            # Counted already, by the direct read path (api/direct.py).
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        elapsed = (self.now % self.duration) / self.duration
        allowed = False

        def count(counts):
            nonlocal allowed
            counts = counts or {}
            current, previous = counts.get(window, 0), counts.get(window - 1, 0)
            # Rounded up, so that a burst at the end of one window is never
            # followed by more than the rate's remainder at the next one's start.
            overlap = math.ceil(round(previous * (1 - elapsed), 9))
            allowed = overlap + current < self.num_requests
            if not allowed:
                self.wait_seconds = self.seconds_until_allowed(current, previous, elapsed)
            return {window: current + allowed, window - 1: previous}

        if not locked_update(self.cache, self.key, count, 2 * self.duration):
            # The lock's holder died or the cache is overwhelmed: refuse
            # rather than count without it.
            self.wait_seconds = 1.0
            return False
        return allowed

    def seconds_until_allowed(self, current: int, previous: int, elapsed: float) -> float:
        """Return how long until the weighted count drops below the rate."""
        if current >= self.num_requests or previous == 0:
            return (1 - elapsed) * self.duration
        # ceil(previous * (1 - e)) + current < rate once e passes this fraction.
        needed = 1 - (self.num_requests - current - 1) / previous
        return max((needed - elapsed) * self.duration, 0.0) + 0.001

    def wait(self):
        return self.wait_seconds


def locked_update(cache, key: str, function, timeout: float) -> bool:
    """Store function(the value at `key`, or None) atomically across processes; False if it can't.

    The default file cache does it in place under a lock of the key's file
    (LockingFileBasedCache.update); any other cache (Redis) under a lock taken
    with its atomic `add` and released by `delete`.
    """
    update = getattr(cache, "update", None)
    if update is not None:
        update(key, function, timeout)
        return True
    lock_key = f"{key}:lock"
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not cache.add(lock_key, 1, LOCK_SECONDS):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    try:
        cache.set(key, function(cache.get(key)), timeout)
    finally:
        cache.delete(lock_key)
    return True


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
