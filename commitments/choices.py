"""The controlled vocabularies of the tracker, defined once and reused everywhere."""

from django.db import models


class Status(models.TextChoices):
    """Where a commitment stands in the world."""

    ANNOUNCED = "announced", "Announced"
    FORMALIZED = "formalized", "Formalized"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    STALLED = "stalled", "Stalled"
    CANCELLED = "cancelled", "Cancelled"

    @classmethod
    def closed(cls) -> list[str]:
        """Return the statuses after which a due date no longer matters."""
        return [cls.COMPLETED, cls.CANCELLED]

    @classmethod
    def needing_evidence(cls) -> list[str]:
        """Return the statuses that may only be recorded with evidence."""
        return [status for status in cls.values if status != cls.ANNOUNCED]


# The compliance score of the G7/G20 Research Group's method: kept +1, not yet
# known 0, broken -1.
COMPLIANCE_SCORES = {
    Status.COMPLETED: 1,
    Status.FORMALIZED: 0,
    Status.IN_PROGRESS: 0,
    Status.ANNOUNCED: 0,
    Status.STALLED: -1,
    Status.CANCELLED: -1,
}


class Category(models.TextChoices):
    """What a commitment is about."""

    VISA_REGIME = "visa_regime", "Visa regime"
    CONSULAR_PRESENCE = "consular_presence", "Consular presence"
    TRANSPORT_CONNECTIVITY = "transport_connectivity", "Transport and connectivity"
    CULTURE_PEOPLE = "culture_people", "Culture and people-to-people"
    INDUSTRY_INVESTMENT = "industry_investment", "Industry and investment"
    TRADE = "trade", "Trade"
    HEALTH_MEDICINE = "health_medicine", "Health and medicine"
    EDUCATION_TRAINING = "education_training", "Education and training"
    DEVELOPMENT = "development", "Development and poverty reduction"
    SCIENCE_INNOVATION = "science_innovation", "Science, technology and innovation"
    POLITICAL_SUPPORT = "political_support", "Political support"
    SECURITY = "security", "Security"
    INSTITUTIONAL_MECHANISM = "institutional_mechanism", "Institutional mechanism"
    OTHER = "other", "Other"


class PartyRole(models.TextChoices):
    """What a country does in a commitment."""

    LEAD = "lead", "Lead (does it)"
    PARTNER = "partner", "Partner"
    BENEFICIARY = "beneficiary", "Beneficiary"
    SUPPORTER = "supporter", "Supporter"


class MeetingKind(models.TextChoices):
    """The diplomatic format of a meeting."""

    BILATERAL_TALKS = "bilateral_talks", "Bilateral talks"
    MULTILATERAL_MINISTERIAL = "multilateral_ministerial", "Multilateral ministerial"
    SUMMIT = "summit", "Summit"
    STATE_VISIT = "state_visit", "State visit"
    PHONE_CALL = "phone_call", "Phone call"
    OTHER = "other", "Other"


class ParticipantRole(models.TextChoices):
    """What an official did at a meeting."""

    HOST = "host", "Host"
    GUEST = "guest", "Guest"
    PARTICIPANT = "participant", "Participant"


class ReviewState(models.TextChoices):
    """Where a proposed commitment stands in its review."""

    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted as a new commitment"
    MENTION = "mention", "Accepted as a mention"
    REJECTED = "rejected", "Rejected"


class ArchiveState(models.TextChoices):
    """How fetching a piece of evidence for the archive ended."""

    ARCHIVED = "archived", "Archived"
    FAILED = "failed", "Failed"
    REFUSED = "refused", "Refused"


class LinkHealth(models.TextChoices):
    """What a later check of an evidence link found."""

    OK = "ok", "OK"
    REDIRECTED = "redirected", "Redirected elsewhere"
    GONE = "gone", "Gone"
    FAILING = "failing", "Failing"
    CHANGED = "changed", "Changed"

    @classmethod
    def rotted(cls) -> list[str]:
        """Return the outcomes that mean the evidence is no longer what was cited."""
        return [cls.REDIRECTED, cls.GONE, cls.FAILING, cls.CHANGED]
