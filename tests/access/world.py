"""One world for the access matrix: registry A's applications in every state that matters, registry B, and one
user per role, each with a logged-in web client and an API bearer token."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from accounts.services import create_calendar_token
from finance.models import Payment
from grants.models import ApplicationIndicator, Decision, DecisionLetter, DecisionMeeting
from projects.models import ChangeRequest
from registries.models import IndicatorImport
from reviews.models import RecommendationVersion
from reviews.services import declare_conflict
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ExpertGroupFactory,
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    ProjectFactory,
    RegistryFactory,
    ReviewFactory,
    SchemeFactory,
    UserFactory,
    api_token_for,
    login_recently_authenticated,
    member_of,
    reviewer_for,
)

# The columns of every row of the matrix, in this order.
ROLES = (
    "anonymous",  # nobody logged in; the API gets no token
    "applicant",  # member of registry A, whose applications these are
    "stranger",  # member of registry B only
    "reviewer",  # in the expert group, assigned to A's in_review application
    "unassigned",  # in the expert group, assigned to nothing
    "conflicted",  # in the expert group, assigned to the in_review application, then declared a conflict
    "secretariat",
    "decider",
    "admin",  # superuser, no other flag
)


# A hospital of the organisation tree: the API matrix's FHIR import reports a value for it.
UNIT_ORGNR = 974589095


@dataclass
class World:
    ids: dict[str, int]
    users: dict[str, Any]
    web: dict[str, Client] = field(default_factory=dict)
    api: dict[str, Client] = field(default_factory=dict)


def _users(registry_a: Any, registry_b: Any, scheme: Any) -> dict[str, Any]:
    return {
        "anonymous": None,
        "applicant": member_of(registry_a),
        "stranger": member_of(registry_b),
        "reviewer": reviewer_for(scheme),
        "unassigned": reviewer_for(scheme),
        "conflicted": reviewer_for(scheme),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
        "admin": UserFactory(is_superuser=True, is_staff=True),
    }


def build_world() -> World:
    scheme = SchemeFactory()
    ExpertGroupFactory(scheme=scheme)
    registry_a, registry_b = RegistryFactory(), RegistryFactory()
    indicator = IndicatorFactory(registry=registry_a)
    OrganisationFactory(orgnr=UNIT_ORGNR)
    call = CallFactory(scheme=scheme, year=2026)
    draft_call = CallFactory(scheme=scheme, state="draft")
    users = _users(registry_a, registry_b, scheme)

    def application(state: str, **kwargs: Any) -> Any:
        return ApplicationFactory(call=call, registry=registry_a, state=state, **kwargs)

    draft, submitted, in_review = application("draft"), application("submitted"), application("in_review")
    recommended = application("recommended", proposed_amount_nok=Decimal("90000.00"))
    granted = application("granted", granted_amount_nok=Decimal("90000.00"))
    AssignmentFactory(application=in_review, reviewer=users["reviewer"])
    ReviewFactory(application=in_review, reviewer=users["reviewer"])  # a complete draft, not yet submitted
    AssignmentFactory(application=in_review, reviewer=users["conflicted"])
    declare_conflict(in_review, by=users["conflicted"], reason="Medforfatter med prosjektlederen.")
    project = ProjectFactory(application=granted, state="active")
    report_due, report_submitted = _agreement_and_progress_reports(project)
    ApplicationIndicator.objects.create(application=granted, indicator=indicator, target_value=Decimal("0.1"))
    planned = MilestoneFactory(project=project, state="planned")
    reported = MilestoneFactory(project=project, state="reported", report_text="Uttrekket er gjort.")
    payment = project.payments.get(trigger="agreement")
    Payment.objects.filter(pk=payment.pk).update(state="due")
    change = ChangeRequest.objects.create(
        project=project,
        kind="extension",
        proposal={"end_date": "2028-06-30", "final_report_due": "2028-09-30"},
        before={"end_date": "2027-12-31", "final_report_due": None},
        reason="Datautleveringen er forsinket.",
        created_by=users["applicant"],
    )
    applicant_token = api_token_for(users["applicant"], name="script")
    calendar_token = create_calendar_token(users["applicant"], by=users["applicant"])
    version, meeting = _recommendation_and_decision(call, [in_review, recommended, granted], granted)
    indicator_import = _refused_import(registry_a, users["applicant"])
    annual_file = _annual_summary_file()
    ids = {
        "scheme": scheme.pk,
        "registry_a": registry_a.pk,
        "registry_b": registry_b.pk,
        "indicator": indicator.pk,
        "call": call.pk,
        "draft_call": draft_call.pk,
        "draft": draft.pk,
        "submitted": submitted.pk,
        "in_review": in_review.pk,
        "recommended": recommended.pk,
        "granted": granted.pk,
        "project": project.pk,
        "milestone_planned": planned.pk,
        "milestone_reported": reported.pk,
        "payment_due": payment.pk,
        "change_request": change.pk,
        "fmt_csv": "csv",
        "fmt_xlsx": "xlsx",
        "kind_extension": "extension",
        "chart_funding": "funding",
        "chart_targets": "targets",
        "chart_unknown": "unknown",
        "progress_report_due": report_due.pk,
        "progress_report_submitted": report_submitted.pk,
        "recommendation_version": version.pk,
        "decision_meeting": meeting.pk,
        "indicator_import": indicator_import.pk,
        "annual_file": annual_file.pk,
        "applicant_token": ApiToken.objects.get(key_hash=ApiToken.hash(applicant_token)).pk,
        "applicant_calendar_token": calendar_token,  # type: ignore[dict-item]  # the feed's URL takes the secret
        "unknown_calendar_token": "not-a-calendar-secret",  # type: ignore[dict-item]
        **{f"user_{role}": user.pk for role, user in users.items() if user is not None},
    }
    return World(ids=ids, users=users)


def _recommendation_and_decision(call: Any, ranked: list[Any], granted: Any) -> tuple[Any, Any]:
    """A recommendation sent with its PDF (listing the application the conflicted reviewer is conflicted with), and
    the meeting that granted `granted`, with its letter. The files are stand-ins: rendering is tested elsewhere."""
    rows = [{"application_id": a.pk, "registry_id": a.registry_id, "title": a.title} for a in ranked]
    version = RecommendationVersion.objects.create(call=call, version=1, rows=rows, pdf=ContentFile(PDF, "v1.pdf"))
    meeting = DecisionMeeting.objects.create(
        call=call, held_on=date(2026, 11, 2), body="IRA", attendees="Leder, to medlemmer.", recommendation=version
    )
    Decision.objects.create(
        meeting=meeting, application=granted, outcome="grant", amount_nok=granted.granted_amount_nok
    )
    DecisionLetter.objects.create(application=granted, pdf=ContentFile(PDF, "letter.pdf"), generated_at=timezone.now())
    return version, meeting


def _agreement_and_progress_reports(project: Any) -> tuple[Any, Any]:
    """The project's agreement and a signed copy (stand-in files), and two progress reports: one due with its
    progress written (so it can be submitted), one submitted (so it can be decided)."""
    from projects.models import ProgressReport

    project.agreement_pdf.save("agreement.pdf", ContentFile(PDF), save=False)
    project.signed_agreement.save("signed.pdf", ContentFile(PDF), save=False)
    project.save(update_fields=["agreement_pdf", "signed_agreement"])
    period = {"period_start": date(2026, 1, 1), "period_end": date(2026, 6, 30), "due_date": date(2026, 7, 31)}
    due = ProgressReport.objects.create(project=project, number=2, summary="Uttrekket er gjort.", **period)
    submitted = ProgressReport.objects.create(
        project=project, number=1, state="submitted", summary="Oppstart.", submitted_at=timezone.now(), **period
    )
    return due, submitted


def _annual_summary_file() -> Any:
    """A made annual summary (a stand-in file: making it is tested in tests/finance/test_annual_summary.py)."""
    from finance.models import AnnualSummaryFile

    return AnnualSummaryFile.objects.create(
        year=2026, format="pdf", language="en", digest="0" * 64, status="done", progress=100,
        file=ContentFile(PDF, "annual.pdf"), finished_at=timezone.now(),
    )  # fmt: skip


def _refused_import(registry: Any, by: Any) -> Any:
    """A registry member's finished web import of registry A's data, refused (the report is the page's content)."""
    return IndicatorImport.objects.create(
        file=ContentFile(b'"year";"orgnr";"var";"ind_id"\n2020;123;1;"x"\n', "stored.csv"),
        original_name="verdier.csv",
        size=42,
        uploaded_by=by,
        registry=registry,
        state="refused",
        progress=100,
        stage="done",
        problems=["2: unknown organisation 123 (1 rows); the file is not imported until it is known"],
        finished_at=timezone.now(),
    )


PDF = b"%PDF-1.4\n%%EOF\n"

_handler: list[Any] = []


def _client(**kwargs: Any) -> Client:
    """A test client sharing one request handler: building the middleware chain (WhiteNoise indexes every static
    file) costs more than the requests themselves."""
    client = Client(**kwargs)
    if _handler:
        client.handler = _handler[0]
    else:
        _handler.append(client.handler)
    return client


def web_client(world: World, role: str) -> Client:
    if role not in world.web:
        client = _client()
        if world.users[role] is not None:
            login_recently_authenticated(client, world.users[role])  # the token views ask for a recent password
        world.web[role] = client
    return world.web[role]


def api_client(world: World, role: str) -> Client:
    if role not in world.api:
        user = world.users[role]
        headers = {"Authorization": f"Bearer {api_token_for(user)}"} if user is not None else {}
        world.api[role] = _client(headers=headers)
    return world.api[role]
