"""The API's representations: the single description of its output and input."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commitments.choices import Status
from commitments.evidence.api import EvidenceArchiveSerializer, evidence_archive
from commitments.models import (
    Commitment,
    CommitmentParty,
    Country,
    Meeting,
    MeetingParticipant,
    Official,
    Position,
    SourceDocument,
    StatusUpdate,
)


class CountrySerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="country-detail", lookup_field="code")

    class Meta:
        model = Country
        fields = ["code", "alpha3", "name", "url"]


class PositionSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id", read_only=True)

    class Meta:
        model = Position
        fields = ["title", "country", "start_date", "end_date"]


class OfficialSerializer(serializers.ModelSerializer):
    positions = PositionSerializer(many=True, read_only=True)
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="official-detail", lookup_field="slug")

    class Meta:
        model = Official
        fields = ["id", "slug", "name", "aliases", "positions", "url"]


class ParticipantSerializer(serializers.ModelSerializer):
    official = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="official.name", read_only=True)

    class Meta:
        model = MeetingParticipant
        fields = ["official", "name", "role"]


class MeetingSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country_id", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    participants = ParticipantSerializer(source="participations", many=True, read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="meeting-detail", lookup_field="slug")

    class Meta:
        model = Meeting
        fields = [
            "id",
            "slug",
            "title",
            "kind",
            "date",
            "city",
            "country",
            "parent",
            "participants",
            "url",
        ]


class SourceDocumentSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="sourcedocument-detail")
    source_url = serializers.CharField(source="url", read_only=True)

    class Meta:
        model = SourceDocument
        fields = [
            "id",
            "slug",
            "title",
            "publisher",
            "source_url",
            "published_on",
            "language",
            "sha256",
            "url",
        ]


class SourceDocumentDetailSerializer(SourceDocumentSerializer):
    class Meta(SourceDocumentSerializer.Meta):
        fields = [*SourceDocumentSerializer.Meta.fields, "text"]


class PartySerializer(serializers.ModelSerializer):
    # The code is the primary key, so no country row is read to show it.
    country = serializers.PrimaryKeyRelatedField(
        queryset=Country.objects.all(),
        error_messages={"does_not_exist": "Unknown country code “{pk_value}”."},
        help_text="ISO alpha-2 code, e.g. KZ.",
    )

    class Meta:
        model = CommitmentParty
        fields = ["country", "role"]


class MeetingSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Meeting
        fields = ["id", "slug", "title", "date", "city"]


class OriginSerializer(serializers.Serializer):
    document = serializers.IntegerField(source="document_id", read_only=True)
    quote = serializers.CharField(read_only=True)
    start = serializers.IntegerField(read_only=True)
    end = serializers.IntegerField(read_only=True)


class CommitmentSerializer(serializers.ModelSerializer):
    """A commitment as the API returns it.

    Expects the queryset of `Commitment.objects.for_api()`: `effective_status`
    and `effective_status_date` (the status now, or as of the requested day),
    `mentions_count`, and the origin mention prefetched as `origin_mentions`.
    """

    status = serializers.ChoiceField(
        choices=Status.choices, source="effective_status", read_only=True
    )
    status_date = serializers.DateField(source="effective_status_date", read_only=True)
    overdue = serializers.SerializerMethodField()
    parties = PartySerializer(many=True, read_only=True)
    meeting = MeetingSummarySerializer(read_only=True)
    origin = serializers.SerializerMethodField()
    mentions_count = serializers.IntegerField(read_only=True)
    url = serializers.HyperlinkedIdentityField(view_name="commitment-detail", lookup_field="slug")

    class Meta:
        model = Commitment
        fields = [
            "slug",
            "title",
            "description",
            "category",
            "status",
            "status_date",
            "due_date",
            "overdue",
            "parties",
            "meeting",
            "origin",
            "mentions_count",
            "created_at",
            "updated_at",
            "version",
            "url",
        ]
        read_only_fields = fields

    def get_overdue(self, commitment) -> bool:
        day = self.context.get("as_of") or timezone.localdate()
        return bool(
            commitment.due_date
            and commitment.due_date < day
            and commitment.effective_status not in Status.closed()
        )

    @extend_schema_field(OriginSerializer(allow_null=True))
    def get_origin(self, commitment):
        origins = commitment.origin_mentions
        return OriginSerializer(origins[0]).data if origins else None


class CommitmentUpdateSerializer(serializers.ModelSerializer):
    """The descriptive fields a PATCH may change; the status changes only through updates."""

    description = serializers.CharField(allow_blank=True, max_length=20000, required=False)
    parties = PartySerializer(many=True, required=False)

    class Meta:
        model = Commitment
        fields = ["title", "description", "category", "due_date", "parties"]

    def validate_parties(self, parties):
        if not parties:
            raise serializers.ValidationError("A commitment needs at least one party.")
        # A PATCH is partial, and DRF passes that on to each party: say what a
        # party lacks instead of assuming both keys are there.
        for index, party in enumerate(parties):
            missing = [key for key in ("country", "role") if key not in party]
            if missing:
                raise serializers.ValidationError(
                    {index: {key: ["This field is required."] for key in missing}}
                )
        codes = [party["country"].pk for party in parties]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise serializers.ValidationError(f"Countries listed twice: {', '.join(duplicates)}.")
        return parties

    def update(self, instance, validated_data):
        parties = validated_data.pop("parties", None)
        wanted_parties = (
            None if parties is None else {(p["country"].pk, p["role"]) for p in parties}
        )
        fields_change = any(
            getattr(instance, name) != value for name, value in validated_data.items()
        )
        parties_change = wanted_parties is not None and wanted_parties != set(
            instance.parties.values_list("country_id", "role")
        )
        if not (fields_change or parties_change):
            # Nothing changes: the version, and so every client's ETag, stays.
            return instance
        with transaction.atomic():
            for name, value in validated_data.items():
                setattr(instance, name, value)
            try:
                instance.full_clean(exclude=["slug", "meeting"])
            except DjangoValidationError as exc:
                raise serializers.ValidationError(exc.message_dict) from exc
            instance.version += 1
            instance.save()
            if parties_change:
                instance.replace_parties([(party["country"], party["role"]) for party in parties])
        return instance


class StatusUpdateSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    commitment = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    evidence_document = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=SourceDocument.objects.all(),
        required=False,
        allow_null=True,
        help_text="Slug of a source document that is the evidence.",
    )
    evidence_excerpt = serializers.CharField(allow_blank=True, max_length=5000, required=False)
    note = serializers.CharField(allow_blank=True, max_length=10000, required=False)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    # Null until the evidence URL has been fetched; read with
    # select_related("evidence_snapshot"), so no query per entry.
    evidence_archive = serializers.SerializerMethodField()

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "commitment",
            "status",
            "effective_date",
            "evidence_url",
            "evidence_title",
            "evidence_publisher",
            "evidence_excerpt",
            "evidence_document",
            "note",
            "recorded_by",
            "recorded_at",
            "evidence_archive",
        ]
        read_only_fields = ["recorded_at"]

    @extend_schema_field(EvidenceArchiveSerializer(allow_null=True))
    def get_evidence_archive(self, update) -> dict | None:
        return evidence_archive(update, self.context)


class CommitmentStateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = ["slug", "status", "status_date", "version"]
        read_only_fields = fields


class StatusUpdateCreatedSerializer(serializers.Serializer):
    """The answer to a new status update: the update and the commitment's new state."""

    update = StatusUpdateSerializer(read_only=True)
    commitment = CommitmentStateSerializer(read_only=True)
