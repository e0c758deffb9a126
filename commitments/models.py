"""The commitment database: who met, what they promised, and what became of it."""

import datetime
import functools
import hashlib
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce, Length, Upper
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .choices import Category, MeetingKind, ParticipantRole, PartyRole, Status

# Lets constraints say `code__length=2`.
models.CharField.register_lookup(Length)


class NaturalKeyManager(models.Manager):
    """Look rows up by the fields named in the model's `natural_key_fields`."""

    def get_by_natural_key(self, *key):
        return self.get(**dict(zip(self.model.natural_key_fields, key, strict=True)))


class SlugManager(models.Manager):
    """Look rows up by their slug, the natural key used in fixtures and URLs."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Country(models.Model):
    """A state, identified by its ISO 3166-1 alpha-2 code."""

    code = models.CharField(
        "ISO alpha-2 code", max_length=2, primary_key=True, help_text="For example KZ."
    )
    alpha3 = models.CharField("ISO alpha-3 code", max_length=3, unique=True)
    name = models.CharField(max_length=100, unique=True)

    natural_key_fields = ("code",)
    objects = NaturalKeyManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "country"
        verbose_name_plural = "countries"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(code=Upper("code")) & Q(code__length=2),
                name="%(app_label)s_%(class)s_code_is_two_capitals",
            ),
            models.CheckConstraint(
                condition=Q(alpha3=Upper("alpha3")) & Q(alpha3__length=3),
                name="%(app_label)s_%(class)s_alpha3_is_three_capitals",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def natural_key(self):
        return (self.code,)


_known_country_codes: frozenset[str] = frozenset()


def country_code_exists(code: str) -> bool:
    """Return whether a country has this code, reading the database only for new codes.

    Filters check codes on every request; countries change rarely, so known
    codes are kept in memory and an unknown one refreshes the set once.
    """
    global _known_country_codes
    if code in _known_country_codes:
        return True
    _known_country_codes = frozenset(Country.objects.values_list("code", flat=True))
    return code in _known_country_codes


class Official(models.Model):
    """A person who speaks or acts for a state."""

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200, help_text="The name as most sources write it.")
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text='Other spellings of the name, as a list, e.g. ["Jeenbek Kulubayev"].',
    )

    objects = SlugManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "official"
        verbose_name_plural = "officials"
        ordering = ["name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        if not isinstance(self.aliases, list) or not all(
            isinstance(alias, str) and alias.strip() for alias in self.aliases
        ):
            raise ValidationError({"aliases": "Aliases must be a list of non-empty names."})


class Position(models.Model):
    """An office an official holds for a country, with optional start and end dates."""

    official = models.ForeignKey(Official, on_delete=models.CASCADE, related_name="positions")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="positions")
    title = models.CharField(max_length=200)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)

    natural_key_fields = ("official__slug", "country__code", "title")
    objects = NaturalKeyManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "position"
        verbose_name_plural = "positions"
        ordering = ["official__name", "-start_date", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["official", "country", "title"],
                name="%(app_label)s_%(class)s_unique_office_per_official",
            ),
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="%(app_label)s_%(class)s_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.title}, {self.country_id}: {self.official}"

    def natural_key(self):
        return (*self.official.natural_key(), self.country_id, self.title)

    natural_key.dependencies = ["commitments.official", "commitments.country"]

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date is before the start date."})


class Meeting(models.Model):
    """A diplomatic encounter at which commitments are made."""

    slug = models.SlugField(max_length=150, unique=True)
    title = models.CharField(max_length=300)
    kind = models.CharField(max_length=30, choices=MeetingKind.choices)
    date = models.DateField()
    city = models.CharField(max_length=100, blank=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="meetings_hosted")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The series or larger meeting this one belongs to.",
    )
    participants = models.ManyToManyField(
        Official, through="MeetingParticipant", related_name="meetings", blank=True
    )

    objects = SlugManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "meeting"
        verbose_name_plural = "meetings"
        ordering = ["-date", "title"]
        indexes = [
            # The admin's latest-meetings filter and the as_of cut-off read by date.
            models.Index(fields=["date"], name="meeting_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")),
                name="%(app_label)s_%(class)s_not_its_own_parent",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({self.date:%Y-%m-%d})"

    def natural_key(self):
        return (self.slug,)

    def clean(self):
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk and self.pk is not None:
                raise ValidationError({"parent": "A meeting cannot be its own ancestor."})
            ancestor = ancestor.parent


class MeetingParticipant(models.Model):
    """An official's part in a meeting."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participations")
    official = models.ForeignKey(Official, on_delete=models.PROTECT, related_name="participations")
    role = models.CharField(
        max_length=20, choices=ParticipantRole.choices, default=ParticipantRole.PARTICIPANT
    )

    natural_key_fields = ("meeting__slug", "official__slug")
    objects = NaturalKeyManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "meeting participant"
        verbose_name_plural = "meeting participants"
        ordering = ["meeting_id", "role", "official_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "official"], name="%(app_label)s_%(class)s_once_per_meeting"
            ),
        ]

    def __str__(self):
        return f"{self.official} ({self.get_role_display()})"

    def natural_key(self):
        return (self.meeting.slug, self.official.slug)

    natural_key.dependencies = ["commitments.meeting", "commitments.official"]


