"""Integrity rules that the database itself enforces."""

import datetime
import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from commitments.models import Commitment, Country, Mention, Position
from tests.factories import (
    CommitmentFactory,
    CountryFactory,
    MeetingFactory,
    MentionFactory,
    OfficialFactory,
)

pytestmark = pytest.mark.django_db


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


def test_country_code_is_unique_and_two_capitals():
    CountryFactory(code="KZ")
    refused(lambda: Country.objects.create(code="KZ", alpha3="KZX", name="Other"))
    refused(lambda: Country.objects.create(code="kz", alpha3="KZZ", name="Lowercase"))
    refused(lambda: Country.objects.create(code="K", alpha3="KKK", name="Short"))


def test_commitment_slug_is_unique(commitment):
    refused(
        lambda: Commitment.objects.create(
            slug=commitment.slug, title="Again", category="other", meeting=commitment.meeting
        )
    )


def test_only_one_origin_mention_per_commitment(commitment):
    origin = commitment.mentions.get()
    refused(
        lambda: Mention.objects.create(
            commitment=commitment,
            document=origin.document,
            meeting=origin.meeting,
            quote="The end.",
            start=origin.document.text.index("The end."),
            end=origin.document.text.index("The end.") + len("The end."),
            is_origin=True,
        )
    )


def test_mention_offsets_must_be_ordered_and_span_the_quote(commitment):
    origin = commitment.mentions.get()
    refused(lambda: Mention.objects.filter(pk=origin.pk).update(end=origin.start))
    refused(lambda: Mention.objects.filter(pk=origin.pk).update(end=origin.end + 3))


def test_mention_quote_must_match_the_document_text(commitment):
    mention = Mention(
        commitment=commitment,
        document=commitment.mentions.get().document,
        meeting=commitment.meeting,
        quote="not in the text",
        start=0,
        end=len("not in the text"),
    )
    with pytest.raises(ValidationError) as excinfo:
        mention.full_clean()
    assert "quote" in excinfo.value.message_dict


def test_position_end_date_cannot_precede_start_date():
    official = OfficialFactory()
    country = CountryFactory(code="KG")
    position = Position(
        official=official,
        country=country,
        title="Minister",
        start_date=datetime.date(2023, 1, 1),
        end_date=datetime.date(2022, 1, 1),
    )
    with pytest.raises(ValidationError) as excinfo:
        position.full_clean()
    assert "end_date" in excinfo.value.message_dict
    refused(position.save)


def test_reference_data_in_use_is_protected(commitment):
    with pytest.raises(ProtectedError):
        CountryFactory(code="KZ").delete()
    with pytest.raises(ProtectedError):
        commitment.meeting.delete()


def test_commitment_with_a_timeline_cannot_be_deleted(commitment, evidence):
    commitment.record_status_update(
        status="formalized", effective_date=datetime.date(2023, 9, 1), **evidence
    )
    with pytest.raises(ProtectedError):
        commitment.delete()


def test_due_date_before_the_meeting_is_refused():
    commitment = CommitmentFactory.build(
        meeting=MeetingFactory(), due_date=datetime.date(2020, 1, 1)
    )
    with pytest.raises(ValidationError) as excinfo:
        commitment.full_clean()
    assert "due_date" in excinfo.value.message_dict


def test_source_document_hash_follows_its_text():
    mention = MentionFactory()
    document = mention.document
    assert document.sha256 == hashlib.sha256(document.text.encode()).hexdigest()
