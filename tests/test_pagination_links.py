"""The list's next and previous links: built once per page, the same as DRF's own."""

import pytest
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from commitments.api.pagination import StrictLimitOffsetPagination

QUERIES = [
    "",
    "limit=10",
    "offset=5",
    "limit=10&offset=30",
    "country=KZ&limit=3&offset=4&status=announced,formalized",
    "search=%E2%9C%93%25&limit=2&offset=2&empty=",
    "x=1&x=2&offset=7&limit=3",
    "offset=0&limit=5",
    # Names on both sides of `offset`, and next to it.
    "ordering=title&as_of=2024-01-01&offset=3&q=a+b%20c&limit=2",
    "offsets=1&offset=2&off=3&offseT=4&limit=1",
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("count", [0, 3, 10, 100])
def test_the_links_are_drfs(query, count):
    request = Request(APIRequestFactory().get(f"/api/commitments/?{query}"))
    ours = StrictLimitOffsetPagination()
    ours.page_bounds(request, count)
    drf = LimitOffsetPagination()
    drf.request, drf.limit, drf.offset, drf.count = request, ours.limit, ours.offset, count
    assert (ours.get_next_link(), ours.get_previous_link()) == (
        drf.get_next_link(),
        drf.get_previous_link(),
    )
