"""The commitments' JSON kept rendered by the database stays that of the data, after any write."""

import datetime
import io
import threading
import time

import orjson
import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from rest_framework.test import APIRequestFactory

from commitments.api import rendered
from commitments.api.read_path import _object_sql, commitment_json
from commitments.api.rendered import PartyStatus, RenderedCommitment
from commitments.choices import PartyRole, Status
from commitments.models import Commitment, CommitmentParty, Country, Meeting, Mention
from tests.factories import MentionFactory

pytestmark = pytest.mark.django_db

VISA = "cn-kz-mutual-visa-exemption"
URL = ["http://testserver/api/commitments/", "/"]


def objects(statement: str, own: list) -> list[str]:
    page = rendered.source_sql("true") + " ORDER BY c_slug"
    with connection.cursor() as cursor:
        cursor.execute(statement.replace("{page}", page), own)
        return [row[0] for row in cursor.fetchall()]


def assert_rendered_current():
    """Every commitment has a stored object of this code, which reads as rendering it in full.

    And PartyStatus holds each party, no more, with its commitment's status.
    """
    parties = CommitmentParty.objects.values_list(
        "pk", "commitment_id", "country_id", "role", "commitment__status"
    )
    assert sorted(PartyStatus.objects.values_list()) == sorted(parties)
    vendor = connection.vendor
    stored = RenderedCommitment.objects.filter(code=rendered.render_code(vendor))
    assert set(stored.values_list("commitment_id", flat=True)) == set(
        Commitment.objects.values_list("pk", flat=True)
    )
    assert RenderedCommitment.objects.count() == Commitment.objects.count()
    # A day on which some commitments are overdue, and one on which none is.
    for day in ("2100-01-01", "2000-01-01"):
        assert objects(rendered.read_sql(vendor), [day, *URL]) == objects(
            _object_sql(vendor), [day, *URL]
        )


def test_migrate_leaves_every_commitment_rendered_and_every_trigger_in_place(seed_data):
    tables = {
        model._meta.db_table: events
        for model, events in (
            (Commitment, ("INSERT", "UPDATE", "DELETE")),
            (CommitmentParty, ("INSERT", "UPDATE", "DELETE")),
            (Mention, ("INSERT", "UPDATE", "DELETE")),
            (Meeting, ("UPDATE",)),
        )
    }
    expected = {(table, event) for table, events in tables.items() for event in events}
    if connection.vendor == "postgresql":
        expected |= {(table, "TRUNCATE") for table in tables}
    assert rendered.triggers() == expected
    assert Commitment.objects.count() > 10
    assert_rendered_current()


def save_commitment():
    visa = Commitment.objects.get(slug=VISA)
    visa.title = 'Visa exemption, "quoted" \\ and\nnew line ✓'
    visa.save()


def record_status_update(status=Status.COMPLETED, day=datetime.date(2023, 11, 10)):
    Commitment.objects.get(slug=VISA).record_status_update(
        status=status,
        effective_date=day,
        evidence_url="https://example.org/done",
        evidence_title="Done",
        evidence_publisher="Example",
        evidence_excerpt="done",
    )


def queryset_update():
    Commitment.objects.filter(slug__startswith="cn-").update(due_date=datetime.date(2024, 1, 1))


def status_queryset_update():
    """The status column alone, written behind the timeline's back."""
    Commitment.objects.filter(slug__startswith="cn-").update(status=Status.STALLED)


