"""The synthetic corpus: consistent, repeatable, and refused twice."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from commitments.models import Commitment, CommitmentParty, Mention, StatusUpdate
from commitments.synthetic import build_corpus

pytestmark = pytest.mark.django_db


def generate(commitments, seed):
    call_command(
        "generate_data", commitments=commitments, seed=seed, no_progress=True, stdout=io.StringIO()
    )


def test_the_corpus_obeys_the_models_rules():
    generate(300, seed=3)
    assert Commitment.objects.count() == 300
    assert StatusUpdate.objects.exists()
    for commitment in Commitment.objects.select_related("meeting").prefetch_related(
        "status_updates", "mentions__document"
    ):
        commitment.full_clean()
        assert (commitment.status, commitment.status_date) == commitment.projected_status()
        assert commitment.version == 1 + len(commitment.status_updates.all())
        for update in commitment.status_updates.all():
            update.full_clean()
        (origin,) = [m for m in commitment.mentions.all() if m.is_origin]
        assert origin.document.text[origin.start : origin.end] == origin.quote
    parties = CommitmentParty.objects.values_list("commitment_id", flat=True)
    assert set(parties) == set(Commitment.objects.values_list("id", flat=True))
    assert Mention.objects.filter(is_origin=True).count() == 300


def test_the_same_seed_gives_the_same_corpus():
    def shape(corpus):
        return [(table.model.__name__, [row[:3] for row in table.rows]) for table in corpus.tables]

    assert shape(build_corpus(200, seed=11)) == shape(build_corpus(200, seed=11))
    assert shape(build_corpus(200, seed=11)) != shape(build_corpus(200, seed=12))


def test_generating_next_to_existing_data_keeps_it(seed_data):
    before = set(Commitment.objects.values_list("slug", flat=True))
    generate(100, seed=4)
    generate(100, seed=5)
    assert Commitment.objects.count() == len(before) + 200
    assert before <= set(Commitment.objects.values_list("slug", flat=True))


def test_the_same_seed_twice_is_refused():
    generate(10, seed=6)
    with pytest.raises(CommandError, match="already holds commitments generated with seed 6"):
        generate(10, seed=6)
    assert Commitment.objects.count() == 10
