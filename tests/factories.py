"""factory-boy factories for the commitment database."""

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from commitments.choices import Category, MeetingKind, PartyRole
from commitments.models import (
    Commitment,
    CommitmentParty,
    Country,
    Meeting,
    Mention,
    Official,
    Position,
    SourceDocument,
)

COUNTRIES = [
    ("CN", "CHN", "China"),
    ("KZ", "KAZ", "Kazakhstan"),
    ("KG", "KGZ", "Kyrgyzstan"),
    ("TJ", "TJK", "Tajikistan"),
    ("UZ", "UZB", "Uzbekistan"),
    ("TM", "TKM", "Turkmenistan"),
    ("FR", "FRA", "France"),
    ("DE", "DEU", "Germany"),
]


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = factory.Iterator([code for code, _, _ in COUNTRIES])
    alpha3 = factory.LazyAttribute(lambda o: {c: a for c, a, _ in COUNTRIES}[o.code])
    name = factory.LazyAttribute(lambda o: {c: n for c, _, n in COUNTRIES}[o.code])


class OfficialFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Official

    slug = factory.Sequence(lambda n: f"official-{n}")
    name = factory.Sequence(lambda n: f"Official {n}")
    aliases = factory.LazyFunction(list)


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    official = factory.SubFactory(OfficialFactory)
    country = factory.SubFactory(CountryFactory, code="CN")
    title = "Minister of Foreign Affairs"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    slug = factory.Sequence(lambda n: f"meeting-{n}")
    title = factory.Sequence(lambda n: f"Talks number {n}")
    kind = MeetingKind.BILATERAL_TALKS
    date = datetime.date(2023, 4, 26)
    city = "Xi’an"
    country = factory.SubFactory(CountryFactory, code="CN")


class SourceDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourceDocument

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Readout {n}")
    publisher = "Ministry of Foreign Affairs"
    published_on = datetime.date(2023, 4, 26)
    text = factory.Sequence(
        lambda n: f"Readout {n}.\n\nThe two sides will open consulates general.\n\nThe end."
    )


class CommitmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commitment
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"commitment-{n}")
    title = factory.Sequence(lambda n: f"Commitment {n}")
    description = "The two sides will do something checkable."
    category = Category.CONSULAR_PRESENCE
    meeting = factory.SubFactory(MeetingFactory)

    @factory.post_generation
    def parties(self, create, extracted, **kwargs):
        if not create:
            return
        for code, role in extracted or [("CN", PartyRole.LEAD), ("KZ", PartyRole.PARTNER)]:
            CommitmentParty.objects.create(
                commitment=self, country=CountryFactory(code=code), role=role
            )


class MentionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mention

    commitment = factory.SubFactory(CommitmentFactory)
    document = factory.SubFactory(SourceDocumentFactory)
    meeting = factory.SelfAttribute("commitment.meeting")
    is_origin = True
    quote = "will open consulates general"
    start = factory.LazyAttribute(lambda o: o.document.text.index(o.quote))
    end = factory.LazyAttribute(lambda o: o.start + len(o.quote))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    is_staff = True
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def group(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
