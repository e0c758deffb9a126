"""The sliding-window counter behind the API's throttles, on a controlled clock."""

import pytest
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from commitments.api.throttling import AnonymousThrottle


class Clock:
    def __init__(self, now: float):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def throttle(settings):
    settings.API_ANON_THROTTLE_RATE = "10/minute"
    cache.clear()
    clock = Clock(600.0)  # The start of a window.
    made = AnonymousThrottle()
    made.timer = clock
    return made, clock


def allowed(throttle, count: int) -> int:
    request = Request(APIRequestFactory().get("/api/commitments/"))
    return sum(throttle.allow_request(request, None) for _ in range(count))


def test_it_allows_the_rate_within_a_window_and_says_how_long_to_wait(throttle):
    made, clock = throttle
    assert allowed(made, 15) == 10
    clock.now += 15
    assert allowed(made, 1) == 0
    # The window started 15 s ago: the count clears when it ends.
    assert made.wait() == pytest.approx(45, abs=0.01)


def test_a_burst_at_the_end_of_a_window_cannot_be_repeated_at_the_start_of_the_next(throttle):
    # A fixed window would let 10 through at 0:59 and 10 more at 1:00.
    made, clock = throttle
    clock.now += 59
    assert allowed(made, 10) == 10
    clock.now += 2  # 1 s into the next window: the last one still weighs 59/60.
    assert allowed(made, 10) == 0
    clock.now += 30  # Halfway: the last window's 10 now count as 5.
    assert allowed(made, 10) == 5


def test_the_count_keeps_a_constant_size(throttle):
    made, clock = throttle
    for _ in range(5):
        allowed(made, 10)
        clock.now += 60
    # Only this window and the last are kept, whatever the traffic.
    assert len(cache.get(made.key)) == 2
