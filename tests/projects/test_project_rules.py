"""Project follow-up rules: payments on agreement, final report and termination; the final report's sections."""

from decimal import Decimal

import pytest

from audit.services import history
from core.exceptions import ActionRefused
from finance.models import Payment
from grants import services as grant_services
from projects import services
from projects.models import FinalReport
from tests.core.lifecycle import assert_refused_without_trace, state_of
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    PaymentFactory,
    ProjectFactory,
    SchemeFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db

SQUIRE_KEYS = [
    "title_abstract", "problem", "available_knowledge", "rationale", "aims", "context", "interventions",
    "study_of_interventions", "measures", "analysis", "ethics", "results", "summary", "interpretation",
    "limitations", "conclusions", "funding",
]  # fmt: skip


def _granted_project(amount="85001.00"):
    app = ApplicationFactory(state="recommended", requested_amount_nok=Decimal(amount))
    grant_services.grant(app, by=UserFactory(is_decider=True), granted_amount_nok=Decimal(amount))
    return app.project


def _payments(project):
    return list(Payment.objects.filter(project=project).order_by("id").values_list("trigger", "amount_nok", "state"))


def test_accept_agreement_makes_the_agreement_payment_due():
    project = _granted_project()

    services.accept_agreement(project, by=member_of(project.registry))

    assert _payments(project) == [
        ("agreement", Decimal("42500.50"), "due"),
        ("final_report", Decimal("42500.50"), "scheduled"),
    ]
    due = Payment.objects.get(trigger="agreement")
    assert [(e.action, e.actor, e.source, e.target) for e in history(due)] == [
        ("finance.payment.become_due", None, "scheduled", "due")
    ]


def test_approve_final_report_makes_the_final_payment_due():
    project = ProjectFactory(state="final_report_submitted")

    services.approve_final_report(project, by=UserFactory(is_secretariat=True))

    assert [state for trigger, _amount, state in _payments(project)] == ["scheduled", "due"]


def test_terminate_cancels_every_payment_not_yet_paid_and_audits_each():
    project = ProjectFactory(state="active", children=False)
    payments = {state: PaymentFactory(project=project, state=state) for state in ("scheduled", "due", "approved")}
    paid = PaymentFactory(project=project, state="paid")
    secretariat = UserFactory(is_secretariat=True)

    services.terminate(project, by=secretariat, comment="Prosjektet er avsluttet uten resultater.")

    assert {p.pk: state_of(p) for p in [*payments.values(), paid]} == {
        payments["scheduled"].pk: "cancelled",
        payments["due"].pk: "cancelled",
        payments["approved"].pk: "cancelled",
        paid.pk: "paid",
    }
    for source, payment in payments.items():
        assert [(e.action, e.actor, e.source, e.target, e.comment) for e in history(payment)] == [
            ("finance.payment.cancel", secretariat, source, "cancelled", "Prosjektet er avsluttet uten resultater.")
        ]


def test_terminate_without_a_reason_is_refused(django_capture_on_commit_callbacks):
    project = ProjectFactory(state="active")
    secretariat = UserFactory(is_secretariat=True)

    exc = assert_refused_without_trace(
        lambda: services.terminate(project, by=secretariat, comment="  "),
        ActionRefused,
        project,
        django_capture_on_commit_callbacks,
    )

    assert exc.errors == {"comment": ["Give the reason for terminating the project."]}
    assert [state for _t, _a, state in _payments(project)] == ["scheduled", "scheduled"]


def _quality_improvement_project():
    scheme = SchemeFactory(
        code="quality_improvement",
        requires_indicators=True,
        final_report_sections=services.sections_as_json(services.SQUIRE_SECTIONS),
    )
    project = ProjectFactory(state="active", application__call=CallFactory(scheme=scheme))
    return project, member_of(project.registry)


def test_squire_sections_are_the_required_sections_of_a_quality_improvement_report():
    project, _member = _quality_improvement_project()

    assert services.required_sections(project) == SQUIRE_KEYS


@pytest.mark.parametrize("blank", ["", "   \n\t"])
@pytest.mark.parametrize("missing", ["title_abstract", "ethics", "funding"])
def test_final_report_is_refused_until_every_squire_section_has_text(
    missing, blank, django_capture_on_commit_callbacks
):
    project, member = _quality_improvement_project()
    services.save_final_report(
        project, by=member, sections={k: f"Tekst om {k}." for k in SQUIRE_KEYS} | {missing: blank}
    )

    exc = assert_refused_without_trace(
        lambda: services.submit_final_report(project, by=member),
        ActionRefused,
        project,
        django_capture_on_commit_callbacks,
    )

    assert exc.message == f"Every required section needs text before you submit; missing: {missing}."
    assert exc.errors == {f"sections.{missing}": ["This section is required."]}
    assert FinalReport.objects.get(project=project).submitted_at is None


def test_empty_final_report_lists_every_missing_section_in_order():
    project, member = _quality_improvement_project()

    with pytest.raises(ActionRefused) as exc:
        services.submit_final_report(project, by=member)

    assert list(exc.value.errors) == [f"sections.{k}" for k in SQUIRE_KEYS]


def test_complete_final_report_is_submitted_and_stamped():
    project, member = _quality_improvement_project()
    services.save_final_report(project, by=member, sections={k: f"Tekst om {k}." for k in SQUIRE_KEYS})

    services.submit_final_report(project, by=member)

    assert state_of(project) == "final_report_submitted"
    assert FinalReport.objects.get(project=project).submitted_at is not None


def test_saving_an_unknown_section_is_refused():
    project, member = _quality_improvement_project()

    with pytest.raises(ActionRefused) as exc:
        services.save_final_report(project, by=member, sections={"appendix": "Vedlegg."})

    assert exc.value.errors == {"sections.appendix": ["This scheme's final report has no such section."]}
    assert FinalReport.objects.get(project=project).sections == {}
