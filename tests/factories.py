from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import User
from finance.models import BudgetLine, Payment
from grants.models import Application, Call, CallCriterion, PlannedMilestone, Scheme, SchemeCriterion
from projects.models import FinalReport, Milestone, Project
from registries.models import Indicator, Membership, Organisation, Registry
from reviews.models import Assignment, Conflict, ExpertGroup, ExpertGroupMember, Review, Score


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.no")
    full_name = factory.Sequence(lambda n: f"User {n}")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RegistryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registry

    name = factory.Sequence(lambda n: f"Norsk testregister {n}")
    short_name = factory.Sequence(lambda n: f"REG{n}")
    region = "Nord"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    registry = factory.SubFactory(RegistryFactory)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    orgnr = factory.Sequence(lambda n: 970000000 + n)
    name = factory.Sequence(lambda n: f"Sykehus {n}")
    level = "hospital"


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    id = factory.Sequence(lambda n: f"test_ind{n}")
    registry = factory.SubFactory(RegistryFactory)
    title = factory.Sequence(lambda n: f"Indicator {n}")
    level_green = Decimal("0.15")
    level_yellow = Decimal("0.25")
    direction = 0


class SchemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Scheme
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = "data_quality"
    name = "Datakvalitet"
    name_en = "Data quality"
    decision_body = "IRA"
    final_report_sections = factory.LazyFunction(
        lambda: [
            {"key": "summary", "title": "Sammendrag", "title_en": "Summary"},
            {"key": "results", "title": "Resultater", "title_en": "Results"},
        ]
    )

    @factory.post_generation
    def criteria(obj, create, extracted, **kwargs):
        if create and not obj.criteria.exists():
            for order, (code, name, weight) in enumerate(
                [("methodology", "Metode", "2"), ("feasibility", "Gjennomførbarhet", "1"), ("value", "Nytte", "1")]
            ):
                SchemeCriterion.objects.create(scheme=obj, code=code, name=name, weight=Decimal(weight), order=order)


class ExpertGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertGroup
        django_get_or_create = ("scheme",)

    scheme = factory.SubFactory(SchemeFactory)
    name = "Faggruppen"


class ExpertGroupMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpertGroupMember

    group = factory.SubFactory(ExpertGroupFactory)
    user = factory.SubFactory(UserFactory)


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call
        skip_postgeneration_save = True

    scheme = factory.SubFactory(SchemeFactory)
    title = factory.Sequence(lambda n: f"Utlysning {n}")
    year = 2026
    budget_nok = Decimal("500000.00")
    max_amount_nok = Decimal("100000.00")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
    state = "open"

    @factory.post_generation
    def criteria(obj, create, extracted, **kwargs):
        if create and not obj.criteria.exists():
            for c in obj.scheme.criteria.all():
                CallCriterion.objects.create(call=obj, code=c.code, name=c.name, weight=c.weight, order=c.order)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A complete application (ready to submit) in the given state."""

    class Meta:
        model = Application
        skip_postgeneration_save = True

    call = factory.SubFactory(CallFactory)
    registry = factory.SubFactory(RegistryFactory)
    title = factory.Sequence(lambda n: f"Søknad {n}")
    summary = "Bedre datakvalitet."
    aims = "Øke dekningsgraden."
    requested_amount_nok = Decimal("90000.00")
    start_date = date(2027, 1, 1)
    end_date = date(2027, 12, 31)
    state = "draft"

    @factory.post_generation
    def complete(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            BudgetLine.objects.create(
                application=obj, category="salary", year=2027, amount_nok=obj.requested_amount_nok
            )
            PlannedMilestone.objects.create(application=obj, title="Datauttrekk", due_date=date(2027, 6, 30))


def member_of(registry: Registry, **kwargs) -> User:
    user = UserFactory(**kwargs)
    Membership.objects.create(user=user, registry=registry)
    return user


def reviewer_for(scheme: Scheme, **kwargs) -> User:
    user = UserFactory(**kwargs)
    ExpertGroupMember.objects.create(group=ExpertGroupFactory(scheme=scheme), user=user)
    return user


# ---------------------------------------------------------------- reviews, projects, finance


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    application = factory.SubFactory(ApplicationFactory, state="in_review")
    reviewer = factory.LazyAttribute(lambda o: reviewer_for(o.application.call.scheme))


class ConflictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Conflict

    application = factory.SubFactory(ApplicationFactory, state="in_review")
    reviewer = factory.SubFactory(UserFactory)
    reason = "Medforfatter med prosjektlederen."


class ReviewFactory(factory.django.DjangoModelFactory):
    """A review by an assigned reviewer; `scored=True` (the default) scores every criterion of the call with 5."""

    class Meta:
        model = Review
        skip_postgeneration_save = True

    application = factory.SubFactory(ApplicationFactory, state="in_review")
    reviewer = factory.LazyAttribute(lambda o: AssignmentFactory(application=o.application).reviewer)
    comment = "Godt begrunnet."
    state = "draft"

    @factory.post_generation
    def scored(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            for criterion in obj.application.call.criteria.all():
                Score.objects.create(review=obj, criterion=criterion, value=5)


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project of a granted application, with its milestone, its two payments and an empty final report."""

    class Meta:
        model = Project
        skip_postgeneration_save = True

    application = factory.SubFactory(ApplicationFactory, state="granted", granted_amount_nok=Decimal("90000.00"))
    registry = factory.SelfAttribute("application.registry")
    title = factory.SelfAttribute("application.title")
    granted_amount_nok = factory.SelfAttribute("application.granted_amount_nok")
    start_date = factory.SelfAttribute("application.start_date")
    end_date = factory.SelfAttribute("application.end_date")
    state = "agreement_pending"

    @factory.post_generation
    def children(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            FinalReport.objects.create(project=obj)
            half = obj.granted_amount_nok / 2
            Payment.objects.create(project=obj, amount_nok=half, trigger="agreement")
            Payment.objects.create(project=obj, amount_nok=obj.granted_amount_nok - half, trigger="final_report")


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    project = factory.SubFactory(ProjectFactory, state="active")
    title = factory.Sequence(lambda n: f"Milepæl {n}")
    due_date = date(2027, 6, 30)
    state = "planned"


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    project = factory.SubFactory(ProjectFactory, state="active", children=False)
    amount_nok = Decimal("45000.00")
    trigger = "agreement"
    state = "scheduled"


def api_token_for(user: User, name: str = "test") -> str:
    """A new API token for `user`; returns the key (only its hash is stored)."""
    from accounts.models import ApiToken

    key = ApiToken.generate()
    ApiToken.objects.create(user=user, name=name, prefix=key[:8], key_hash=ApiToken.hash(key))
    return key


def login_recently_authenticated(client, user: User) -> None:
    """`client.force_login(user)`, and record that the password was just entered again the way allauth records a
    reauthentication, so views that ask for it before sensitive changes (email, second factor, API tokens) let
    this client through for the next ACCOUNT_REAUTHENTICATION_TIMEOUT seconds."""
    from allauth.account.internal.flows.login import record_authentication
    from django.http import HttpRequest

    client.force_login(user)
    request = HttpRequest()
    request.session = client.session
    request.user = user
    record_authentication(request, user, method="password", reauthenticated=True)
    request.session.save()
