"""Progress reports: the registry writes one per period (see projects.agreements for the schedule), the secretariat
approves it or returns it with feedback. No report goes unanswered: both decisions email the registry.

What is stored: `milestones` {milestone id: {"status", "comment"}}, `spending` [{"category", "year", "amount_nok"}]
with amounts as decimal strings (the amounts spent in the report's period per budget line), and, when the report is
submitted, `indicators`: the indicator values so far (projects.outcomes, frozen like the final report's outcome).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from core.notify import after_commit
from core.workflow import fire
from grants.enums import BudgetCategory

from . import rules
from .enums import ProgressReportState, ProjectState
from .models import ProgressReport, Project

PR = ProgressReportState
EDITABLE = (PR.DUE, PR.RETURNED)
MAX_AMOUNT = Decimal("9999999999.99")  # the DecimalField's 12 digits, 2 decimals


class MilestoneProgress(models.TextChoices):
    NOT_STARTED = "not_started", gettext_lazy("Not started")
    ON_TRACK = "on_track", gettext_lazy("On track")
    DELAYED = "delayed", gettext_lazy("Delayed")
    DONE = "done", gettext_lazy("Done")


def is_editable(report: ProgressReport) -> bool:
    return report.state in EDITABLE and report.project.state == ProjectState.ACTIVE


def can_edit(user: Any, report: ProgressReport) -> bool:
    return rules.can_write_progress_report(user, report) and is_editable(report)


# ---------------------------------------------------------------- validation (field-named errors)


def clean_milestones(report: ProgressReport, milestones: dict[str, Any]) -> dict[str, dict[str, str]]:
    known = {str(pk) for pk in report.project.milestones.values_list("pk", flat=True)}
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, dict[str, str]] = {}
    for key, item in milestones.items():
        key = str(key)
        if key not in known:
            errors[f"milestones.{key}"] = [_("This project has no such milestone.")]
            continue
        item = item if isinstance(item, dict) else {}
        status, comment = item.get("status", ""), item.get("comment", "")
        if status not in ("", *MilestoneProgress.values):
            errors[f"milestones.{key}.status"] = [_("Choose one of the listed statuses.")]
        if not isinstance(comment, str):
            errors[f"milestones.{key}.comment"] = [_("Must be text.")]
            continue
        if status or comment.strip():
            cleaned[key] = {"status": status, "comment": comment}
    if errors:
        raise ActionRefused(_("Check the milestones."), errors)
    return cleaned


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value).replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


def _year(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def clean_spending(report: ProgressReport, rows: list[Any]) -> list[dict[str, Any]]:
    """Rows of {category, year, amount_nok} with real types; an empty amount is left out."""
    start, end = report.project.start_date, report.project.end_date
    years = range(start.year, end.year + 1) if start and end else None
    errors: dict[str, list[str]] = {}
    cleaned: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for i, row in enumerate(rows):
        row = row if isinstance(row, dict) else {}
        category, raw = row.get("category"), row.get("amount_nok")
        if category not in BudgetCategory.values:
            errors[f"spending.{i}.category"] = [_("Choose one of the budget categories.")]
        year = _year(row.get("year"))
        if year is None or (years is not None and year not in years):
            errors[f"spending.{i}.year"] = [_("Enter a year within the project period.")]
        if raw is None or str(raw).strip() == "":
            continue
        amount = _amount(raw)
        if amount is None:
            errors[f"spending.{i}.amount_nok"] = [
                _("Enter an amount in NOK of zero or more, with at most two decimals.")
            ]
            continue
        if year is None:
            continue
        if (str(category), year) in seen:
            errors[f"spending.{i}.year"] = [_("This budget line and year is entered twice.")]
        seen.add((str(category), year))
        cleaned.append({"category": category, "year": year, "amount_nok": amount})
    if errors:
        raise ActionRefused(_("Check the spending."), errors)
    return cleaned


def spending_rows(report: ProgressReport) -> list[dict[str, Any]]:
    """The stored spending with Decimal amounts."""
    return [{**row, "amount_nok": Decimal(row["amount_nok"])} for row in report.spending]


# ---------------------------------------------------------------- business actions


def save_progress_report(
    report: ProgressReport,
    *,
    by: Any,
    milestones: dict[str, Any] | None = None,
    spending: list[Any] | None = None,
    summary: str | None = None,
    risks: str | None = None,
    changes: str | None = None,
) -> ProgressReport:
    """Save the draft; only the parts given change. Refused as a whole when any part is invalid."""
    if not rules.can_write_progress_report(by, report):
        raise NotPermitted()
    texts = {"summary": summary, "risks": risks, "changes": changes}
    bad = [k for k, v in texts.items() if v is not None and not isinstance(v, str)]
    if bad:
        raise ActionRefused(_("Must be text."), {k: [_("Must be text.")] for k in bad})
    clean_ms = clean_milestones(report, milestones) if milestones is not None else None
    clean_sp = clean_spending(report, spending) if spending is not None else None
    with transaction.atomic():
        locked = ProgressReport.objects.select_for_update().select_related("project").get(pk=report.pk)
        if not is_editable(locked):
            raise InvalidTransition(
                _("The progress report can be edited only while it is due or returned and the project is active.")
            )
        if clean_ms is not None:
            locked.milestones = clean_ms
        if clean_sp is not None:
            locked.spending = [{**row, "amount_nok": str(row["amount_nok"])} for row in clean_sp]
        for key, value in texts.items():
            if value is not None:
                setattr(locked, key, value)
        locked.save()
    return locked


def _frozen_indicators(report: ProgressReport) -> dict[str, Any]:
    from .outcomes import freeze, project_outcomes

    return {**freeze(project_outcomes(report.project)), "at": timezone.now().isoformat()}


def submit_progress_report(report: ProgressReport, *, by: Any, comment: str = "") -> ProgressReport:
    def check(locked: ProgressReport) -> None:
        if locked.project.state != ProjectState.ACTIVE:
            raise InvalidTransition(_("Progress reports can be submitted only while the project is active."))
        if not locked.summary.strip():
            msg = _("Describe the progress before you submit.")
            raise ActionRefused(msg, {"summary": [msg]})

    def stamp(locked: ProgressReport) -> None:
        locked.submitted_by = by
        locked.feedback = ""
        locked.indicators = _frozen_indicators(locked)
        locked.save(update_fields=["submitted_by", "feedback", "indicators"])

    return fire(
        report,
        "submit",
        by=by,
        comment=comment,
        check=check,
        after=stamp,
        on_commit=[after_commit("progress_report_submitted")],
    )


def _record_expenditures(report: ProgressReport, by: Any) -> None:
    """The approved spending goes to the accounts (finance owns expenditure)."""
    from finance import services as finance

    if hasattr(finance, "record_expenditures"):
        finance.record_expenditures(report, spending_rows(report), by=by)
    project = Project.objects.select_for_update().get(pk=report.project_id)
    if project.unspent_nok is not None:  # already closed out: spending approved now changes what is owed back
        finance.close_out(project)


def approve_progress_report(
    report: ProgressReport, *, by: Any, comment: str = "", feedback: str = ""
) -> ProgressReport:
    text = (feedback or comment).strip()

    def after(locked: ProgressReport) -> None:
        locked.decided_by = by
        locked.feedback = text
        locked.save(update_fields=["decided_by", "feedback"])
        _record_expenditures(locked, by)

    return fire(
        report, "approve", by=by, comment=text, after=after, on_commit=[after_commit("progress_report_decided")]
    )


def return_progress_report(report: ProgressReport, *, by: Any, comment: str = "", feedback: str = "") -> ProgressReport:
    text = (feedback or comment).strip()

    def check(locked: ProgressReport) -> None:
        if not text:
            msg = _("Write the feedback: say what must be changed.")
            raise ActionRefused(msg, {"feedback": [msg]})

    def after(locked: ProgressReport) -> None:
        locked.decided_by = by
        locked.feedback = text
        locked.save(update_fields=["decided_by", "feedback"])

    return fire(
        report,
        "return_report",
        by=by,
        comment=text,
        check=check,
        after=after,
        on_commit=[after_commit("progress_report_decided")],
    )


PROGRESS_ACTIONS = {
    "submit": submit_progress_report,
    "approve": approve_progress_report,
    "return_report": return_progress_report,
}
