"""Concurrent writers on the real database engine: nothing lost, nothing overwritten."""

import datetime
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client

from commitments.models import Commitment, StatusUpdate
from tests.factories import UserFactory
from tests.seed import SEED_FIXTURES

pytestmark = pytest.mark.django_db(transaction=True)

D = datetime.date
VISA = "cn-kz-mutual-visa-exemption"


@pytest.fixture
def seeded(transactional_db, roles):
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)


def run_in_threads(target, count):
    """Start `count` threads together, each with its own connection, and return their results."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait()
            results[index] = target(index)
        except Exception as exc:  # Reported to the test below.
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_concurrent_status_updates_are_all_kept_and_the_latest_wins(seeded):
    # Effective dates in a shuffled order, so that arrival order and date
    # order disagree; the projection must follow the dates.
    days = [5, 40, 12, 33, 60, 1, 27, 48, 19, 55]
    evidence = "https://example.org/evidence"

    def add(index):
        commitment = Commitment.objects.get(slug=VISA)
        commitment.record_status_update(
            status="in_progress" if index % 2 else "formalized",
            effective_date=D(2023, 5, 1) + datetime.timedelta(days=days[index]),
            evidence_url=f"{evidence}/{index}",
        )

    run_in_threads(add, len(days))
    commitment = Commitment.objects.get(slug=VISA)
    assert commitment.status_updates.count() == len(days)
    latest = days.index(max(days))
    assert commitment.status_date == D(2023, 5, 1) + datetime.timedelta(days=max(days))
    assert commitment.status == ("in_progress" if latest % 2 else "formalized")
    assert commitment.version == 1 + len(days)


def test_two_patches_with_the_same_etag_one_wins(seeded):
    users = [UserFactory(username=f"analyst{n}", group="Analysts") for n in range(2)]

    def patch(index):
        client = Client()
        client.force_login(users[index])
        response = client.patch(
            f"/api/commitments/{VISA}/",
            data=f'{{"title": "Title written by analyst {index}"}}',
            content_type="application/json",
            HTTP_IF_MATCH='"1"',
        )
        return response.status_code

    codes = run_in_threads(patch, 2)
    assert sorted(codes) == [200, 412]
    winner = codes.index(200)
    commitment = Commitment.objects.get(slug=VISA)
    assert commitment.title == f"Title written by analyst {winner}"
    assert commitment.version == 2


def test_readers_and_writers_through_gunicorn_lose_nothing(seeded, capsys):
    call_command("load_test", duration=4, readers=4, writers=3, workers=2, threads=4, json=True)
    import json

    summary = json.loads(capsys.readouterr().out)
    assert summary["database"] == connection.vendor
    assert summary["requests"] > 0
    assert summary["accepted_writes"] > 0
    assert summary["server_errors"] == 0
    assert summary["lost_updates"] == 0
    assert summary["stored_updates"] == StatusUpdate.objects.count()
    assert summary["inconsistent_projections"] == 0


def test_load_test_on_a_port_in_use_says_so(seeded):
    import socket

    from django.core.management.base import CommandError

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Cannot serve on 127.0.0.1:{port}: .*in use"):
            call_command("load_test", duration=1, port=port)


@pytest.mark.postgres
def test_recording_an_update_locks_the_commitment_row(seeded):
    from django.db import OperationalError, transaction

    commitment = Commitment.objects.get(slug=VISA)
    with transaction.atomic():
        commitment.record_status_update(
            status="formalized", effective_date=D(2023, 9, 1), evidence_url="https://example.org/a"
        )

        # Another connection cannot take the row until this transaction ends.
        def try_to_lock(_):
            try:
                with transaction.atomic():
                    Commitment.objects.select_for_update(nowait=True).get(slug=VISA)
            except OperationalError:
                return "locked"
            return "free"

        assert run_in_threads(try_to_lock, 1) == ["locked"]
    assert run_in_threads(try_to_lock, 1) == ["free"]


def test_sqlite_is_configured_for_concurrent_writers(seeded):
    if connection.vendor != "sqlite":
        pytest.skip("checks SQLite's own settings; PostgreSQL needs none")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert connection.settings_dict["OPTIONS"]["timeout"] >= 5


def test_two_analysts_accepting_one_proposal_make_one_commitment(seeded):
    from django.core.exceptions import ValidationError

    from commitments.ingest.models import Proposal
    from commitments.ingest.services import add_source, run_proposer

    source = add_source(
        text=(
            "On May 17, 2024, Chinese Foreign Minister Wang Yi held talks in Beijing with Kazakh "
            "Foreign Minister Murat Nurtleu.\n\nThe two sides agreed to expand trade in "
            "agricultural products."
        ),
        title="Talks",
        publisher="MFA",
        published_on=D(2024, 5, 17),
    )
    run_proposer(source)
    source.proposed_meetings.get().resolve(by=None)
    proposal = source.proposals.get()
    analysts = [UserFactory(username=f"analyst{n}", group="Analysts") for n in range(4)]

    def accept(index):
        try:
            Proposal.objects.get(pk=proposal.pk).accept(by=analysts[index])
        except ValidationError as error:
            return error.messages[0]
        return "accepted"

    outcomes = run_in_threads(accept, 4)
    assert outcomes.count("accepted") == 1
    assert all("already reviewed" in outcome for outcome in outcomes if outcome != "accepted")
    assert Commitment.objects.filter(mentions__document=source).count() == 1


def test_readouts_added_at_once_get_their_own_slugs_and_one_copy_of_a_text(seeded):
    from commitments.ingest.services import DuplicateSource, add_source
    from commitments.models import SourceDocument

    def add(index):
        try:
            source = add_source(
                # Threads 0-3 share a title; 4 and 5 also share a text.
                text=f"China will build road number {min(index, 4)}.",
                title="Talks in Beijing",
                publisher="MFA",
                published_on=D(2024, 5, 17),
            )
        except DuplicateSource:
            return "duplicate"
        return source.slug

    outcomes = run_in_threads(add, 6)
    slugs = [outcome for outcome in outcomes if outcome != "duplicate"]
    assert outcomes.count("duplicate") == 1
    assert len(set(slugs)) == len(slugs) == 5
    assert SourceDocument.objects.filter(title="Talks in Beijing").count() == 5
