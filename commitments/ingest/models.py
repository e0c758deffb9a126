"""Proposed meetings and commitments of a source, and the analysts' review of them."""

import secrets

import pycountry
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from ..choices import Category, MeetingKind, ParticipantRole, PartyRole, ReviewState
from ..models import (
    Commitment,
    CommitmentParty,
    Country,
    Meeting,
    MeetingParticipant,
    Mention,
    Official,
    Position,
    SourceDocument,
    sha256_of,
)


def unique_slug(model, text: str, *, max_length: int = 140) -> str:
    """Return slugify(text), cut to max_length, with -2, -3 ... until no row has it."""
    base = slugify(text)[:max_length].strip("-") or "item"
    slug, number = base, 1
    while model.objects.filter(slug=slug).exists():
        number += 1
        slug = f"{base[: max_length - len(str(number)) - 1]}-{number}"
    return slug


def save_with_unique_slug(obj, text: str, *, max_length: int = 140, attempts: int = 5) -> None:
    """Save obj under unique_slug(text), choosing again when a concurrent writer took the slug.

    After a collision the next choice carries a random suffix, so that writers
    racing for the same title do not collide again on the same next number.
    """
    model = type(obj)
    for attempt in range(1, attempts + 1):
        suffix = f" {secrets.token_hex(3)}" if attempt > 1 else ""
        obj.slug = unique_slug(model, text[: max_length - 8] + suffix, max_length=max_length)
        try:
            with transaction.atomic():
                obj.save()
            return
        except IntegrityError:
            if attempt == attempts or not model.objects.filter(slug=obj.slug).exists():
                raise


def ensure_country(code: str) -> Country:
    """Return the country with this ISO alpha-2 code, adding it from ISO 3166 when missing."""
    country = Country.objects.filter(code=code).first()
    if country is not None:
        return country
    iso = pycountry.countries.get(alpha_2=code)
    if iso is None:
        raise ValidationError(f"Unknown country code “{code}”.")
    name = getattr(iso, "common_name", None) or iso.name
    return Country.objects.create(code=code, alpha3=iso.alpha_3, name=name)


class ProposedMeeting(models.Model):
    """A meeting the proposer read in a source, until an analyst resolves it to a recorded one."""

    source = models.ForeignKey(
        SourceDocument, on_delete=models.CASCADE, related_name="proposed_meetings"
    )
    position = models.PositiveSmallIntegerField(help_text="Its order among the source's meetings.")
    date = models.DateField(null=True, blank=True)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(
        max_length=2, blank=True, help_text="The host country's ISO alpha-2 code."
    )
    kind = models.CharField(max_length=30, choices=MeetingKind.choices)
    title = models.CharField(max_length=300)
    participants = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"name": ..., "country": "KZ", "official": "slug or null", '
        '"title": ..., "role": "host|guest"}]',
    )
    existing = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="A recorded meeting with the same date and participants.",
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals_resolved",
        help_text="The recorded meeting this proposal was resolved to.",
    )

    class Meta:
        verbose_name = "proposed meeting"
        verbose_name_plural = "proposed meetings"
        ordering = ["source", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "position"], name="%(app_label)s_%(class)s_once_per_position"
            ),
        ]

    def __str__(self):
        when = f"{self.date:%Y-%m-%d}" if self.date else "undated"
        return f"{self.title} ({when})"

    def clean(self):
        problems = []
        if not isinstance(self.participants, list):
            problems.append("Participants must be a list of people.")
        else:
            for index, person in enumerate(self.participants, start=1):
                if not isinstance(person, dict):
                    problems.append(f"Participant {index} must be a mapping with a name.")
                    continue
                unknown = sorted(set(person) - {"name", "country", "official", "title", "role"})
                if unknown:
                    problems.append(f"Participant {index}: unknown key {', '.join(unknown)}.")
                if not isinstance(person.get("name"), str) or not person["name"].strip():
                    problems.append(f"Participant {index} needs a name.")
                for key in ("country", "official", "title", "role"):
                    if person.get(key) is not None and not isinstance(person[key], str):
                        problems.append(f"Participant {index}: {key} must be text.")
                code = person.get("country")
                if isinstance(code, str) and code and pycountry.countries.get(alpha_2=code) is None:
                    problems.append(f"Participant {index}: unknown country code “{code}”.")
                if person.get("role") not in (None, *ParticipantRole.values):
                    problems.append(
                        f"Participant {index}: role must be one of "
                        f"{', '.join(ParticipantRole.values)}."
                    )
        if problems:
            raise ValidationError({"participants": problems})
        if self.country and pycountry.countries.get(alpha_2=self.country) is None:
            raise ValidationError({"country": f"Unknown country code “{self.country}”."})

    def resolve(self, *, by, meeting: Meeting | None = None) -> Meeting:
        """Point at a recorded meeting; with none given, create it (and any new officials)."""
        with transaction.atomic():
            locked = ProposedMeeting.objects.select_for_update().get(pk=self.pk)
            if locked.meeting_id is not None:
                raise ValidationError(
                    f"This proposed meeting is already resolved to {locked.meeting}.",
                    code="already_resolved",
                )
            if meeting is None:
                meeting = locked.create_meeting(by=by)
            locked.meeting = meeting
            locked.save(update_fields=["meeting"])
        self.meeting = meeting
        return meeting

    def create_meeting(self, *, by) -> Meeting:
        """Record the meeting as proposed, with officials the database does not know yet."""
        self.clean()
        problems = []
        if self.date is None:
            problems.append("it has no date")
        if not self.country:
            problems.append("it has no host country")
        if problems:
            raise ValidationError(
                f"The meeting cannot be created: {' and '.join(problems)}; edit it first."
            )
        host = ensure_country(self.country)
        meeting = Meeting(
            title=self.title, kind=self.kind, date=self.date, city=self.city, country=host
        )
        meeting._history_user = by
        meeting.full_clean(exclude=["slug"])
        save_with_unique_slug(meeting, f"{self.date:%Y-%m-%d} {self.city} {self.title}")
        for index, participant in enumerate(self.participants):
            official = self.official_for(participant, by=by)
            role = participant.get("role") or (
                ParticipantRole.HOST if index == 0 else ParticipantRole.GUEST
            )
            if role not in ParticipantRole.values:
                role = ParticipantRole.PARTICIPANT
            MeetingParticipant.objects.get_or_create(
                meeting=meeting, official=official, defaults={"role": role}
            )
        return meeting

    @staticmethod
    def official_for(participant: dict, *, by) -> Official:
        slug = participant.get("official")
        if slug:
            official = Official.objects.filter(slug=slug).first()
            if official is not None:
                return official
        name = str(participant.get("name") or "").strip()
        if not name:
            raise ValidationError("A participant has neither an official nor a name.")
        official = Official(name=name[:200])
        official._history_user = by
        save_with_unique_slug(official, name, max_length=90)
        if participant.get("country"):
            Position.objects.create(
                official=official,
                country=ensure_country(participant["country"]),
                title=str(participant.get("title") or "Official")[:200],
            )
        return official


class ProposalQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(state=ReviewState.PENDING)


class Proposal(models.Model):
    """A proposed commitment: a verbatim span of a source, with its review outcome."""

    source = models.ForeignKey(SourceDocument, on_delete=models.CASCADE, related_name="proposals")
    proposed_meeting = models.ForeignKey(
        ProposedMeeting, on_delete=models.CASCADE, related_name="proposals"
    )
    quote = models.TextField()
    start = models.PositiveIntegerField(help_text="Offset of the quote's first character.")
    end = models.PositiveIntegerField(help_text="Offset just past the quote's last character.")
    parties = models.JSONField(help_text='[{"country": "CN", "role": "lead"}, ...]')
    # The party list, hashed: with the offsets, what makes a proposal the same
    # on a re-run.
    parties_key = models.CharField(max_length=64, editable=False)
    category = models.CharField(max_length=30, choices=Category.choices)
    title = models.CharField(max_length=300)
    rule = models.CharField(max_length=50, help_text="The rule or cue that proposed it.")
    backend = models.CharField(max_length=50, default="rules")
    confidence = models.FloatField()
    matches = models.JSONField(
        default=list, blank=True, help_text="Recorded commitments it may restate, best first."
    )
    state = models.CharField(
        max_length=20, choices=ReviewState.choices, default=ReviewState.PENDING
    )
    commitment = models.ForeignKey(
        Commitment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposals",
        help_text="The commitment it became, or restates.",
    )
    accepted_as_proposed = models.BooleanField(
        null=True,
        editable=False,
        help_text="Accepted without changing its title, category or parties, or as a mention "
        "of its first suggested match.",
    )
    reject_reason = models.CharField(max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ProposalQuerySet.as_manager()

    class Meta:
        verbose_name = "proposal"
        verbose_name_plural = "proposals"
        ordering = ["source", "start", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "start", "end", "parties_key", "proposed_meeting"],
                name="%(app_label)s_%(class)s_once_per_reading",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="%(app_label)s_%(class)s_offsets_ordered",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ReviewState.values),
                name="%(app_label)s_%(class)s_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(state=ReviewState.REJECTED) | Q(reject_reason=""),
                name="%(app_label)s_%(class)s_reason_only_when_rejected",
            ),
        ]
        indexes = [
            # The review queue lists a source's proposals by state.
            models.Index(fields=["source", "state"], name="proposal_source_state_idx"),
        ]

    def __str__(self):
        quote = self.quote if len(self.quote) <= 70 else self.quote[:70].rsplit(" ", 1)[0] + "…"
        return f"“{quote}”"

    def save(self, *args, **kwargs):
        self.parties_key = self.key_of(self.parties)
        super().save(*args, **kwargs)

    @staticmethod
    def key_of(parties: list[dict]) -> str:
        """Return the SHA-256 of "CN:lead,KZ:partner": a fixed size for any number of parties."""
        return sha256_of(",".join(f"{p['country']}:{p['role']}" for p in parties))

    @property
    def party_codes(self) -> list[str]:
        return [party["country"] for party in self.parties]

    def accept(
        self,
        *,
        by,
        commitment: Commitment | None = None,
        slug: str = "",
        title: str | None = None,
        category: str | None = None,
        parties: list[dict] | None = None,
        due_date=None,
        description: str = "",
    ) -> Commitment:
        """Accept the proposal: as a new commitment, or as a mention of `commitment`.

        One transaction creates the commitment with its parties and its first
        mention (or the mention alone), with history, and records the review.
        """
        with transaction.atomic():
            locked = (
                # Lock the proposal row only: the meeting may be missing (an outer join).
                Proposal.objects.select_for_update(of=("self",))
                .select_related("source", "proposed_meeting__meeting")
                .get(pk=self.pk)
            )
            if locked.state != ReviewState.PENDING:
                raise ValidationError(
                    f"This proposal was already reviewed ({locked.get_state_display().lower()}).",
                    code="already_reviewed",
                )
            meeting = locked.proposed_meeting.meeting
            if meeting is None:
                raise ValidationError(
                    "Resolve the proposed meeting first: use the recorded meeting it matches, "
                    "or create it."
                )
            if commitment is None:
                commitment, as_proposed = locked.create_commitment(
                    by=by,
                    meeting=meeting,
                    slug=slug,
                    title=title,
                    category=category,
                    parties=parties,
                    due_date=due_date,
                    description=description,
                )
                locked.state = ReviewState.ACCEPTED
            else:
                commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
                locked.add_mention(commitment, meeting=meeting, by=by)
                commitment.bump_version()
                suggested = locked.matches[0]["slug"] if locked.matches else None
                as_proposed = suggested == commitment.slug
                locked.state = ReviewState.MENTION
            locked.commitment = commitment
            locked.accepted_as_proposed = as_proposed
            locked.reviewed_by = by
            locked.reviewed_at = timezone.now()
            locked.save()
        self.refresh_from_db()
        return commitment

    def create_commitment(
        self, *, by, meeting, slug, title, category, parties, due_date, description
    ) -> tuple[Commitment, bool]:
        parties = self.parties if parties is None else parties
        as_proposed = (
            (title is None or title == self.title)
            and (category is None or category == self.category)
            and self.key_of(parties) == self.parties_key
        )
        if not parties:
            raise ValidationError({"parties": "A commitment needs at least one party."})
        roles = [party.get("role") for party in parties]
        if any(role not in PartyRole.values for role in roles):
            raise ValidationError(
                {"parties": f"Roles must be among {', '.join(PartyRole.values)}."}
            )
        codes = [party.get("country") for party in parties]
        if len(set(codes)) != len(codes):
            raise ValidationError({"parties": "A country may be a party only once."})
        commitment = Commitment(
            slug=slug,
            title=title or self.title,
            category=category or self.category,
            meeting=meeting,
            due_date=due_date,
            description=description,
        )
        commitment._history_user = by
        if slug:
            commitment.full_clean()
            commitment.save()
        else:
            commitment.full_clean(exclude=["slug"])
            save_with_unique_slug(commitment, commitment.title)
        for order, party in enumerate(parties):
            country = ensure_country(party["country"])
            row = CommitmentParty(commitment=commitment, country=country, role=party["role"])
            if hasattr(row, "order"):
                row.order = order
            row._history_user = by
            row.save()
        self.add_mention(commitment, meeting=meeting, by=by, is_origin=True)
        return commitment, as_proposed

    def add_mention(self, commitment: Commitment, *, meeting, by, is_origin=False) -> Mention:
        """Add this quote as a mention of the commitment, once per place."""
        existing = Mention.objects.filter(
            commitment=commitment, document=self.source, start=self.start
        ).first()
        if existing is not None:
            return existing
        mention = Mention(
            commitment=commitment,
            document=self.source,
            meeting=meeting,
            quote=self.quote,
            start=self.start,
            end=self.end,
            is_origin=is_origin,
        )
        mention._history_user = by
        mention.full_clean()
        mention.save()
        return mention

    def reject(self, *, by, reason: str) -> None:
        """Reject the proposal, saying why."""
        reason = (reason or "").strip()
        if not reason:
            raise ValidationError({"reject_reason": "Say why the proposal is rejected."})
        with transaction.atomic():
            locked = Proposal.objects.select_for_update().get(pk=self.pk)
            if locked.state != ReviewState.PENDING:
                raise ValidationError(
                    f"This proposal was already reviewed ({locked.get_state_display().lower()}).",
                    code="already_reviewed",
                )
            locked.state = ReviewState.REJECTED
            locked.reject_reason = reason[:300]
            locked.reviewed_by = by
            locked.reviewed_at = timezone.now()
            locked.accepted_as_proposed = False
            locked.save()
        self.refresh_from_db()


def merge_proposals(proposals: list[Proposal], *, by, **changes) -> Commitment:
    """Accept several proposals as one commitment: the first as new, the others as mentions."""
    if len(proposals) < 2:
        raise ValidationError("Choose at least two proposals to merge.")
    with transaction.atomic():
        first, *others = proposals
        commitment = first.accept(by=by, **changes)
        for proposal in others:
            proposal.accept(by=by, commitment=commitment)
    return commitment
