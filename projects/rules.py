from typing import Any

from accounts.rules import is_member_of, is_secretariat


def is_project_member(user: Any, project: Any) -> bool:
    return is_member_of(user, project.registry_id)


def can_view_project(user: Any, project: Any) -> bool:
    return is_project_member(user, project) or is_secretariat(user)


def can_run_project(user: Any, project: Any) -> bool:
    """Accept the agreement, write reports: the registry's own members."""
    return is_project_member(user, project)


def can_follow_up(user: Any, project: Any) -> bool:
    """Approve or return reports, terminate: the secretariat."""
    return is_secretariat(user)


def can_report_milestone(user: Any, milestone: Any) -> bool:
    return is_project_member(user, milestone.project)


def project_is_active(milestone: Any) -> bool:
    """Progress can be reported only while the project runs (a transition condition, so a wrong state is 409)."""
    return milestone.project.state == "active"


def can_review_milestone(user: Any, milestone: Any) -> bool:
    return is_secretariat(user)


def can_write_progress_report(user: Any, report: Any) -> bool:
    return is_project_member(user, report.project)


def can_decide_progress_report(user: Any, report: Any) -> bool:
    """Approve or return a progress report: the secretariat."""
    return is_secretariat(user)


def can_request_change(user: Any, change: Any) -> bool:
    """Submit or withdraw a change request: the project's registry."""
    return is_project_member(user, change.project)


def can_decide_change(user: Any, change: Any) -> bool:
    return is_secretariat(user)
