"""Change requests: the registry asks to move the end date, reallocate the budget or change the milestones; the
secretariat approves (the change is applied to the plan) or refuses, always with a reason.

`before` holds the plan as it was and `proposal` the plan asked for; both go into the audit trail when the change is
applied, so the history keeps both versions.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from core.workflow import fire
from finance.models import BudgetLine
from finance.plan import ZERO
from finance.services import YEARS, parse_date, parse_money
from grants.enums import BudgetCategory

from . import rules
from .enums import ChangeKind, MilestoneState, ProjectState
from .models import ChangeRequest, Milestone, Project

MAX_MILESTONES = 50


# ---------------------------------------------------------------- the plan as JSON


def final_report_due(project: Project, end: date) -> date:
    return end + relativedelta(months=project.application.call.scheme.final_report_months)


def _budget_lines(project: Project) -> list[dict[str, Any]]:
    lines = BudgetLine.objects.filter(application_id=project.application_id).order_by("year", "category", "id")
    return [{"year": b.year, "category": b.category, "amount_nok": str(b.amount_nok)} for b in lines]


def _planned(project: Project) -> list[dict[str, Any]]:
    rows = project.milestones.order_by("due_date", "id")
    return [{"id": m.pk, "title": m.title, "due_date": m.due_date.isoformat(), "state": m.state} for m in rows]


def current_plan(project: Project, kind: str) -> dict[str, Any]:
    if kind == ChangeKind.EXTENSION:
        return {
            "end_date": project.end_date.isoformat() if project.end_date else None,
            "final_report_due": project.final_report_due.isoformat() if project.final_report_due else None,
        }
    if kind == ChangeKind.BUDGET:
        return {"lines": _budget_lines(project)}
    return {"milestones": _planned(project)}


# ---------------------------------------------------------------- validation: proposal → clean proposal


def _extension(project: Project, proposal: dict[str, Any]) -> dict[str, Any]:
    end = parse_date(proposal.get("end_date"))
    if end is None:
        raise ActionRefused(_("Give the new end date (YYYY-MM-DD)."), {"end_date": [_("Give a date (YYYY-MM-DD).")]})
    if project.end_date is not None and end <= project.end_date:
        msg = _("The new end date must be after the current one (%(date)s).") % {"date": project.end_date.isoformat()}
        raise ActionRefused(msg, {"end_date": [msg]})
    return {"end_date": end.isoformat(), "final_report_due": final_report_due(project, end).isoformat()}


def _budget(project: Project, proposal: dict[str, Any]) -> dict[str, Any]:
    lines = proposal.get("lines")
    if not isinstance(lines, list) or not lines:
        msg = _("Give the whole new budget: one line per year and category.")
        raise ActionRefused(msg, {"lines": [msg]})
    errors: dict[str, list[str]] = {}
    clean: dict[tuple[int, str], Decimal] = {}
    for i, line in enumerate(lines):
        if not isinstance(line, dict):
            errors[f"lines.{i}"] = [_("Give year, category and amount.")]
            continue
        year, category = line.get("year"), line.get("category")
        amount, problem = parse_money(line.get("amount_nok"))
        if isinstance(year, bool) or not isinstance(year, int) or year not in YEARS:
            errors[f"lines.{i}.year"] = [_("Give a year between 2000 and 2100.")]
        if category not in BudgetCategory.values:
            errors[f"lines.{i}.category"] = [
                _("Choose one of the budget categories: %(choices)s.") % {"choices": ", ".join(BudgetCategory.values)}
            ]
        if amount is None:
            errors[f"lines.{i}.amount_nok"] = [problem]
        if not errors and (year, category) in clean:
            errors[f"lines.{i}"] = [_("Each year and category once only.")]
        if amount is not None:
            clean[(year, category)] = amount
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    _same_total(project, sum(clean.values(), ZERO))
    return {
        "lines": [
            {"year": y, "category": c, "amount_nok": str(a)}
            for (y, c), a in sorted(clean.items())
            if a > 0  # a line moved to nothing is removed
        ]
    }


def _same_total(project: Project, total: Decimal) -> None:
    current = sum((Decimal(line["amount_nok"]) for line in _budget_lines(project)), ZERO)
    if total != current:
        msg = _("A reallocation keeps the total: the new lines add up to %(new)s NOK, the budget is %(old)s NOK.") % {
            "new": f"{total:.2f}",
            "old": f"{current:.2f}",
        }
        raise ActionRefused(msg, {"lines": [msg]})


def _milestones(project: Project, proposal: dict[str, Any]) -> dict[str, Any]:
    rows = proposal.get("milestones")
    if not isinstance(rows, list) or len(rows) > MAX_MILESTONES:
        msg = _("Give the new list of planned milestones (at most %(n)s).") % {"n": MAX_MILESTONES}
        raise ActionRefused(msg, {"milestones": [msg]})
    planned = set(project.milestones.filter(state=MilestoneState.PLANNED).values_list("pk", flat=True))
    errors: dict[str, list[str]] = {}
    clean, seen = [], set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[f"milestones.{i}"] = [_("Give a title and a due date.")]
            continue
        mid = row.get("id")
        if mid is not None and (mid not in planned or mid in seen):
            errors[f"milestones.{i}.id"] = [_("Only planned milestones of this project can be changed, each once.")]
        seen.add(mid)
        title = str(row.get("title") or "").strip()
        if not title or len(title) > 200:
            errors[f"milestones.{i}.title"] = [_("Give a title of at most 200 characters.")]
        due = parse_date(row.get("due_date"))
        if due is None:
            errors[f"milestones.{i}.due_date"] = [_("Give a date (YYYY-MM-DD).")]
        clean.append({"id": mid, "title": title, "due_date": due.isoformat() if due else None})
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    return {"milestones": clean}


VALIDATORS = {ChangeKind.EXTENSION: _extension, ChangeKind.BUDGET: _budget, ChangeKind.MILESTONES: _milestones}


# ---------------------------------------------------------------- the actions


def submit_change(project: Project, *, by: Any, kind: str, proposal: Any, reason: str) -> ChangeRequest:
    """The registry asks for a change of an active project."""
    if not rules.can_run_project(by, project):
        raise NotPermitted()
    errors: dict[str, list[str]] = {}
    if kind not in ChangeKind.values:
        errors["kind"] = [_("Choose one of: %(kinds)s.") % {"kinds": ", ".join(ChangeKind.values)}]
    if not (reason or "").strip():
        errors["reason"] = [_("Say why the change is needed.")]
    if not isinstance(proposal, dict):
        errors["proposal"] = [_("Describe the change.")]
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    with transaction.atomic():
        locked = Project.objects.select_for_update().select_related("application__call__scheme").get(pk=project.pk)
        if locked.state != ProjectState.ACTIVE:
            raise InvalidTransition(_("Changes can be requested only while the project is active."))
        clean = VALIDATORS[ChangeKind(kind)](locked, proposal)
        change = ChangeRequest.objects.create(
            project=locked,
            kind=kind,
            proposal=clean,
            before=current_plan(locked, kind),
            reason=reason.strip(),
            created_by=by,
        )
        record(change, "projects.changerequest.submit", actor=by, target=change.state, data={"proposal": clean})
    return change


def _decision_reason(comment: str) -> None:
    if not comment.strip():
        msg = _("Give the reason for the decision.")
        raise ActionRefused(msg, {"comment": [msg]})


def _decided(by: Any, comment: str) -> Any:
    def stamp(locked: ChangeRequest) -> None:
        locked.decided_by, locked.decision_reason = by, comment.strip()
        locked.save(update_fields=["decided_by", "decision_reason"])

    return stamp


def approve_change(change: ChangeRequest, *, by: Any, comment: str = "") -> ChangeRequest:
    """Approve and apply, under a lock on the project: the plan as it is now becomes `before`."""

    def apply(locked: ChangeRequest) -> None:
        _decided(by, comment)(locked)
        project = (
            Project.objects.select_for_update().select_related("application__call__scheme").get(pk=locked.project_id)
        )
        if project.state != ProjectState.ACTIVE:
            raise InvalidTransition(_("Changes can be applied only while the project is active."))
        before = current_plan(project, locked.kind)
        APPLY[ChangeKind(locked.kind)](project, locked.proposal)
        after = current_plan(project, locked.kind)
        locked.before = before
        locked.save(update_fields=["before"])
        record(locked, "projects.changerequest.apply", actor=by, data={"before": before, "after": after})
        record(project, f"projects.project.change_{locked.kind}", actor=by, data={"before": before, "after": after})

    return fire(change, "approve", by=by, comment=comment, check=lambda c: _decision_reason(comment), after=apply)


def refuse_change(change: ChangeRequest, *, by: Any, comment: str = "") -> ChangeRequest:
    return fire(
        change, "refuse", by=by, comment=comment, check=lambda c: _decision_reason(comment), after=_decided(by, comment)
    )


def withdraw_change(change: ChangeRequest, *, by: Any, comment: str = "") -> ChangeRequest:
    return fire(change, "withdraw", by=by, comment=comment)


CHANGE_ACTIONS = {"approve": approve_change, "refuse": refuse_change, "withdraw": withdraw_change}


# ---------------------------------------------------------------- applying an approved change


def _apply_extension(project: Project, proposal: dict[str, Any]) -> None:
    end = date.fromisoformat(proposal["end_date"])
    if project.end_date is not None and end <= project.end_date:
        msg = _("The project already ends on %(date)s or later.") % {"date": project.end_date.isoformat()}
        raise ActionRefused(msg, {"end_date": [msg]})
    project.end_date = end
    project.final_report_due = final_report_due(project, end)
    project.save(update_fields=["end_date", "final_report_due"])


def _apply_budget(project: Project, proposal: dict[str, Any]) -> None:
    # The budget may have changed since the request (another approved change): the total must still match.
    _same_total(project, sum((Decimal(line["amount_nok"]) for line in proposal["lines"]), ZERO))
    old = BudgetLine.objects.filter(application_id=project.application_id)
    descriptions: dict[tuple[int, str], str] = {}
    for line in old.order_by("id"):
        descriptions.setdefault((line.year, line.category), line.description)
    old.delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(
            application_id=project.application_id,
            year=line["year"],
            category=line["category"],
            amount_nok=Decimal(line["amount_nok"]),
            description=descriptions.get((line["year"], line["category"]), ""),
        )
        for line in proposal["lines"]
    )


def _apply_milestones(project: Project, proposal: dict[str, Any]) -> None:
    planned = {m.pk: m for m in project.milestones.select_for_update().filter(state=MilestoneState.PLANNED)}
    wanted = proposal["milestones"]
    gone = [mid for mid in wanted if mid["id"] is not None and mid["id"] not in planned]
    if gone:
        msg = _("A milestone in the request is no longer planned (it has been reported since).")
        raise ActionRefused(msg, {"milestones": [msg]})
    kept = {row["id"] for row in wanted if row["id"] is not None}
    Milestone.objects.filter(pk__in=set(planned) - kept).delete()
    for row in wanted:
        due = date.fromisoformat(row["due_date"])
        if row["id"] is None:
            Milestone.objects.create(project=project, title=row["title"], due_date=due)
        else:
            m = planned[row["id"]]
            m.title, m.due_date = row["title"], due
            m.save(update_fields=["title", "due_date"])


APPLY = {
    ChangeKind.EXTENSION: _apply_extension,
    ChangeKind.BUDGET: _apply_budget,
    ChangeKind.MILESTONES: _apply_milestones,
}
