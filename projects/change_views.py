"""Change requests on the web: the registry's form per kind of change, and the decisions."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from core.access import visible_project
from core.exceptions import ActionRefused, DomainError
from core.views_helpers import report_error, run_action
from grants.enums import BudgetCategory

from . import changes, rules
from .enums import ChangeKind, MilestoneState
from .models import ChangeRequest, Project

EXTRA_ROWS = 3
FIELD_LABELS = {
    "end_date": gettext_lazy("New end date"),
    "year": gettext_lazy("year"),
    "category": gettext_lazy("category"),
    "amount_nok": gettext_lazy("amount"),
    "title": gettext_lazy("title"),
    "due_date": gettext_lazy("due date"),
    "id": gettext_lazy("milestone"),
}


def _number(value: str) -> int | str:
    value = value.strip()
    return int(value) if value.isdigit() else value


def _budget_proposal(post: QueryDict) -> dict[str, Any]:
    lines = []
    for i in range(min(int(post.get("rows", "0") or 0), 100)):
        year, category, amount = (post.get(f"line-{i}-{k}", "").strip() for k in ("year", "category", "amount"))
        if year or amount:
            lines.append({"year": _number(year), "category": category, "amount_nok": amount})
    return {"lines": lines}


def _milestone_proposal(post: QueryDict) -> dict[str, Any]:
    rows = []
    for i in range(min(int(post.get("rows", "0") or 0), 100)):
        mid, title, due = (post.get(f"ms-{i}-{k}", "").strip() for k in ("id", "title", "due_date"))
        if post.get(f"ms-{i}-remove") or not (mid or title or due):
            continue
        rows.append({"id": _number(mid) if mid else None, "title": title, "due_date": due})
    return {"milestones": rows}


def _proposal(kind: str, post: QueryDict) -> dict[str, Any]:
    if kind == ChangeKind.EXTENSION:
        return {"end_date": post.get("end_date", "")}
    if kind == ChangeKind.BUDGET:
        return _budget_proposal(post)
    return _milestone_proposal(post)


def error_lines(errors: dict[str, list[str]]) -> list[str]:
    """ "lines.2.amount_nok" → "Row 3, amount: …": every message names its field."""
    out = []
    for key, msgs in errors.items():
        parts = key.split(".")
        if len(parts) >= 2 and parts[1].isdigit():
            where = _("Row %(n)s") % {"n": int(parts[1]) + 1}
            if len(parts) > 2:
                where += ", " + str(FIELD_LABELS.get(parts[2], parts[2]))
        else:
            where = str(FIELD_LABELS.get(parts[0], parts[0]))
        out += [f"{where}: {m}" for m in msgs]
    return out


def _form_rows(project: Project, kind: str, post: QueryDict | None) -> list[dict[str, Any]]:
    if kind == ChangeKind.BUDGET:
        current = changes.current_plan(project, kind)["lines"]
        rows = [{"year": r["year"], "category": r["category"], "amount": r["amount_nok"]} for r in current]
        rows += [{"year": "", "category": "", "amount": ""} for _i in range(EXTRA_ROWS)]
        if post is not None:
            rows = [
                {k: post.get(f"line-{i}-{k}", "") for k in ("year", "category", "amount")} for i in range(len(rows))
            ]
        return rows
    if kind == ChangeKind.MILESTONES:
        current = [m for m in changes.current_plan(project, kind)["milestones"] if m["state"] == MilestoneState.PLANNED]
        rows = [{"id": m["id"], "title": m["title"], "due_date": m["due_date"], "remove": False} for m in current]
        rows += [{"id": "", "title": "", "due_date": "", "remove": False} for _i in range(EXTRA_ROWS)]
        if post is not None:
            rows = [
                {
                    "id": post.get(f"ms-{i}-id", ""),
                    "title": post.get(f"ms-{i}-title", ""),
                    "due_date": post.get(f"ms-{i}-due_date", ""),
                    "remove": bool(post.get(f"ms-{i}-remove")),
                }
                for i in range(len(rows))
            ]
        return rows
    return []


@login_required
@require_http_methods(["GET", "POST"])
def change_request_new(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    project = visible_project(request.user, pk)
    if kind not in ChangeKind.values:
        raise Http404
    if not rules.can_run_project(request.user, project):
        raise PermissionDenied
    errors: list[str] = []
    post = request.POST if request.method == "POST" else None
    if post is not None:
        try:
            changes.submit_change(
                project, by=request.user, kind=kind, proposal=_proposal(kind, post), reason=post.get("reason", "")
            )
        except ActionRefused as exc:
            errors = error_lines(exc.errors) or [exc.message]
        except DomainError as exc:
            report_error(request, exc)
            return redirect("projects:project_detail", pk)
        else:
            messages.success(request, _("The change request is sent to the secretariat."))
            return redirect("projects:project_detail", pk)
    ctx = {
        "project": project,
        "kind": kind,
        "kind_label": ChangeKind(kind).label,
        "rows": _form_rows(project, kind, post),
        "categories": BudgetCategory.choices,
        "errors": errors,
        "values": post or {},
    }
    return render(request, "projects/change_form.html", ctx, status=400 if errors else 200)


@login_required
@require_POST
def change_request_transition(request: HttpRequest, pk: int, cid: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    try:
        change = project.change_requests.get(pk=cid)
    except ChangeRequest.DoesNotExist:
        raise Http404 from None
    run_action(request, changes.CHANGE_ACTIONS, change)
    return redirect("projects:project_detail", pk)
