"""Every list endpoint answers 1 and 30 rows with the same, exact number of queries."""

from decimal import Decimal

import pytest

from audit.services import record
from grants.models import ApplicationIndicator
from registries.models import IndicatorValue
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ExpertGroupMemberFactory,
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    ProjectFactory,
    RegistryFactory,
    ReviewFactory,
    SchemeFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db


class Registries:
    queries = 2  # token + rows

    def __init__(self):
        self.user, self.path = UserFactory(), "/registries"

    def add(self, n):
        RegistryFactory.create_batch(n)


class Indicators:
    queries = 3  # token, registry, rows

    def __init__(self):
        self.registry = RegistryFactory()
        self.user, self.path = UserFactory(), f"/registries/{self.registry.pk}/indicators"

    def add(self, n):
        IndicatorFactory.create_batch(n, registry=self.registry)


class IndicatorValues:
    queries = 4  # token, indicator, organisation tree, values

    def __init__(self):
        self.indicator = IndicatorFactory()
        self.user, self.path = UserFactory(), f"/indicators/{self.indicator.pk}/values"

    def add(self, n):
        for hospital in OrganisationFactory.create_batch(n):
            IndicatorValue.objects.create(
                indicator=self.indicator, organisation=hospital, year=2025, numerator=3, denominator=10
            )


class Schemes:
    queries = 3  # token, schemes, criteria

    def __init__(self):
        self.user, self.path, self.count = UserFactory(), "/schemes", 0

    def add(self, n):
        for _ in range(n):
            self.count += 1
            SchemeFactory(code=f"scheme_{self.count}")


class Users:
    queries = 4  # token, users, registry memberships, committee memberships with group and scheme
    extra_rows = 1  # the secretariat user itself

    def __init__(self):
        self.user, self.path = UserFactory(is_secretariat=True), "/users"

    def add(self, n):
        for _ in range(n):
            user = member_of(RegistryFactory())
            ExpertGroupMemberFactory(user=user)


class Calls:
    queries = 3  # token, calls with scheme, criteria

    def __init__(self):
        self.user, self.path = UserFactory(), "/calls"

    def add(self, n):
        CallFactory.create_batch(n)


class Applications:
    queries = 7  # token, registry ids, applications with project, budget lines, indicators, milestones, history

    def __init__(self):
        self.registry = RegistryFactory()
        self.user, self.path = member_of(self.registry), "/applications"
        self.indicator = IndicatorFactory(registry=self.registry)

    def add(self, n):
        for app in ApplicationFactory.create_batch(n, registry=self.registry):
            ApplicationIndicator.objects.create(application=app, indicator=self.indicator, baseline_value=1)
            record(app, "grants.application.create", actor=self.user, target="draft")


class Reviews:
    # token, registry ids, application, reviews with their conflict flags, scores with criteria, and one insert of
    # the audit entries of the reads (the review's content type is cached once per process, as in production)
    queries = 6

    def __init__(self):
        from django.contrib.contenttypes.models import ContentType

        from reviews.models import Review

        ContentType.objects.get_for_model(Review)
        self.application = ApplicationFactory(state="in_review")
        self.user = UserFactory(is_secretariat=True)
        self.path = f"/applications/{self.application.pk}/reviews"

    def add(self, n):
        ReviewFactory.create_batch(n, application=self.application, state="submitted")


class Ranking:
    queries = 5  # token, call, applications, scores, earlier grantees

    def __init__(self):
        self.call = CallFactory()
        self.user, self.path = UserFactory(is_secretariat=True), f"/calls/{self.call.pk}/ranking"

    def add(self, n):
        for _ in range(n):
            ReviewFactory(application=ApplicationFactory(call=self.call, state="in_review"), state="submitted")


class Projects:
    # token, registry ids, projects, milestones, payments, applications, their indicators, history,
    # organisation tree, indicator values (latest national value)
    queries = 10

    def __init__(self):
        self.registry = RegistryFactory()
        self.user, self.path = member_of(self.registry), "/projects"
        self.indicator = IndicatorFactory(registry=self.registry)
        nation = OrganisationFactory(orgnr=1, level="nation")
        IndicatorValue.objects.create(
            indicator=self.indicator, organisation=nation, year=2025, numerator=1, denominator=4
        )

    def add(self, n):
        for _ in range(n):
            app = ApplicationFactory(registry=self.registry, state="granted", granted_amount_nok=Decimal(90000))
            ApplicationIndicator.objects.create(application=app, indicator=self.indicator, baseline_value=1)
            project = ProjectFactory(application=app, state="active")
            MilestoneFactory(project=project)
            record(project, "projects.project.create", actor=self.user, target="agreement_pending")


ENDPOINTS = [Registries, Indicators, IndicatorValues, Schemes, Users, Calls, Applications, Reviews, Ranking, Projects]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.__name__)
def test_a_list_endpoint_needs_the_same_queries_for_1_and_30_rows(api, django_assert_num_queries, endpoint):
    case = endpoint()
    client = api(case.user)
    client.get(case.path)  # the token's first use is recorded once; not part of the count
    extra = getattr(case, "extra_rows", 0)

    case.add(1)
    with django_assert_num_queries(case.queries):
        one = client.get(case.path)
    case.add(29)
    with django_assert_num_queries(case.queries):
        thirty = client.get(case.path)

    assert (one.status_code, len(one.json())) == (200, 1 + extra)
    assert (thirty.status_code, len(thirty.json())) == (200, 30 + extra)