def sha256_of(text: str) -> str:
    """Return the hex SHA-256 of a text encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class SourceDocument(models.Model):
    """The full text of a readout, statement or article that states commitments."""

    slug = models.SlugField(max_length=150, unique=True)
    title = models.CharField(max_length=300)
    publisher = models.CharField(max_length=200)
    url = models.URLField(max_length=500, blank=True)
    published_on = models.DateField()
    language = models.CharField(max_length=10, default="en", help_text="A BCP 47 tag, e.g. en.")
    text = models.TextField()
    sha256 = models.CharField("SHA-256 of the text", max_length=64, unique=True, editable=False)

    objects = SlugManager()
    history = HistoricalRecords(excluded_fields=["text"])

    class Meta:
        verbose_name = "source document"
        verbose_name_plural = "source documents"
        ordering = ["-published_on", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__length=64), name="%(app_label)s_%(class)s_sha256_is_hex"
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.sha256 = sha256_of(self.text)
        super().save(*args, **kwargs)

    def natural_key(self):
        return (self.slug,)

    def paragraph_around(self, start: int, end: int) -> tuple[str, str, str]:
        """Return the text before, inside and after [start, end) within its paragraph."""
        paragraph_start = self.text.rfind("\n\n", 0, start)
        paragraph_start = 0 if paragraph_start == -1 else paragraph_start + 2
        paragraph_end = self.text.find("\n\n", end)
        paragraph_end = len(self.text) if paragraph_end == -1 else paragraph_end
        return (
            self.text[paragraph_start:start],
            self.text[start:end],
            self.text[end:paragraph_end],
        )


@functools.cache
def mentions_count_expression() -> models.Expression:
    """Return the correlated count of a commitment's mentions, built once per process."""
    # COUNT as a plain function, not an aggregate: no GROUP BY, and always
    # one row (0 when there is no mention).
    count = (
        Mention.objects.filter(commitment=models.OuterRef("pk"))
        .order_by()
        .annotate(total=models.Func(models.F("id"), function="COUNT"))
        .values("total")
    )
    return models.Subquery(count, output_field=models.IntegerField())


class CommitmentQuerySet(models.QuerySet):
    def with_status(self, as_of: datetime.date | None = None):
        """Annotate `effective_status` and `effective_status_date`: now, or as of a day.

        As of a day, the status is read from the timeline's effective dates, and
        commitments first made after that day are left out.
        """
        if as_of is None:
            return self.annotate(
                effective_status=models.F("status"), effective_status_date=models.F("status_date")
            )
        timeline = StatusUpdate.objects.filter(
            commitment=models.OuterRef("pk"), effective_date__lte=as_of
        ).order_by("-effective_date", "-recorded_at", "-id")
        return self.filter(meeting__date__lte=as_of).annotate(
            effective_status=Coalesce(
                models.Subquery(timeline.values("status")[:1]), models.Value(Status.ANNOUNCED.value)
            ),
            effective_status_date=Coalesce(
                models.Subquery(timeline.values("effective_date")[:1]), models.F("meeting__date")
            ),
        )

    def with_mentions_count(self):
        """Annotate `mentions_count` with a correlated count, cheap on a page of rows."""
        return self.annotate(mentions_count=mentions_count_expression())

    def with_relations(self):
        """Fetch what CommitmentSerializer reads: the meeting, the parties and the origin."""
        return self.select_related("meeting").prefetch_related(
            "parties",
            models.Prefetch(
                "mentions", Mention.objects.filter(is_origin=True), to_attr="origin_mentions"
            ),
        )

    def overdue(self, today: datetime.date | None = None):
        """Return commitments past their due date that are neither completed nor cancelled."""
        today = today or timezone.localdate()
        return self.filter(due_date__lt=today).exclude(status__in=Status.closed())

    def not_assessed_since(self, cutoff: datetime.datetime):
        """Return commitments with no status update recorded since `cutoff`."""
        return self.filter(
            models.Q(last_assessed_at__lt=cutoff)
            | models.Q(last_assessed_at__isnull=True, created_at__lt=cutoff)
        )


