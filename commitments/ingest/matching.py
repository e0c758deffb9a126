"""Restatements: proposals that state again a commitment already recorded."""

import datetime
import re

from django.conf import settings
from django.db.models import Prefetch
from rapidfuzz import fuzz

from ..models import Commitment, CommitmentParty, Mention
from .extractor import Proposal
from .meetings import MeetingProposal
from .rules import Gazetteer

WORD = re.compile(r"[^\W\d_]+|\d+")


def content_words(text: str, ignored: set[str] = frozenset()) -> str:
    """Return the text's words but the ignored ones, lowercased, without plural -s."""
    words = []
    for word in WORD.findall(text.lower()):
        if word in ignored:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    return " ".join(words)


def similarity(mine: str, candidates: list[tuple[str, str]]) -> tuple[float, str]:
    """Return the best similarity (0 to 1) of content words to a candidate's, and its text."""
    return max(
        ((fuzz.token_set_ratio(mine, words) / 100, text) for words, text in candidates),
        default=(0.0, ""),
    )


def attach_matches(
    proposals: list[Proposal],
    meetings: list[MeetingProposal],
    *,
    published_on: datetime.date | None,
    gazetteer: Gazetteer,
    limit: int = 3,
) -> None:
    """Fill each proposal's `matches` with up to `limit` recorded commitments it may restate.

    Candidates have the same party set (or, when none has, share two parties) and
    a meeting within INGEST_MATCH_WINDOW_DAYS of the proposal's; they are ranked by
    text similarity, then by whether the leads are the same.
    """
    dates = [m.date for m in meetings if m.date] or ([published_on] if published_on else [])
    if not proposals or not dates:
        return
    window = datetime.timedelta(days=settings.INGEST_MATCH_WINDOW_DAYS)
    candidates = list(
        Commitment.objects.filter(
            meeting__date__gte=min(dates) - window, meeting__date__lte=max(dates) + window
        )
        .only("slug", "title", "description", "meeting__date")
        .select_related("meeting")
        .prefetch_related(
            Prefetch(
                "parties", queryset=CommitmentParty.objects.only("commitment", "country", "role")
            ),
            Prefetch("mentions", queryset=Mention.objects.only("commitment", "quote")),
        )
    )
    rows = []
    for commitment in candidates:
        parties = {party.country_id: party.role for party in commitment.parties.all()}
        texts = [mention.quote for mention in commitment.mentions.all()]
        texts += [commitment.title] + ([commitment.description] if commitment.description else [])
        rows.append((commitment, parties, texts))
    # Names of countries and groups are in every candidate of the same parties:
    # they tell nothing apart.
    codes = {code for _, parties, _ in rows for code in parties}
    names = [name for name, code in gazetteer.country_names.items() if code in codes]
    ignored = set(content_words(" ".join([*names, *gazetteer.rules.groups])).split())
    ignored |= gazetteer.rules.stopwords
    # Each candidate's words are reduced once, not once per proposal.
    shaped = [
        (commitment, parties, [(content_words(text, ignored), text) for text in texts])
        for commitment, parties, texts in rows
    ]
    for proposal in proposals:
        mine = content_words(proposal.quote, ignored)
        meeting = meetings[proposal.meeting] if proposal.meeting < len(meetings) else None
        when = (meeting.date if meeting else None) or published_on
        codes = proposal.party_codes
        leads = {p.country for p in proposal.parties if p.role == "lead"}
        same = [c for c in shaped if set(c[1]) == codes]
        pool = same or [c for c in shaped if len(set(c[1]) & codes) >= min(2, len(codes))]
        scored = []
        for commitment, parties, texts in pool:
            if when and abs((commitment.meeting.date - when).days) > window.days:
                continue
            score, matched = similarity(mine, texts)
            same_leads = {c for c, role in parties.items() if role == "lead"} == leads
            scored.append((score, same_leads, commitment.slug, commitment.title, matched))
        scored.sort(key=lambda item: (-item[0], not item[1], item[2]))
        proposal.matches = [
            {"slug": slug, "score": round(score, 3), "title": title, "text": matched}
            for score, _, slug, title, matched in scored[:limit]
        ]