def raw_sql_update():
    table = connection.ops.quote_name(Commitment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET description = %s WHERE slug = %s", ["Raw.", VISA])


def add_party():
    CommitmentParty.objects.create(
        commitment=Commitment.objects.get(slug=VISA),
        country=Country.objects.get(code="UZ"),
        role=PartyRole.PARTNER,
    )


def change_party_role():
    CommitmentParty.objects.filter(commitment__slug=VISA).update(role=PartyRole.PARTNER)


def move_party():
    """A party moved to another commitment changes both."""
    party = CommitmentParty.objects.get(commitment__slug=VISA, country="KZ")
    party.commitment = Commitment.objects.exclude(parties__country="KZ").first()
    party.save()


def delete_parties():
    CommitmentParty.objects.filter(commitment__slug=VISA).delete()


def unmark_origin():
    Mention.objects.filter(commitment__slug=VISA, is_origin=True).update(is_origin=False)


def add_mention():
    MentionFactory(commitment=Commitment.objects.get(slug=VISA), is_origin=False)


def delete_mentions():
    Mention.objects.filter(commitment__slug=VISA).delete()


def rename_meeting():
    meeting = Commitment.objects.get(slug=VISA).meeting
    meeting.title, meeting.city = "Renamed talks", "Xi'an <&>"
    meeting.save()


def move_meeting_date():
    Meeting.objects.update(date=datetime.date(2023, 4, 25))


def delete_commitment():
    """With its parties and mentions, which Django deletes first."""
    Commitment.objects.filter(status_updates__isnull=True).exclude(slug=VISA).first().delete()


def bulk_create():
    meeting = Meeting.objects.first()
    made = Commitment.objects.bulk_create(
        Commitment(
            slug=f"bulk-{n}",
            title=f"Bulk {n}",
            meeting=meeting,
            category="other",
            status_date=meeting.date,
        )
        for n in range(30)
    )
    kz = Country.objects.get(code="KZ")
    CommitmentParty.objects.bulk_create(
        CommitmentParty(commitment=commitment, country=kz, role=PartyRole.LEAD)
        for commitment in made
    )


@pytest.mark.parametrize(
    "write",
    [
        save_commitment,
        record_status_update,
        queryset_update,
        status_queryset_update,
        raw_sql_update,
        add_party,
        change_party_role,
        move_party,
        delete_parties,
        unmark_origin,
        add_mention,
        delete_mentions,
        rename_meeting,
        move_meeting_date,
        delete_commitment,
        bulk_create,
    ],
)
def test_every_write_keeps_the_stored_objects_current(seed_data, write):
    before = objects(rendered.read_sql(connection.vendor), ["2100-01-01", *URL])
    write()
    assert objects(rendered.read_sql(connection.vendor), ["2100-01-01", *URL]) != before
    assert_rendered_current()


def test_loaddata_keeps_the_stored_objects_current(seed_data):
    seed = objects(rendered.read_sql(connection.vendor), ["2100-01-01", *URL])
    save_commitment()
    call_command("loaddata", "commitments", verbosity=0)
    assert objects(rendered.read_sql(connection.vendor), ["2100-01-01", *URL]) == seed
    assert_rendered_current()


def test_the_read_path_reads_the_stored_object_with_the_status_of_the_day_asked_for(seed_data):
    """Shown by a stored object changed behind the triggers' back."""
    visa = Commitment.objects.get(slug=VISA)
    record_status_update(Status.FORMALIZED, datetime.date(2023, 9, 1))
    RenderedCommitment.objects.filter(commitment_id=visa.pk).update(head='{"slug":"stored"')
    request = APIRequestFactory().get("/api/commitments/")
    for as_of, status in ((None, "formalized"), (datetime.date(2023, 5, 1), "announced")):
        page = Commitment.objects.with_status(as_of).with_mentions_count().filter(pk=visa.pk)
        (item,) = commitment_json(page, request=request, as_of=as_of)
        assert item.startswith(b'{"slug":"stored"')
        assert orjson.loads(item)["status"] == status


@pytest.mark.parametrize("stale", ["missing", "other code"])
def test_a_page_with_an_object_missing_or_of_other_code_is_rendered_in_full(seed_data, stale):
    visa = Commitment.objects.get(slug=VISA)
    request = APIRequestFactory().get("/api/commitments/")
    page = Commitment.objects.with_status(None).with_mentions_count().order_by("slug")
    expected = commitment_json(page, request=request, as_of=None)
    stored = RenderedCommitment.objects.filter(commitment_id=visa.pk)
    if stale == "missing":
        stored.delete()
    else:
        stored.update(code="older", head='{"slug":"older"')
    assert None in objects(rendered.read_sql(connection.vendor), ["2100-01-01", *URL])
    assert commitment_json(page, request=request, as_of=None) == expected


def test_install_renders_what_was_written_without_the_triggers(seed_data):
    """As after a migration that rebuilt a table on SQLite, which drops its triggers."""
    rendered.uninstall()
    assert rendered.triggers() == set()
    save_commitment()
    rename_meeting()
    rendered.install()
    assert_rendered_current()


def test_install_restores_one_table_s_lost_triggers_and_renders_again(seed_data):
    """SQLite drops the triggers of the one table a migration rebuilds."""
    party_table = CommitmentParty._meta.db_table
    with connection.cursor() as cursor:
        for table, name in rendered._installed("default"):
            if table == party_table:
                cursor.execute(
                    f"DROP TRIGGER {connection.ops.quote_name(name)} ON {table}"
                    if connection.vendor == "postgresql"
                    else f"DROP TRIGGER {connection.ops.quote_name(name)}"
                )
    assert {table for table, _ in rendered.triggers()} == {
        Commitment._meta.db_table,
        Mention._meta.db_table,
        Meeting._meta.db_table,
    }
    visa = Commitment.objects.get(slug=VISA)
    CommitmentParty.objects.filter(commitment=visa).delete()
    rendered.install()
    assert party_table in {table for table, _ in rendered.triggers()}
    assert_rendered_current()


@pytest.mark.parametrize("stale", ["other code", "missing", "orphan"])
def test_install_renders_again_when_an_object_is_not_the_current_code_s(seed_data, stale):
    visa = Commitment.objects.get(slug=VISA)
    stored = RenderedCommitment.objects.filter(commitment_id=visa.pk)
    if stale == "other code":
        stored.update(code="older", head='{"slug":"older"')
    elif stale == "missing":
        stored.delete()
    else:
        RenderedCommitment.objects.create(commitment_id=10**12, code="x", head="{", tail="}")
    rendered.install()
    assert_rendered_current()


@pytest.mark.parametrize("stale", ["missing", "orphan"])
def test_install_writes_party_statuses_again_when_one_is_missing_or_left_over(seed_data, stale):
    if stale == "missing":
        PartyStatus.objects.filter(country_id="KZ").delete()
    else:
        PartyStatus.objects.create(
            party_id=10**12, commitment_id=10**12, country_id="KZ", role="lead", status="announced"
        )
    rendered.install()
    assert_rendered_current()


def test_install_when_all_is_current_only_checks(seed_data, django_assert_max_num_queries):
    before = rendered._installed("default")
    assert all(rendered._installation(connection.vendor)[1] == before for _ in range(2))
    with django_assert_max_num_queries(5) as captured:
        rendered.install()
    assert not [q for q in captured.captured_queries if "CREATE" in q["sql"].upper()]
    assert rendered._installed("default") == before
    assert_rendered_current()


@pytest.mark.django_db(transaction=True)
def test_flush_and_a_restore_from_backup_leave_the_objects_current(seed_data, tmp_path):
    backup = tmp_path / "backup.json"
    call_command("backup", output=backup, stdout=io.StringIO())
    seed = objects(rendered.read_sql(connection.vendor), ["2100-01-01", *URL])
    call_command("flush", interactive=False, verbosity=0)
    assert RenderedCommitment.objects.count() == 0
    call_command("restore", str(backup), stdout=io.StringIO())
    assert objects(rendered.read_sql(connection.vendor), ["2100-01-01", *URL]) == seed
    assert_rendered_current()


@pytest.mark.django_db(transaction=True)
def test_two_writers_changing_one_commitment_at_once_both_show(seed_data):
    """The second writer's object is rendered after the first commits, from both writes."""
    visa = Commitment.objects.get(slug=VISA)
    written, go, errors = threading.Event(), threading.Event(), []

    def add_party(country, first):
        try:
            with transaction.atomic():
                CommitmentParty.objects.create(
                    commitment_id=visa.pk, country_id=country, role=PartyRole.PARTNER
                )
                if first:
                    written.set()
                    assert go.wait(30)
        except Exception as error:  # Reported below.
            errors.append(error)
        finally:
            connections.close_all()

    first = threading.Thread(target=add_party, args=("UZ", True))
    second = threading.Thread(target=add_party, args=("TJ", False))
    first.start()
    assert written.wait(30)
    second.start()
    time.sleep(0.5)  # Time for the second to write and wait on the first.
    go.set()
    first.join()
    second.join()
    assert not errors, errors
    assert {"UZ", "TJ"} <= set(visa.parties.values_list("country", flat=True))
    assert_rendered_current()