class CommitmentManager(models.Manager.from_queryset(CommitmentQuerySet)):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Commitment(models.Model):
    """A promise made at a meeting, with a cached projection of its status timeline."""

    slug = models.SlugField(max_length=150, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="commitments")
    countries = models.ManyToManyField(
        Country, through="CommitmentParty", related_name="commitments"
    )
    due_date = models.DateField(null=True, blank=True)
    # A cached projection of the timeline, written only by refresh_status().
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.ANNOUNCED, editable=False
    )
    status_date = models.DateField(editable=False)
    # Bumped whenever the commitment's representation changes (its text, its
    # parties, its mentions or its timeline); the API's ETag and the admin's
    # stale-save check compare it.
    version = models.PositiveIntegerField(default=1, editable=False)
    # When an analyst last recorded a status update (not when it took effect):
    # the dashboard's "not assessed for N days" reads it.
    last_assessed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = CommitmentManager()
    history = HistoricalRecords(
        excluded_fields=["status", "status_date", "last_assessed_at", "updated_at"]
    )

    class Meta:
        verbose_name = "commitment"
        verbose_name_plural = "commitments"
        ordering = ["-status_date", "slug"]
        indexes = [
            # The API's and the admin's default filters and orderings.
            models.Index(fields=["status", "status_date"], name="commitment_status_idx"),
            models.Index(fields=["category"], name="commitment_category_idx"),
            models.Index(fields=["due_date"], name="commitment_due_date_idx"),
            models.Index(fields=["updated_at"], name="commitment_updated_at_idx"),
            models.Index(fields=["status_date", "slug"], name="commitment_status_date_idx"),
            models.Index(fields=["last_assessed_at"], name="commitment_assessed_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=Status.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values),
                name="%(app_label)s_%(class)s_category_valid",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="%(app_label)s_%(class)s_version_positive"
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.status_date is None and self.meeting_id is not None:
            self.status_date = self.meeting.date
        self.updated_at = timezone.now()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("commitment-detail", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    @property
    def made_on(self) -> datetime.date:
        """Return the date the commitment was first made: that of its meeting."""
        return self.meeting.date

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        """Return whether the due date has passed with the commitment still open."""
        today = today or timezone.localdate()
        return bool(self.due_date and self.due_date < today and self.status not in Status.closed())

    def clean(self):
        if self.due_date and self.meeting_id and self.due_date < self.meeting.date:
            raise ValidationError(
                {"due_date": "The due date is before the meeting where the commitment was made."}
            )

    def projected_status(self) -> tuple[str, datetime.date]:
        """Return the status and status date the timeline implies right now."""
        latest = self.status_updates.order_by("-effective_date", "-recorded_at", "-id").first()
        if latest is None:
            return Status.ANNOUNCED, self.made_on
        return latest.status, latest.effective_date

    def status_as_of(self, day: datetime.date) -> tuple[str, datetime.date] | None:
        """Return the status and its date at the end of `day`, or None if not yet made."""
        if self.made_on > day:
            return None
        latest = (
            self.status_updates.filter(effective_date__lte=day)
            .order_by("-effective_date", "-recorded_at", "-id")
            .first()
        )
        if latest is None:
            return Status.ANNOUNCED, self.made_on
        return latest.status, latest.effective_date

    def bump_version(self) -> None:
        """Record that the representation changed, without touching other fields."""
        Commitment.objects.filter(pk=self.pk).update(
            version=models.F("version") + 1, updated_at=timezone.now()
        )
        self.refresh_from_db(fields=["version", "updated_at"])

    def record_status_update(
        self,
        *,
        status: str,
        effective_date: datetime.date,
        evidence_url: str = "",
        evidence_title: str = "",
        evidence_publisher: str = "",
        evidence_excerpt: str = "",
        evidence_document: "SourceDocument | None" = None,
        note: str = "",
        recorded_by=None,
    ) -> "StatusUpdate":
        """Validate and append a status update, then recompute the cached status.

        The commitment row is locked for the duration (SELECT ... FOR UPDATE on
        PostgreSQL; on SQLite the IMMEDIATE transaction already holds the write
        lock), so concurrent writers are serialized and the projection always
        reflects every stored update.
        """
        with transaction.atomic():
            locked = (
                Commitment.objects.select_for_update().select_related("meeting").get(pk=self.pk)
            )
            update = StatusUpdate(
                commitment=locked,
                status=status,
                effective_date=effective_date,
                evidence_url=evidence_url or "",
                evidence_title=evidence_title or "",
                evidence_publisher=evidence_publisher or "",
                evidence_excerpt=evidence_excerpt or "",
                evidence_document=evidence_document,
                note=note or "",
                recorded_by=recorded_by,
            )
            update.full_clean()
            update.save()
            locked.refresh_status()
            if update.evidence_url:
                # Fetched and archived by a background task once the update is
                # stored: recording it never waits for the page, nor fails with it.
                from .evidence.tasks import enqueue_archiving

                transaction.on_commit(functools.partial(enqueue_archiving, update.pk))
        for field in ("status", "status_date", "version", "updated_at"):
            setattr(self, field, getattr(locked, field))
        return update

    def replace_parties(self, parties: list[tuple["Country", str]]) -> None:
        """Make the parties exactly `parties`, row by row so that the history records each."""
        wanted = {country.pk: role for country, role in parties}
        for party in list(self.parties.all()):
            role = wanted.pop(party.country_id, None)
            if role is None:
                party.delete()
            elif party.role != role:
                party.role = role
                party.save()
        for country_code, role in wanted.items():
            CommitmentParty.objects.create(commitment=self, country_id=country_code, role=role)

    def refresh_status(self) -> None:
        """Recompute the cached status from the timeline and bump the version."""
        self.status, self.status_date = self.projected_status()
        self.last_assessed_at = self.status_updates.aggregate(latest=models.Max("recorded_at"))[
            "latest"
        ]
        self.version += 1
        # The timeline is its own record of status changes: the commitment's
        # history keeps only edits of what it says, not an empty row per update.
        self.skip_history_when_saving = True
        try:
            self.save(update_fields=["status", "status_date", "last_assessed_at", "version"])
        finally:
            del self.skip_history_when_saving


class CommitmentParty(models.Model):
    """A country's part in a commitment."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="parties")
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="parties")
    role = models.CharField(max_length=20, choices=PartyRole.choices)

    natural_key_fields = ("commitment__slug", "country__code")
    objects = NaturalKeyManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "party"
        verbose_name_plural = "parties"
        # In the order the parties were recorded: the annotations list the lead
        # first. By the key, not the relation, which would join commitments.
        ordering = ["commitment_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "country"], name="%(app_label)s_%(class)s_once_per_country"
            ),
            models.CheckConstraint(
                condition=Q(role__in=PartyRole.values), name="%(app_label)s_%(class)s_role_valid"
            ),
        ]
        indexes = [
            # The API's `country` and `lead` filters start from the country and
            # read the commitment from the index alone.
            models.Index(
                fields=["country", "role", "commitment"], name="party_country_commitment_idx"
            ),
        ]

    def __str__(self):
        return f"{self.country_id} ({self.role})"

    def natural_key(self):
        return (self.commitment.slug, self.country_id)

    natural_key.dependencies = ["commitments.commitment", "commitments.country"]


class Mention(models.Model):
    """A place where a source states a commitment, with the verbatim quote."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="mentions")
    document = models.ForeignKey(SourceDocument, on_delete=models.PROTECT, related_name="mentions")
    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="mentions")
    quote = models.TextField()
    start = models.PositiveIntegerField(help_text="Offset of the quote's first character.")
    end = models.PositiveIntegerField(help_text="Offset just past the quote's last character.")
    is_origin = models.BooleanField(
        default=False, help_text="The first statement of the commitment."
    )

    natural_key_fields = ("commitment__slug", "document__slug", "start")
    objects = NaturalKeyManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "mention"
        verbose_name_plural = "mentions"
        ordering = ["commitment_id", "-is_origin", "document_id", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "document", "start"],
                name="%(app_label)s_%(class)s_once_per_place",
            ),
            models.UniqueConstraint(
                fields=["commitment"],
                condition=Q(is_origin=True),
                name="%(app_label)s_%(class)s_one_origin_per_commitment",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")),
                name="%(app_label)s_%(class)s_offsets_ordered",
            ),
            models.CheckConstraint(
                condition=Q(end=models.F("start") + Length("quote")),
                name="%(app_label)s_%(class)s_offsets_span_quote",
            ),
        ]

    def __str__(self):
        if len(self.quote) <= 80:
            return f"“{self.quote}”"
        return f"“{self.quote[:80].rsplit(' ', 1)[0]}…”"

    def natural_key(self):
        return (self.commitment.slug, self.document.slug, self.start)

    natural_key.dependencies = ["commitments.commitment", "commitments.sourcedocument"]

    def clean(self):
        if self.document_id is None or self.start is None or self.end is None:
            return
        if self.document.text[self.start : self.end] != self.quote:
            raise ValidationError(
                {"quote": "The quote is not the document's text between the given offsets."}
            )


