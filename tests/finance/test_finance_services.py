"""Expenditure reports, close-out, returned funds, the payment list and its exports."""

import csv
import io
from datetime import date
from decimal import Decimal as D

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from audit.services import history
from core.exceptions import ActionRefused, NotPermitted
from finance import services
from finance.models import Expenditure, Payment
from finance.selectors import project_finance
from projects import services as project_services
from projects.models import ProgressReport, Project
from tests.factories import PaymentFactory, ProjectFactory, RegistryFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def _report(project):
    return ProgressReport.objects.create(
        project=project,
        number=1,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 6, 30),
        due_date=date(2027, 7, 31),
    )


def test_record_expenditures_links_rows_to_the_report_and_replaces_on_resubmission():
    project = ProjectFactory(state="active")
    report = _report(project)
    member = member_of(project.registry)

    services.record_expenditures(report, [{"year": 2027, "category": "salary", "amount_nok": D("100.10")}], by=member)
    created = services.record_expenditures(
        report,
        [
            {"year": 2027, "category": "salary", "amount_nok": D("30000.05")},
            {"year": 2027, "category": "travel", "amount_nok": "1200.5"},
        ],
        by=member,
    )

    assert [(e.year, e.category, e.amount_nok, e.progress_report_id) for e in created] == [
        (2027, "salary", D("30000.05"), report.pk),
        (2027, "travel", D("1200.50"), report.pk),
    ]
    assert Expenditure.objects.filter(project=project).count() == 2
    assert history(project).filter(action="finance.expenditure.report").last().data == {
        "progress_report": report.pk,
        "replaced": 1,
        "rows": [
            {"year": 2027, "category": "salary", "amount_nok": "30000.05"},
            {"year": 2027, "category": "travel", "amount_nok": "1200.50"},
        ],
    }


def test_record_expenditures_names_each_bad_field_and_stores_nothing():
    project = ProjectFactory(state="active")
    report = _report(project)
    rows = [
        {"year": "2027", "category": "salary", "amount_nok": D("1")},
        {"year": 2027, "category": "lunch", "amount_nok": D("-1")},
        {"year": 2027, "category": "salary", "amount_nok": 10.5},
        {"year": 2027, "category": "salary", "amount_nok": D("0.001")},
    ]

    with translation.override("en"), pytest.raises(ActionRefused) as exc:
        services.record_expenditures(report, rows, by=member_of(project.registry))

    assert exc.value.errors == {
        "spending.0.year": ["Give a year between 2000 and 2100."],
        "spending.1.category": ["Choose one of the budget categories: salary, operating, travel, equipment, other."],
        "spending.1.amount_nok": ["The amount cannot be negative."],
        "spending.2.amount_nok": ["Give an amount in NOK, e.g. 85000.00."],
        "spending.3.amount_nok": ["At most two decimals (øre)."],
    }
    assert Expenditure.objects.count() == 0


def test_a_stranger_may_not_record_expenditures():
    report = _report(ProjectFactory(state="active"))

    with pytest.raises(NotPermitted):
        services.record_expenditures(report, [], by=member_of(RegistryFactory()))


def _spend(project, year, category, amount):
    return Expenditure.objects.create(
        project=project, year=year, category=category, amount_nok=D(amount), reported_by=member_of(project.registry)
    )


def test_budget_versus_actual_on_the_project():
    project = ProjectFactory(state="active")  # budget 2027 salary 90000.00
    _spend(project, 2027, "salary", "40000.33")
    _spend(project, 2027, "salary", "9999.67")
    _spend(project, 2028, "travel", "500.00")

    finance = project_finance(project)

    assert [(r.year, r.category, r.budget_nok, r.actual_nok, r.remaining_nok) for r in finance.lines] == [
        (2027, "salary", D("90000.00"), D("50000.00"), D("40000.00")),
        (2028, "travel", D("0.00"), D("500.00"), D("-500.00")),
    ]
    assert (finance.budget_total, finance.spent_total, finance.paid_total) == (D("90000.00"), D("50500.00"), D("0"))


def test_approving_the_final_report_computes_unspent_from_paid_minus_spent():
    project = ProjectFactory(state="final_report_submitted")  # payments 45000 + 45000
    Payment.objects.filter(project=project, trigger="agreement").update(state="paid")
    _spend(project, 2027, "salary", "30000.01")

    project_services.approve_final_report(project, by=UserFactory(is_secretariat=True))

    assert Project.objects.get(pk=project.pk).unspent_nok == D("14999.99")


def test_a_payment_paid_after_close_out_updates_unspent():
    project = ProjectFactory(state="final_report_submitted")
    Payment.objects.filter(project=project, trigger="agreement").update(state="paid")
    _spend(project, 2027, "salary", "80000.00")
    secretariat = UserFactory(is_secretariat=True)
    project_services.approve_final_report(project, by=secretariat)
    final = Payment.objects.get(project=project, trigger="final_report")
    services.approve_payment(final, by=secretariat)

    services.mark_paid(final, by=secretariat, reference="B-9", paid_on=date(2026, 1, 2))

    assert Project.objects.get(pk=project.pk).unspent_nok == D("10000.00")


def test_record_funds_return_is_audited_with_both_versions():
    project = ProjectFactory(state="closed")
    Project.objects.filter(pk=project.pk).update(unspent_nok=D("14999.99"))
    secretariat = UserFactory(is_secretariat=True)

    services.record_funds_return(
        project, by=secretariat, amount_nok="14999.99", returned_on="2026-02-01", reference="INNBET-7"
    )

    saved = Project.objects.get(pk=project.pk)
    assert (saved.funds_returned_nok, saved.funds_returned_on, saved.funds_return_reference) == (
        D("14999.99"),
        date(2026, 2, 1),
        "INNBET-7",
    )
    entry = history(project).get(action="finance.funds.return")
    assert (entry.actor, entry.data) == (
        secretariat,
        {
            "before": {"amount_nok": None, "returned_on": None, "reference": ""},
            "after": {"amount_nok": "14999.99", "returned_on": "2026-02-01", "reference": "INNBET-7"},
        },
    )


def test_record_funds_return_validates_each_field():
    project = ProjectFactory(state="closed")
    Project.objects.filter(pk=project.pk).update(unspent_nok=D("1.00"))

    with translation.override("en"), pytest.raises(ActionRefused) as exc:
        services.record_funds_return(
            project, by=UserFactory(is_secretariat=True), amount_nok="0", returned_on="i går", reference=""
        )

    assert exc.value.errors == {
        "amount_nok": ["The amount must be above 0."],
        "returned_on": ["Give the date the money was returned (YYYY-MM-DD)."],
        "reference": ["Give the payment reference from the accounts."],
    }


def test_funds_return_before_close_out_is_refused_and_members_may_not_record_it():
    project = ProjectFactory(state="active")

    with pytest.raises(ActionRefused):
        services.record_funds_return(
            project, by=UserFactory(is_secretariat=True), amount_nok="1", returned_on="2026-01-01", reference="R"
        )
    with pytest.raises(NotPermitted):
        services.record_funds_return(
            project, by=member_of(project.registry), amount_nok="1", returned_on="2026-01-01", reference="R"
        )


# ---------------------------------------------------------------- the payment list and its exports


def _secretariat_client():
    client = Client()
    client.force_login(UserFactory(is_secretariat=True))
    return client


def _payments(n):
    project = ProjectFactory(state="active", children=False)
    return [PaymentFactory(project=project, amount_nok=D("1000.01"), state="due") for _i in range(n)]


@pytest.mark.parametrize("n", [1, 30])
def test_payment_list_queries_do_not_grow_with_rows(n):
    _payments(n)
    client = _secretariat_client()
    client.get("/finance/payments/")  # warm up session and content types

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/finance/payments/")

    assert response.status_code == 200
    assert response.context["total"] == D("1000.01") * n
    # 8 before the shared list filters; the filter form's choices (schemes, calls, years, registries) replaced the
    # schemes query with four.
    assert len(queries) == 10  # the user's roles come with the session check (accounts.models.User)


def test_payment_list_filters_by_state():
    _due, paid = _payments(2)
    Payment.objects.filter(pk=paid.pk).update(state="paid")

    response = _secretariat_client().get("/finance/payments/?state=paid")

    assert [p.pk for p in response.context["page"].object_list] == [paid.pk]


def test_exports_are_typed_and_defuse_formulas():
    project = ProjectFactory(state="active", children=False, title='=HYPERLINK("http://x")')
    PaymentFactory(project=project, amount_nok=D("1234.56"), state="paid", reference="+47", paid_on=date(2026, 1, 5))
    client = _secretariat_client()

    csv_rows = list(
        csv.reader(io.StringIO(b"".join(client.get("/finance/payments/export.csv").streaming_content).decode()))
    )
    book = openpyxl.load_workbook(io.BytesIO(b"".join(client.get("/finance/payments/export.xlsx").streaming_content)))
    sheet = book.active
    row = [c.value for c in sheet[2]]

    assert csv_rows[1][1:3] == ['\'=HYPERLINK("http://x")', project.registry.short_name]
    assert csv_rows[1][5:] == ["agreement", "paid", "1234.56", "", "2026-01-05", "'+47"]
    assert row[1] == '\'=HYPERLINK("http://x")'
    assert (row[7], row[9].date(), row[10]) == (1234.56, date(2026, 1, 5), "'+47")
    assert sheet.cell(2, 2).data_type == "s"
