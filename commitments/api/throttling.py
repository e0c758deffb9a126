"""Rate limits that hold across worker processes, keyed by an address nobody can forge.

DRF's throttles read a request history from the cache, append and write it
back; two workers doing that at once both see the old history and one count
is lost. Here each check runs under a short lock taken with the shared
cache's atomic `add`, so the documented rate holds however many workers
serve. The client's address is the socket's unless settings.NUM_PROXIES in
REST_FRAMEWORK (from TRUSTED_PROXY_COUNT) says how many proxies to believe.
"""

import time

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle

LOCK_SECONDS = 5
LOCK_WAIT_SECONDS = 2.0


class SharedCountThrottle(SimpleRateThrottle):
    """A SimpleRateThrottle whose read-append-write runs under a cross-process lock."""

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        lock_key = f"{key}:lock"
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while not self.cache.add(lock_key, 1, LOCK_SECONDS):
            if time.monotonic() > deadline:
                # The lock's holder died or the cache is overwhelmed: refuse
                # rather than count without it.
                self.history, self.now = [], self.timer()
                return self.throttle_failure()
            time.sleep(0.005)
        try:
            return super().allow_request(request, view)
        finally:
            self.cache.delete(lock_key)


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
