"""Change requests of a project: list, submit (project members), approve/refuse (secretariat), withdraw."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from core.api import HistoryOut, InputSchema, TransitionIn, get_or_404, problem_responses, unknown_action, with_workflow
from core.exceptions import NotPermitted

from . import changes, rules
from .models import ChangeRequest, Project
from .selectors import projects_visible_to

router = Router(tags=["projects"])

# Who may ask for each transition at all (403 without the role; 409 with it in the wrong state).
CHANGE_ROLES = {
    "approve": rules.can_follow_up,
    "refuse": rules.can_follow_up,
    "withdraw": rules.can_run_project,
}
assert set(CHANGE_ROLES) == set(changes.CHANGE_ACTIONS)


class ChangeRequestOut(Schema):
    id: int
    project: int
    kind: str = Field(description="extension, budget or milestones.")
    state: str
    proposal: dict[str, Any] = Field(description="The plan asked for.")
    before: dict[str, Any] = Field(description="The plan before: as it was when asked, and when applied.")
    reason: str
    decision_reason: str
    created_by: str | None
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    available_transitions: list[str]
    history: list[HistoryOut]

    @staticmethod
    def resolve_project(obj: ChangeRequest) -> int:
        return obj.project_id

    @staticmethod
    def resolve_created_by(obj: ChangeRequest) -> str | None:
        return obj.created_by.email if obj.created_by else None

    @staticmethod
    def resolve_decided_by(obj: ChangeRequest) -> str | None:
        return obj.decided_by.email if obj.decided_by else None


class ChangeRequestIn(InputSchema):
    kind: str = Field(description="extension, budget or milestones.")
    proposal: dict[str, Any] = Field(
        description=(
            'extension: {"end_date": "2028-06-30"}; budget: {"lines": [{"year", "category", "amount_nok"}]} (the '
            'whole new budget, same total); milestones: {"milestones": [{"id" (omit for a new one), "title", '
            '"due_date"}]} (the whole new list of planned milestones; a planned one left out is removed).'
        )
    )
    reason: str


def _project(request: HttpRequest, id: int) -> Project:
    qs = projects_visible_to(request.user).select_related("application__call__scheme")
    return get_or_404(qs, id, "project")


def _out(user: Any, rows: list[ChangeRequest]) -> list[ChangeRequest]:
    return list(with_workflow(rows, user))


def _fresh(pk: int) -> ChangeRequest:
    return ChangeRequest.objects.select_related("project", "created_by", "decided_by").get(pk=pk)


@router.get("/projects/{int:id}/change_requests", response={200: list[ChangeRequestOut], **problem_responses(404)})
def list_change_requests(request: HttpRequest, id: int) -> list[ChangeRequest]:
    """Newest first."""
    project = _project(request, id)
    rows = list(project.change_requests.select_related("project", "created_by", "decided_by"))
    return _out(request.user, rows)


@router.post(
    "/projects/{int:id}/change_requests",
    response={201: ChangeRequestOut, **problem_responses(400, 403, 404, 409)},
)
def submit_change_request(request: HttpRequest, id: int, payload: ChangeRequestIn) -> Status:
    """Project members, while the project is active (409 otherwise)."""
    project = _project(request, id)
    change = changes.submit_change(
        project, by=request.user, kind=payload.kind, proposal=payload.proposal, reason=payload.reason
    )
    return Status(201, _out(request.user, [_fresh(change.pk)])[0])


@router.post(
    "/projects/{int:id}/change_requests/{int:cid}/transitions/{name}",
    response={200: ChangeRequestOut, **problem_responses(400, 403, 404, 409)},
)
def change_request_transition(
    request: HttpRequest, id: int, cid: int, name: str, payload: TransitionIn | None = None
) -> ChangeRequest:
    """`approve`, `refuse` (secretariat; `comment` is the required reason), `withdraw` (project members)."""
    project = _project(request, id)
    change = get_or_404(project.change_requests.all(), cid, "change request in this project")
    action = changes.CHANGE_ACTIONS.get(name)
    if action is None:
        raise unknown_action(name, changes.CHANGE_ACTIONS, "A change request")
    if not CHANGE_ROLES[name](request.user, project):
        raise NotPermitted("Only the secretariat decides change requests; only the registry may withdraw one.")
    action(change, by=request.user, comment=payload.comment if payload else "")
    return _out(request.user, [_fresh(change.pk)])[0]
