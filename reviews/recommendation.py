"""The expert group's recommendation (innstilling) of a call: previewed live, frozen as a numbered version when sent
to the decision body, rendered to PDF in the worker.

A version is a snapshot: its `rows` hold every field the preview and the PDF show, so the PDF and the page show
what was sent even after scores, proposals or the ranking rules change.

The predicates live here rather than in reviews/rules.py because they concern only the recommendation; they follow
the same (user, object) -> bool shape and guard the views, the templates and the service alike.
"""

from decimal import Decimal
from functools import partial
from typing import Any
from uuid import uuid4

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.rules import committee_scheme_ids, is_decider, is_secretariat
from audit.services import record
from core.exceptions import ActionRefused, NotPermitted
from grants.enums import ApplicationState
from grants.models import Application, Call
from registries.models import Registry

from . import rules
from .models import RecommendationVersion
from .rules import REVIEW_VISIBLE

# What the snapshot keeps of each ranking row; fields the ranking does not (yet) provide are stored as None.
RANKING_FIELDS = (
    "application_id",
    "title",
    "registry_id",
    "rank",
    "reviews",
    "weighted_mean",
    "median",
    "spread",
    "normalised_score",
    "consensus_score",
    "requested_amount_nok",
    "proposed_amount_nok",
    "cumulative_nok",
    "within_budget",
)
# States in which an application carries the expert group's verdict (or the decision taken on it).
HAS_VERDICT = (
    ApplicationState.RECOMMENDED,
    ApplicationState.NOT_RECOMMENDED,
    ApplicationState.GRANTED,
    ApplicationState.REJECTED,
)

# ---------------------------------------------------------------- who may do what


def sits_in_group(user: Any, call: Call) -> bool:
    return call.scheme_id in committee_scheme_ids(user)


def conflicted_ids(user: Any, rows: list[dict[str, Any]]) -> set[int]:
    """The applications among `rows` this user has a conflict of interest with (reviews.conflicts: every source,
    waivers honoured), in one query."""
    from .conflicts import conflict_q

    ids = [r["application_id"] for r in rows]
    return set(Application.objects.filter(pk__in=ids).filter(conflict_q(user)).values_list("pk", flat=True))


def can_view_recommendation(user: Any, call: Call) -> bool:
    """The page: the secretariat, the scheme's expert group and the decision body."""
    return is_secretariat(user) or is_decider(user) or sits_in_group(user, call)


def can_preview_recommendation(user: Any, call: Call) -> bool:
    """The live, unsent list is the expert group's work in progress: not for the decision body yet."""
    return is_secretariat(user) or sits_in_group(user, call)


def can_send_recommendation(user: Any, call: Call) -> bool:
    """The secretariat, or the group's chair unless the chair is conflicted with one of the applications: a
    conflicted chair does not see those rows, so cannot vouch for the list."""
    if is_secretariat(user):
        return True
    return rules.is_chair(user, call.scheme_id) and not conflicted_ids(user, _application_rows(call))


def can_download_recommendation(user: Any, version: RecommendationVersion) -> bool:
    """The frozen PDF lists every application: a group member conflicted with any of them may not have it."""
    if is_secretariat(user) or is_decider(user):
        return True
    return sits_in_group(user, version.call) and not conflicted_ids(user, version.rows)


# ---------------------------------------------------------------- the rows


def _application_rows(call: Call) -> list[dict[str, Any]]:
    rows = call.applications.filter(state__in=REVIEW_VISIBLE).values_list("pk", "registry_id")
    return [{"application_id": pk, "registry_id": registry_id} for pk, registry_id in rows]


