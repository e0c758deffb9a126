"""propose_commitments prints the documented JSON and stores nothing; the evaluation runs."""

import io
import json
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from commitments.models import Commitment, Meeting, SourceDocument

pytestmark = pytest.mark.django_db

SEED = settings.BASE_DIR / "seeds/000_44b88345c44fa60a.txt"


def run(*args) -> str:
    out = io.StringIO()
    call_command("propose_commitments", *args, stdout=out)
    return out.getvalue()


def test_the_json_follows_the_contract_and_nothing_is_stored(seeded_data):
    counts = (Commitment.objects.count(), Meeting.objects.count(), SourceDocument.objects.count())
    data = json.loads(run("--file", str(SEED), "--published-on", "2023-04-26", "--json"))
    assert list(data) == ["meetings", "proposals"]
    meeting = data["meetings"][0]
    assert list(meeting) == ["date", "city", "existing", "participants"]
    assert meeting == {
        "date": "2023-04-26",
        "city": "Xi’an",
        "existing": "2023-04-26-xian-cn-kz-talks",
        "participants": [
            {"name": "Qin Gang", "country": "CN", "official": "qin-gang"},
            {"name": "Murat Nurtleu", "country": "KZ", "official": "murat-nurtleu"},
        ],
    }
    text = SEED.read_text(encoding="utf-8")
    keys = ["quote", "start", "end", "meeting", "parties", "category", "title", "confidence",
            "matches"]  # fmt: skip
    for proposal in data["proposals"]:
        assert list(proposal) == keys
        assert text[proposal["start"] : proposal["end"]] == proposal["quote"]
        assert 0 <= proposal["meeting"] < len(data["meetings"])
        assert all(set(party) == {"country", "role"} for party in proposal["parties"])
        assert all(set(match) == {"slug", "score"} for match in proposal["matches"])
        assert 0 < proposal["confidence"] <= 1
    assert counts == (
        Commitment.objects.count(),
        Meeting.objects.count(),
        SourceDocument.objects.count(),
    )


def test_given_meetings_are_used_instead_of_those_read_in_the_text(seeded_data, tmp_path):
    readout = tmp_path / "readout.txt"
    readout.write_text("The two sides agreed to expand trade in agricultural products.")
    data = json.loads(
        run("--file", str(readout), "--meeting", "2023-04-26-xian-cn-kz-talks", "--json")
    )
    assert [m["existing"] for m in data["meetings"]] == ["2023-04-26-xian-cn-kz-talks"]
    (proposal,) = data["proposals"]
    assert proposal["parties"] == [
        {"country": "CN", "role": "lead"},
        {"country": "KZ", "role": "lead"},
    ]


@pytest.mark.parametrize(
    "content, args, message",
    [
        (b"caf\xe9", [], "not UTF-8: byte 0xe9 at position 3"),
        (b"  \n", [], "the file is empty"),
        (b"China will build a road.", ["--meeting", "no-such-meeting"], "no meeting has the slug"),
        (b"China will build a road.", ["--published-on", "2023-02-30"], "not a date"),
    ],
)
def test_unusable_input_is_a_clear_error(db, tmp_path, content, args, message):
    readout = tmp_path / "readout.txt"
    readout.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        run("--file", str(readout), *args)


def test_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        run("--file", str(tmp_path / "missing.txt"))


def test_the_evaluation_scores_each_text_and_writes_the_figures(seeded_data, tmp_path):
    folder = tmp_path / "set"
    (folder / "texts").mkdir(parents=True)
    (folder / "texts/talks.txt").write_text(
        "On May 17, 2024, Chinese Foreign Minister Wang Yi held talks in Beijing with Kazakh "
        "Foreign Minister Murat Nurtleu.\n\nThe two sides agreed to expand trade in farm "
        "produce. They expressed confidence in the future.\n",
        encoding="utf-8",
    )
    (folder / "talks.yaml").write_text(
        """
officials:
  - {slug: wang-yi, name: Wang Yi, positions: [{country: CN, title: Foreign Minister}]}
  - {slug: murat-nurtleu, name: Murat Nurtleu, positions: [{country: KZ, title: Minister}]}
meetings:
  - slug: talks
    date: 2024-05-17
    country: CN
    participants: [{official: wang-yi, role: host}, {official: murat-nurtleu, role: guest}]
commitments:
  - slug: trade
    meeting: talks
    parties: [{country: CN, role: lead}, {country: KZ, role: lead}]
    mentions: [{quote: The two sides agreed to expand trade in farm produce.}]
""",
        encoding="utf-8",
    )
    manifest = folder / "manifest.yaml"
    manifest.write_text(
        "- {slug: talks, file: texts/talks.txt, role: development, published_on: 2024-05-17}\n"
    )
    output = tmp_path / "figures.json"
    call_command(
        "evaluate_extraction", "--manifest", str(manifest), "--output", str(output),
        stdout=io.StringIO(),
    )  # fmt: skip
    figures = json.loads(output.read_text())
    talks = figures["texts"]["talks"]
    assert (talks["recall"], talks["party_set_accuracy"], talks["meeting_accuracy"]) == (1, 1, 1)
    assert talks["proposals_per_annotated_commitment"] == 1
    assert figures["totals"]["training"]["recall"] == 1


def test_the_evaluation_refuses_a_quote_that_is_not_in_its_text(seeded_data, tmp_path):
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts/a.txt").write_text("China will build a road.")
    (tmp_path / "a.yaml").write_text(
        "meetings: []\ncommitments:\n  - {slug: x, meeting: m, parties: [], "
        "mentions: [{quote: China will build a bridge.}]}\n"
    )
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text("- {slug: a, file: texts/a.txt, role: held_out}\n")
    with pytest.raises(CommandError, match="commitment 'x' mention 1: quote not found"):
        call_command(
            "evaluate_extraction", "--manifest", str(manifest), "--output",
            str(tmp_path / "out.json"), stdout=io.StringIO(),
        )  # fmt: skip


def test_the_evaluation_sets_annotations_quote_their_texts():
    # The same checks as build_fixtures: every quote verbatim, references known.
    check = settings.BASE_DIR / "bench/extraction/check_annotations.py"
    result = subprocess.run([sys.executable, str(check)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout
