"""The final accounts in the final report: budget versus spent per line, paid out and unspent, on the page and in
the PDF."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from finance.models import BudgetLine, Expenditure
from tests.factories import ProjectFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    project = ProjectFactory(state="active")
    project.application.budget_lines.all().delete()  # the factory's own lines; these are the ones asserted
    BudgetLine.objects.create(application=project.application, category="salary", year=2026, amount_nok="60000.00")
    BudgetLine.objects.create(application=project.application, category="travel", year=2026, amount_nok="30000.00")
    member = member_of(project.registry)
    Expenditure.objects.create(project=project, year=2026, category="salary", amount_nok="55000.50", reported_by=member)
    Expenditure.objects.create(project=project, year=2026, category="travel", amount_nok="12000.00", reported_by=member)
    first = project.payments.order_by("pk").first()
    type(first).objects.filter(pk=first.pk).update(state="paid")  # 45,000.00 paid out
    project.member = member
    return project


def test_the_final_report_page_shows_the_final_accounts(client, project):
    client.force_login(project.member)

    response = client.get(reverse("projects:final_report_edit", args=[project.pk]))

    html = response.content.decode()
    assert "Final accounts" in html
    assert '<td class="num">60,000.00</td><td class="num">55,000.50</td><td class="num">4,999.50</td>' in html
    assert '<td class="num">90,000.00</td><td class="num">67,000.50</td>' in html  # totals
    # Paid 45,000.00, spent 67,000.50: nothing to return.
    assert '<th scope="row" colspan="3">Unspent, to be returned</th><td class="num">0.00</td>' in html


def test_the_final_report_pdf_carries_the_final_accounts(client, project):
    client.force_login(project.member)

    response = client.get(reverse("projects:final_report_pdf", args=[project.pk]))

    pdf = b"".join(response.streaming_content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for expected in ("Final accounts", "60,000.00", "55,000.50", "67,000.50", "45,000.00"):
        assert expected in text
    assert Decimal("45000.00") == sum(p.amount_nok for p in project.payments.filter(state="paid"))
