"""Fresh anonymous reads answered by the direct path (commitments/api/direct.py).

The direct path must answer exactly as the full stack would, status, headers
and body, and leave to the full stack everything it does not answer itself.
"""

import pytest
from django.core.cache import cache

from commitments import generation
from commitments.api import direct

pytestmark = pytest.mark.django_db

VISA = "cn-kz-mutual-visa-exemption"
# Its SQL holds the meeting's id: compiled again in each data generation.
BY_MEETING = "/api/commitments/?meeting=2023-04-26-xian-cn-kz-talks&limit=2"
DIRECT_READS = [
    "/api/commitments/",
    "/api/commitments/?limit=3&offset=2",
    "/api/commitments/?country=KZ&status=announced,formalized&ordering=-status_date&limit=4",
    "/api/commitments/?as_of=2023-05-01&limit=5",
    f"/api/commitments/{VISA}/",
    f"/api/commitments/{VISA}/?as_of=2023-05-01",
]


@pytest.fixture
def answered_directly(monkeypatch):
    """Return the paths the direct path answered, as they are read."""
    paths = []
    answer = direct.answer

    def spy(request, etag):
        response = answer(request, etag)
        if response is not None:
            paths.append(request.get_full_path())
        return response

    monkeypatch.setattr(direct, "answer", spy)
    return paths


def full_stack(client, settings, url, **headers):
    settings.API_RESPONSE_CACHE = False
    try:
        return client.get(url, **headers)
    finally:
        settings.API_RESPONSE_CACHE = True


@pytest.mark.parametrize("url", DIRECT_READS)
def test_it_answers_a_fresh_read_as_the_full_stack_does(
    api_client, seed_data, settings, answered_directly, url
):
    settings.API_RESPONSE_CACHE = True
    first = api_client.get(url)  # The full stack: it compiles, and the headers are learnt.
    assert first.status_code == 200
    assert answered_directly == []
    generation.new_epoch()  # The cached answer is stale; the data is the same.

    fresh = api_client.get(url)

    assert answered_directly == [url]
    expected = full_stack(api_client, settings, url)
    assert fresh.status_code == expected.status_code == 200
    assert list(fresh.items()) == list(expected.items())
    assert fresh.content == expected.content == first.content


def test_it_sees_a_write_made_since_its_shape_was_compiled(
    api_client, seed_data, settings, answered_directly
):
    from commitments.models import Commitment

    url = "/api/commitments/?limit=50&ordering=title"
    api_client.get(url)
    Commitment.objects.filter(slug=VISA).update(title="A renamed commitment")

    fresh = api_client.get(url)

    assert answered_directly == [url]
    assert fresh.json()["results"][0]["title"] == "A renamed commitment"


@pytest.mark.parametrize(
    ("url", "headers"),
    [
        ("/api/commitments/?limit=abc", {}),
        ("/api/commitments/?limit=5&offset=-1", {}),
        ("/api/commitments/?limit=5&stray=%00", {}),
        ("/api/commitments/?limit=2&offset=99999999999999999999999", {}),
        ("/api/commitments/?limit=2&country=%ED%A0%80", {}),
        ("/api/commitments/?limit=2&%=%", {}),
        ("/api/commitments/?status=nonsense", {}),
        ("/api/commitments/?as_of=2023-02-30", {}),
        ("/api/commitments/?cursor=", {}),
        ("/api/commitments/?cursor=not-a-cursor", {}),
        ("/api/commitments/?format=json", {}),
        ("/api/commitments/?limit=2", {"HTTP_ACCEPT": "application/json; indent=2"}),
        ("/api/commitments/?limit=2", {"HTTP_ACCEPT": "text/html"}),
        ("/api/commitments/no-such-commitment/", {}),
        (f"/api/commitments/{VISA}/?as_of=yesterday", {}),
        (f"/api/commitments/{VISA}/", {"HTTP_IF_NONE_MATCH": '"1"'}),
        (BY_MEETING, {}),
    ],
)
def test_it_leaves_what_it_does_not_answer_to_the_full_stack(
    api_client, seed_data, settings, answered_directly, url, headers
):
    settings.API_RESPONSE_CACHE = True
    for known in ("/api/commitments/?limit=2", f"/api/commitments/{VISA}/", BY_MEETING):
        assert api_client.get(known).status_code == 200
    generation.new_epoch()

    response = api_client.get(url, **headers)

    assert answered_directly == []
    expected = full_stack(api_client, settings, url, **headers)
    assert response.status_code == expected.status_code
    assert response.content == expected.content


def test_it_counts_a_read_against_the_throttle_once(
    api_client, seed_data, settings, answered_directly
):
    settings.API_ANON_THROTTLE_RATE = "3/minute"
    cache.clear()  # The throttles' counts.
    assert api_client.get("/api/commitments/?limit=1").status_code == 200
    assert api_client.get(f"/api/commitments/{VISA}/").status_code == 200
    # Counted by the direct path, answered (404) by the full stack: counted
    # twice, this third read of three would be refused.
    missing = api_client.get("/api/commitments/no-such-commitment/")
    assert missing.status_code == 404

    refused = api_client.get("/api/commitments/?limit=1&offset=1")

    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert answered_directly == []


def test_a_throttled_client_gets_the_full_stacks_429(
    api_client, seed_data, settings, answered_directly
):
    settings.API_ANON_THROTTLE_RATE = "2/minute"
    cache.clear()
    api_client.get("/api/commitments/?limit=1")
    assert api_client.get("/api/commitments/?limit=1&offset=1").status_code == 200
    assert answered_directly == ["/api/commitments/?limit=1&offset=1"]

    refused = api_client.get("/api/commitments/?limit=1&offset=2")

    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "throttled"
