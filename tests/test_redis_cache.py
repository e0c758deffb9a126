"""The Redis cache's `clear` empties its own keys, not the server's database.

Runs where Redis does: CI's PostgreSQL pass sets REDIS_URL (.ci/with-redis).
"""

import secrets

import pytest
from django.conf import settings

from commitments.cache import PrefixedRedisCache

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs REDIS_URL (.ci/with-redis)")


def redis_cache(prefix: str) -> PrefixedRedisCache:
    return PrefixedRedisCache(settings.REDIS_URL, {"KEY_PREFIX": prefix})


def test_clearing_one_cache_keeps_the_keys_of_another_on_the_same_server():
    run = secrets.token_hex(4)
    # A prefix with glob characters: matched as written, not as a pattern
    # ("t[1]*" would otherwise also match "t1x").
    responses, counts = redis_cache(f"{run}-t[1]*"), redis_cache(f"{run}-t1x")
    responses.set_many({f"page-{n}": n for n in range(2500)})
    counts.set("throttle", 7)
    responses.clear()
    assert responses.get_many([f"page-{n}" for n in range(2500)]) == {}
    assert counts.get("throttle") == 7
    counts.clear()
    assert counts.get("throttle") is None