class StatusUpdateManager(models.Manager):
    def get_by_natural_key(self, key):
        return self.get(uuid=key)


class StatusUpdate(models.Model):
    """One dated entry in a commitment's append-only status timeline."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    commitment = models.ForeignKey(
        Commitment, on_delete=models.PROTECT, related_name="status_updates"
    )
    status = models.CharField(max_length=20, choices=Status.choices)
    effective_date = models.DateField(help_text="The day this status became true in the world.")
    evidence_url = models.URLField("evidence URL", max_length=500, blank=True)
    evidence_title = models.CharField(max_length=300, blank=True)
    evidence_publisher = models.CharField(max_length=200, blank=True)
    evidence_excerpt = models.TextField(
        blank=True, help_text="A short verbatim excerpt of the evidence."
    )
    evidence_document = models.ForeignKey(
        SourceDocument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="status_updates",
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="status_updates",
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = StatusUpdateManager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = "status update"
        verbose_name_plural = "status updates"
        ordering = ["-effective_date", "-recorded_at", "-id"]
        indexes = [
            # The projection and the as_of lookups read one commitment's timeline
            # newest first.
            models.Index(
                fields=["commitment", "effective_date", "recorded_at"],
                name="statusupdate_timeline_idx",
            ),
            models.Index(fields=["recorded_at"], name="statusupdate_recorded_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=Status.ANNOUNCED)
                | ~Q(evidence_url="")
                | Q(evidence_document__isnull=False),
                name="%(app_label)s_%(class)s_evidence_required",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values),
                name="%(app_label)s_%(class)s_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_status_display()} on {self.effective_date:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        # The timeline is append-only: a wrong entry is corrected by a newer one.
        if not self._state.adding:
            raise ValidationError("Status updates cannot be changed; record a newer one instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("Status updates cannot be deleted; record a newer one instead.")

    def natural_key(self):
        return (str(self.uuid),)

    def clean(self):
        errors = {}
        if self.status != Status.ANNOUNCED and not (self.evidence_url or self.evidence_document_id):
            errors["evidence_url"] = (
                f"A status of '{self.status}' needs evidence: an evidence URL or a source document."
            )
        if self.effective_date is not None:
            today = timezone.localdate()
            if self.effective_date > today:
                errors["effective_date"] = (
                    f"The effective date {self.effective_date:%Y-%m-%d} is in the future "
                    f"(today is {today:%Y-%m-%d})."
                )
            elif self.commitment_id is not None and self.effective_date < self.commitment.made_on:
                errors["effective_date"] = (
                    f"The effective date {self.effective_date:%Y-%m-%d} is before the commitment "
                    f"was made ({self.commitment.made_on:%Y-%m-%d})."
                )
        if errors:
            raise ValidationError(errors)


# The areas' models (evidence, ingest) belong to this app; importing them here registers them.
from .api.rendered import PartyStatus, RenderedCommitment  # noqa: E402, F401
from .evidence.models import EvidenceCheck, EvidenceSnapshot  # noqa: E402, F401
from .generation import DataGeneration  # noqa: E402, F401
from .ingest.models import Proposal, ProposedMeeting  # noqa: E402, F401