def recommendation_rows(call: Call, viewer: Any = None) -> list[dict[str, Any]]:
    """The ranked list with what the group says about each application: its reason, its proposal, the chair's
    consensus. For a `viewer`, as the ranking shows it to them (reviews.selectors.ranking_for: no row they are
    conflicted with, no scores while the group reviews independently); without one, the whole list. Three queries
    beyond the ranking's, whatever the number of applications."""
    from .selectors import call_ranking, ranking_for

    ranking = call_ranking(call) if viewer is None else ranking_for(call, viewer)
    ids = [row.application_id for row in ranking]
    apps = {
        a["pk"]: a for a in call.applications.filter(pk__in=ids).values("pk", "state", "recommendation", "registry_id")
    }
    registries = {r.pk: r for r in Registry.objects.filter(pk__in={a["registry_id"] for a in apps.values()})}
    rows = []
    for row in ranking:
        app = apps[row.application_id]
        registry = registries[app["registry_id"]]
        rows.append(
            {
                **{name: getattr(row, name, None) for name in RANKING_FIELDS},
                "consensus_assessment": getattr(row, "consensus_assessment", "") or "",
                "registry": registry.short_name,
                "registry_name": registry.name,
                "state": app["state"],
                "reason": app["recommendation"],
            }
        )
    return rows


def totals(rows: list[dict[str, Any]], budget: Decimal) -> dict[str, Decimal]:
    """What the group's proposals add up to, against the call's budget (a not-recommended application has none)."""
    proposed = sum(
        (Decimal(r["proposed_amount_nok"]) for r in rows if r["proposed_amount_nok"] is not None), Decimal(0)
    )
    return {"proposed": proposed, "budget": budget, "left": budget - proposed}


def _frozen(value: Any) -> Any:
    """JSON keeps money and scores exactly as strings ("85000.00"), never as floats."""
    return str(value) if isinstance(value, Decimal) else value


def freeze(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: _frozen(value) for key, value in row.items()} for row in rows]


# ---------------------------------------------------------------- sending


def _check_sendable(rows: list[dict[str, Any]]) -> None:
    if not rows:
        msg = _("There is nothing to send yet: no application of this call has been assessed.")
        raise ActionRefused(msg, {"rows": [msg]})
    pending = [r for r in rows if r["state"] not in HAS_VERDICT]
    if pending:
        msg = ngettext(
            "%(n)s application has no recommendation yet: recommend it or not before you send the list.",
            "%(n)s applications have no recommendation yet: recommend them or not before you send the list.",
            len(pending),
        ) % {"n": len(pending)}
        errors = {
            f"applications.{r['application_id']}": [_("“%(title)s” has no recommendation yet.") % {"title": r["title"]}]
            for r in pending
        }
        raise ActionRefused(msg, errors)


def send_recommendation(call: Call, *, by: Any, summary: str = "") -> RecommendationVersion:
    """Freeze the group's current list as the next version, audited; its PDF is rendered after commit."""
    from core.tasks import render_recommendation_pdf

    if not can_send_recommendation(by, call):
        raise NotPermitted()
    with transaction.atomic():
        # The lock numbers versions one after the other when two people press "send" at once.
        locked = Call.objects.select_for_update().get(pk=call.pk)
        rows = recommendation_rows(locked)
        _check_sendable(rows)
        last = locked.recommendations.aggregate(last=Max("version"))["last"] or 0
        version = RecommendationVersion.objects.create(
            call=locked, version=last + 1, rows=freeze(rows), summary=summary.strip(), sent_by=by
        )
        record(
            version,
            "reviews.recommendationversion.send",
            actor=by,
            data={"call": locked.pk, "version": version.version, "applications": [r["application_id"] for r in rows]},
        )
        transaction.on_commit(partial(render_recommendation_pdf.enqueue, version.pk))
    return version


# ---------------------------------------------------------------- the PDF (in the worker)


def pdf_context(version: RecommendationVersion) -> dict[str, Any]:
    call = version.call
    return {
        "call": call,
        "scheme": call.scheme,
        "version": version,
        "rows": version.rows,
        "totals": totals(version.rows, call.budget_nok),
    }


def render_version_pdf(version_pk: int) -> RecommendationVersion:
    """Render and store the version's PDF once; running the task again changes nothing."""
    from core.pdf import render_pdf_template

    version = RecommendationVersion.objects.select_related("call__scheme", "sent_by").get(pk=version_pk)
    if version.pdf:
        return version
    content = render_pdf_template("pdf/recommendation.html", pdf_context(version))
    version.pdf.save(f"{uuid4().hex}.pdf", ContentFile(content), save=False)
    RecommendationVersion.objects.filter(pk=version.pk).update(pdf=version.pdf.name)
    return version


def download_name(version: RecommendationVersion) -> str:
    return f"recommendation-{version.call_id}-v{version.version}.pdf"
