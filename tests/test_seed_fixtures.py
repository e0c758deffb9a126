"""The fixtures built from the seed readout load cleanly and idempotently."""

import pytest
from django.apps import apps
from django.core.management import call_command

from commitments.choices import PartyRole, Status
from commitments.generation import DataGeneration
from commitments.models import Commitment, Meeting, Mention, Official
from tests.seed import SEED_FIXTURES

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        model._meta.label: sorted(map(repr, model.objects.values_list()))
        for model in apps.get_app_config("commitments").get_models()
        if not model._meta.label.startswith("commitments.Historical")
        # The data generation counts writes: loading again moves it, as it should.
        and model is not DataGeneration
    }


def test_loading_twice_leaves_the_same_rows():
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    first = snapshot()
    call_command("loaddata", *SEED_FIXTURES, verbosity=0)
    assert snapshot() == first
    assert first["commitments.Commitment"]


def test_the_readout_yields_five_bilateral_talks_in_xian(seed_data):
    talks = Meeting.objects.filter(kind="bilateral_talks")
    assert talks.count() == 5
    assert {m.date.isoformat() for m in talks} == {"2023-04-26"}
    assert {m.city for m in talks} == {"Xi’an"}
    parent = Meeting.objects.get(kind="multilateral_ministerial")
    assert set(parent.children.all()) == set(talks)


def test_every_commitment_has_an_origin_quote_from_its_source(seed_data):
    for commitment in Commitment.objects.prefetch_related("mentions__document"):
        origin = [m for m in commitment.mentions.all() if m.is_origin]
        assert len(origin) == 1, commitment.slug
        mention = origin[0]
        assert mention.document.text[mention.start : mention.end] == mention.quote
        assert commitment.status == Status.ANNOUNCED
        assert commitment.status_date == commitment.meeting.date


def test_consulates_are_one_commitment_per_place_with_the_right_lead(seed_data):
    xian = Commitment.objects.get(slug="kz-consulate-general-xian")
    aktobe = Commitment.objects.get(slug="cn-consulate-general-aktobe")
    assert xian.parties.get(role=PartyRole.LEAD).country_id == "KZ"
    assert aktobe.parties.get(role=PartyRole.LEAD).country_id == "CN"
    assert (
        Mention.objects.get(commitment=xian).quote == Mention.objects.get(commitment=aktobe).quote
    )


def test_ministers_keep_their_alternative_spellings(seed_data):
    minister = Official.objects.get(slug="zheenbek-kulubaev")
    assert minister.name == "Kulubaev Zheenbek Moldokanovich"
    assert "Jeenbek Kulubayev" in minister.aliases
    assert minister.positions.get().country_id == "KG"


def test_heads_of_state_are_officials(seed_data):
    presidents = Official.objects.filter(positions__title="President")
    assert {o.slug for o in presidents} >= {
        "xi-jinping",
        "kassym-jomart-tokayev",
        "emomali-rahmon",
        "serdar-berdimuhamedov",
    }


def test_railway_feasibility_study_binds_three_countries(seed_data):
    railway = Commitment.objects.get(slug="cn-kg-uz-railway-feasibility-study")
    assert set(railway.parties.values_list("country", flat=True)) == {"CN", "KG", "UZ"}
