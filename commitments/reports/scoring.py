"""The compliance score, defined once for the dashboard and the reports.

The G7/G20 Research Group scores a commitment +1 (kept), 0 (partly, or under
way) or -1 (not kept) and averages the scores. A commitment still "announced"
has no follow-up evidence at all: it is *not assessed*, counted on its own and
left out of the average, so that an unassessed commitment never reads as a 0.
"""

from collections.abc import Mapping

from ..choices import COMPLIANCE_SCORES, Status


def commitment_score(status: str) -> int | None:
    """Return a commitment's score for its status, or None when it is not assessed."""
    if status == Status.ANNOUNCED:
        return None
    return COMPLIANCE_SCORES[status]


def not_assessed(counts: Mapping[str, int]) -> int:
    """Return how many of the counted commitments are not assessed."""
    return counts.get(Status.ANNOUNCED, 0)


def assessed(counts: Mapping[str, int]) -> int:
    """Return how many of the counted commitments have a score."""
    return sum(counts.values()) - not_assessed(counts)


def mean_score(counts: Mapping[str, int]) -> float | None:
    """Return the mean score of {status: count}, or None when nothing is assessed."""
    scored = assessed(counts)
    if not scored:
        return None
    points = sum((commitment_score(status) or 0) * n for status, n in counts.items() if n)
    return points / scored


def as_percentage(score: float | None) -> float | None:
    """Return a mean score on the Research Group's 0-100 % scale: ((score + 1) ÷ 2)."""
    return None if score is None else (score + 1) / 2 * 100
