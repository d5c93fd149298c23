"""Business actions on schemes, calls and applications. Each one is all-or-nothing and audited."""

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.rules import is_member_of
from audit.services import record
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from core.notify import after_commit
from core.workflow import fire
from finance.models import BudgetLine
from registries.enums import Level, TargetKind, TargetRule
from registries.models import Indicator, Membership, Registry

from . import rules
from .enums import EDITABLE, FINAL, ApplicationState, CallState
from .models import Application, ApplicationIndicator, Call, CallCriterion, PlannedMilestone, Scheme
from .selectors import baselines

TARGET_LEVELS = (Level.HIGH, Level.MODERATE)
TARGET_FIELD: dict[str, str] = {
    TargetKind.VALUE: "target_value",
    TargetKind.LEVEL: "target_level",
    TargetKind.RULE: "target_rule",
}
MISSING_TARGET: dict[str, Any] = {
    TargetKind.VALUE: gettext_lazy("%(indicator)s: enter the target value before you submit."),
    TargetKind.LEVEL: gettext_lazy("%(indicator)s: choose the goal-attainment level to reach before you submit."),
    TargetKind.RULE: gettext_lazy(
        "%(indicator)s: choose the rule the participating units are to meet before you submit."
    ),
}

# ---------------------------------------------------------------- calls

CALL_FIELDS = ("scheme", "title", "description", "year", "budget_nok", "max_amount_nok", "opens_at", "closes_at")


def _validate_call(data: dict[str, Any], criteria: list[dict[str, Any]] | None) -> None:
    errors: dict[str, list[str]] = {}
    if not str(data.get("title") or "").strip():
        errors["title"] = [_("Enter a title.")]
    if data.get("budget_nok") is not None and data["budget_nok"] <= 0:
        errors["budget_nok"] = [_("The budget must be more than 0 NOK.")]
    cap = data.get("max_amount_nok")
    if cap is not None and cap <= 0:
        errors["max_amount_nok"] = [_("The cap must be more than 0 NOK, or left empty for no cap.")]
    elif cap is not None and data.get("budget_nok") is not None and cap > data["budget_nok"]:
        errors["max_amount_nok"] = [_("The cap per application cannot be larger than the budget.")]
    if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
        errors["closes_at"] = [_("The deadline must be after the opening time.")]
    if criteria is not None:
        if not criteria:
            errors["criteria"] = [_("A call needs at least one criterion.")]
        names = [str(c.get("name") or "").strip() for c in criteria]
        for i, c in enumerate(criteria):
            if not names[i]:
                errors[f"criteria.{i}.name"] = [_("Enter the criterion's name.")]
            weight = c.get("weight")
            if weight is None or Decimal(weight) <= 0:
                errors[f"criteria.{i}.weight"] = [_("The weight must be more than 0.")]
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)


def _criteria_rows(call: Call, criteria: list[dict[str, Any]]) -> list[CallCriterion]:
    rows = []
    used: set[str] = set()
    for order, c in enumerate(criteria):
        code = str(c.get("id") or c.get("code") or "").strip() or f"c{order + 1}"
        while code in used:
            code = f"{code}-{order + 1}"
        used.add(code)
        rows.append(
            CallCriterion(
                call=call,
                code=code,
                name=c["name"].strip(),
                name_en=c.get("name_en", ""),
                description=c.get("description", ""),
                weight=Decimal(c["weight"]),
                order=order,
                anchors=c.get("anchors") or {},
            )
        )
    return rows


def create_call(*, by: Any, data: dict[str, Any], criteria: list[dict[str, Any]] | None = None) -> Call:
    if not rules.can_manage_calls(by):
        raise NotPermitted()
    scheme: Scheme = data["scheme"]
    if criteria is None:
        criteria = [
            {
                "id": c.code,
                "name": c.name,
                "name_en": c.name_en,
                "description": c.description,
                "weight": c.weight,
                "anchors": c.anchors,
            }
            for c in scheme.criteria.all()
        ]
    _validate_call(data, criteria)
    with transaction.atomic():
        call = Call.objects.create(**{k: data.get(k) for k in CALL_FIELDS if k in data})
        CallCriterion.objects.bulk_create(_criteria_rows(call, criteria))
        record(call, "grants.call.create", actor=by, target=call.state)
    return call


def update_call(call: Call, *, by: Any, data: dict[str, Any], criteria: list[dict[str, Any]] | None = None) -> Call:
    if not rules.can_manage_calls(by):
        raise NotPermitted()
    merged = {k: getattr(call, k) for k in CALL_FIELDS} | data
    _validate_call(merged, criteria)
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        if criteria is not None and locked.state != CallState.DRAFT:
            raise ActionRefused(
                _("Criteria can only be changed while the call is a draft."),
                {"criteria": [_("Criteria can only be changed while the call is a draft.")]},
            )
        for key, value in data.items():
            setattr(locked, key, value)
        locked.save()
        if criteria is not None:
            locked.criteria.all().delete()
            CallCriterion.objects.bulk_create(_criteria_rows(locked, criteria))
        record(locked, "grants.call.update", actor=by, data={"fields": sorted(data)})
    return locked


def open_call(call: Call, *, by: Any, comment: str = "") -> Call:
    return fire(call, "open", by=by, comment=comment)


def close_call(call: Call, *, by: Any, comment: str = "") -> Call:
    return fire(call, "close", by=by, comment=comment)


def decide_call(call: Call, *, by: Any, comment: str = "") -> Call:
    def check(locked: Call) -> None:
        open_ = locked.applications.exclude(state__in=[ApplicationState.DRAFT, *FINAL])
        n = open_.count()
        if n:
            raise ActionRefused(
                ngettext(
                    "%(n)s application in this call is still awaiting a decision.",
                    "%(n)s applications in this call are still awaiting a decision.",
                    n,
                )
                % {"n": n}
            )

    return fire(call, "decide", by=by, comment=comment, check=check)


# ---------------------------------------------------------------- applications

SIMPLE_FIELDS = ("title", "summary", "aims", "requested_amount_nok", "start_date", "end_date")


def validate_application(data: dict[str, Any], *, registry: Registry, call: Call) -> dict[str, list[str]]:
    """Field-level problems with what was entered (for drafts and submissions alike)."""
    errors: dict[str, list[str]] = {}
    if "title" in data and not str(data.get("title") or "").strip():
        errors["title"] = [_("Enter a title.")]
    amount = data.get("requested_amount_nok")
    if amount is not None and amount <= 0:
        errors["requested_amount_nok"] = [_("The requested amount must be more than 0 NOK.")]
    start, end = data.get("start_date"), data.get("end_date")
    if start and end and end < start:
        errors["end_date"] = [_("The end date must be on or after the start date.")]
    for i, line in enumerate(data.get("budget_lines") or []):
        if line.get("amount_nok") is None or line["amount_nok"] < 0:
            errors[f"budget_lines.{i}.amount_nok"] = [_("Enter an amount of 0 NOK or more.")]
        if not line.get("year") or not 2000 <= int(line["year"]) <= 2100:
            errors[f"budget_lines.{i}.year"] = [_("Enter a year between 2000 and 2100.")]
        elif start and end and not start.year <= int(line["year"]) <= end.year:
            errors[f"budget_lines.{i}.year"] = [
                _("The year must fall within the project period (%(a)s–%(b)s).") % {"a": start.year, "b": end.year}
            ]
    errors |= _indicator_errors(data.get("indicators") or [], registry)
    for i, ms in enumerate(data.get("milestones") or []):
        if not str(ms.get("title") or "").strip():
            errors[f"milestones.{i}.title"] = [_("Enter the milestone's title.")]
        if not ms.get("due_date"):
            errors[f"milestones.{i}.due_date"] = [_("Enter the milestone's due date.")]
        elif start and end and not start <= ms["due_date"] <= end:
            errors[f"milestones.{i}.due_date"] = [_("The due date must fall within the project period.")]
    return errors


def _indicator_id(row: dict[str, Any]) -> Any:
    ind = row.get("indicator")
    return ind.pk if isinstance(ind, Indicator) else ind


def _indicator_errors(rows: list[dict[str, Any]], registry: Registry) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    own = {ind.pk: ind for ind in Indicator.objects.filter(registry=registry)}
    seen: set[str] = set()
    for i, row in enumerate(rows):
        ind_id = _indicator_id(row)
        if ind_id not in own:
            errors[f"indicators.{i}.indicator"] = [
                _("“%(id)s” is not an indicator of %(registry)s.") % {"id": ind_id, "registry": registry}
            ]
        elif ind_id in seen:
            errors[f"indicators.{i}.indicator"] = [_("This indicator is already listed.")]
        seen.add(ind_id)
        errors |= _target_errors(i, row, own.get(ind_id))
    return errors


def _target_errors(i: int, row: dict[str, Any], indicator: Indicator | None) -> dict[str, list[str]]:
    """What is entered must fit the target's kind; what is missing is only asked for on submit (a draft may be
    incomplete: see _row_completeness)."""
    kind = row.get("target_kind") or TargetKind.VALUE
    key = f"indicators.{i}."
    errors: dict[str, list[str]] = {}
    if kind not in TargetKind.values:
        errors[key + "target_kind"] = [_("Choose the type of target: a value, a goal-attainment level or a rule.")]
    elif kind != TargetKind.VALUE and row.get(TARGET_FIELD[kind]):
        field = TARGET_FIELD[kind]
        choices = TARGET_LEVELS if kind == TargetKind.LEVEL else TargetRule.values
        if row[field] not in choices:
            errors[key + field] = [_("“%(value)s” is not one of the choices.") % {"value": row[field]}]
        elif indicator is not None and (indicator.level_green is None or indicator.direction is None):
            errors[key + field] = [
                _("%(id)s has no goal-attainment levels; set a target value instead.") % {"id": indicator.pk}
            ]
    target_date, year = row.get("target_date"), row.get("baseline_year")
    if target_date and year and target_date.year <= int(year):
        errors[key + "target_date"] = [
            _("The target date must be after the baseline year (%(year)s).") % {"year": year}
        ]
    return errors


def completeness_errors(application: Application) -> dict[str, list[str]]:
    """What must be filled in before an application can be submitted."""
    errors: dict[str, list[str]] = {}
    for name in ("summary", "aims", "requested_amount_nok", "start_date", "end_date"):
        if getattr(application, name) in (None, ""):
            label = str(getattr(Application._meta.get_field(name), "verbose_name", name))
            errors[name] = [_("%(field)s is required before you submit.") % {"field": label[:1].upper() + label[1:]}]
    lines = list(application.budget_lines.all())
    if not lines:
        errors["budget_lines"] = [_("Add at least one budget line.")]
    elif application.requested_amount_nok is not None:
        total = sum((line.amount_nok for line in lines), Decimal(0))
        if total != application.requested_amount_nok:
            errors["budget_lines"] = [
                _("The budget lines add up to %(total)s NOK, but the requested amount is %(amount)s NOK.")
                % {"total": _nok(total), "amount": _nok(application.requested_amount_nok)}
            ]
    if not application.planned_milestones.exists():
        errors["milestones"] = [_("Add at least one milestone.")]
    rows = list(application.indicators.all())
    if application.call.scheme.requires_indicators and not rows:
        errors["indicators"] = [_("This scheme requires at least one registry indicator with baseline and target.")]
    has_units = any(row.target_kind == TargetKind.RULE for row in rows) and application.participating_units.exists()
    for i, row in enumerate(rows):
        errors |= _row_completeness(i, row, has_units)
    return errors


def _row_completeness(i: int, row: ApplicationIndicator, has_units: bool) -> dict[str, list[str]]:
    key = f"indicators.{i}."
    named = {"indicator": row.indicator_id}
    errors: dict[str, list[str]] = {}
    field = TARGET_FIELD.get(row.target_kind)
    if field is not None and getattr(row, field) in (None, ""):
        errors[key + field] = [MISSING_TARGET[row.target_kind] % named]
    if row.target_kind == TargetKind.RULE and row.target_rule and not has_units:
        errors[key + "target_rule"] = [
            _("%(indicator)s: a rule applies to the participating units; choose them before you submit.") % named
        ]
    if row.target_date is None:
        errors[key + "target_date"] = [_("%(indicator)s: enter the target date before you submit.") % named]
    return errors


def _nok(amount: Decimal) -> str:
    return formats.number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)


def _write_children(application: Application, data: dict[str, Any]) -> None:
    # Who takes part decides conflicts of interest (reviews.conflicts), so these are kept exactly as entered.
    if "participating_registries" in data:
        application.participating_registries.set(data["participating_registries"])
    if "participating_units" in data:
        application.participating_units.set(data["participating_units"])
    if "team_emails" in data:
        application.team.set(data["team_emails"])
    if "budget_lines" in data:
        application.budget_lines.all().delete()
        BudgetLine.objects.bulk_create(
            BudgetLine(
                application=application,
                category=line["category"],
                year=int(line["year"]),
                amount_nok=line["amount_nok"],
                description=line.get("description", ""),
            )
            for line in data["budget_lines"]
        )
    if "indicators" in data:
        application.indicators.all().delete()
        ApplicationIndicator.objects.bulk_create(
            ApplicationIndicator(
                application=application,
                indicator_id=_indicator_id(row),
                baseline_value=row.get("baseline_value"),
                baseline_year=row.get("baseline_year"),
                **_target_fields(row),
                target_date=row.get("target_date"),
            )
            for row in data["indicators"]
        )
    if "milestones" in data:
        application.planned_milestones.all().delete()
        PlannedMilestone.objects.bulk_create(
            PlannedMilestone(application=application, title=m["title"].strip(), due_date=m["due_date"])
            for m in data["milestones"]
        )


def _target_fields(row: dict[str, Any]) -> dict[str, Any]:
    """Only the kind's own input is kept, so a row never holds a value target and a level target at once."""
    kind = row.get("target_kind") or TargetKind.VALUE
    return {
        "target_kind": kind,
        "target_value": row.get("target_value") if kind == TargetKind.VALUE else None,
        "target_level": (row.get("target_level") or "") if kind == TargetKind.LEVEL else "",
        "target_rule": (row.get("target_rule") or "") if kind == TargetKind.RULE else "",
    }


def fill_baselines(rows: list[dict[str, Any]], *, units: Any) -> list[str]:
    """Fill each row's empty baseline value from the data for its baseline year (the participating units together,
    or the nation when none is chosen). Changes `rows` in place; returns what it did, in words, for the user."""
    from registries.templatetags.indicators import indicator_number

    wanted = [r for r in rows if r.get("baseline_value") is None and r.get("baseline_year")]
    if not wanted:
        return []
    indicators = Indicator.objects.in_bulk({_indicator_id(r) for r in wanted})
    wanted = [r for r in wanted if _indicator_id(r) in indicators]
    found = baselines([(indicators[_indicator_id(r)], int(r["baseline_year"])) for r in wanted], list(units))
    notes = []
    for row, baseline in zip(wanted, found, strict=True):
        named = {"indicator": baseline.indicator.pk, "year": baseline.year}
        if baseline.value is not None:
            row["baseline_value"] = baseline.value
            where = _("nationally") if baseline.covers_nation else _("the participating units together")
            notes.append(
                _("The baseline of %(indicator)s was filled in from the data: %(value)s in %(year)s, %(where)s.")
                % {**named, "value": indicator_number(baseline.value, baseline.indicator), "where": where}
            )
        elif baseline.combined is not None:
            notes.append(
                _("The baseline of %(indicator)s was not filled in: %(year)s has fewer than %(n)s cases.")
                % {**named, "n": baseline.indicator.min_denominator}
            )
        else:
            notes.append(
                _("The baseline of %(indicator)s was not filled in: there are no values for %(year)s.") % named
            )
    return notes


def create_application(
    *, by: Any, call: Call, registry: Registry, data: dict[str, Any], notes: list[str] | None = None
) -> Application:
    """`notes` (when given) receives what the service did on its own, e.g. baselines filled in from the data."""
    if not rules.can_create_application(by, registry.pk):
        raise NotPermitted(_("You are not a member of %(registry)s.") % {"registry": registry})
    errors = {}
    if call.state != CallState.OPEN:
        errors["call"] = [_("This call is not open for applications.")]
    data = {"title": data.get("title", ""), **data}
    errors |= validate_application(data, registry=registry, call=call)
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    filled = fill_baselines(data.get("indicators") or [], units=data.get("participating_units") or [])
    if notes is not None:
        notes.extend(filled)
    with transaction.atomic():
        application = Application.objects.create(
            call=call, registry=registry, created_by=by, **{k: data.get(k) for k in SIMPLE_FIELDS if k in data}
        )
        _write_children(application, data)
        record(application, "grants.application.create", actor=by, target=application.state)
    return application


def update_application(
    application: Application, *, by: Any, data: dict[str, Any], notes: list[str] | None = None
) -> Application:
    """`notes` (when given) receives what the service did on its own, e.g. baselines filled in from the data."""
    if not rules.is_applicant_of(by, application):
        raise NotPermitted()
    errors = validate_application(data, registry=application.registry, call=application.call)
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    if data.get("indicators"):
        units = data["participating_units"] if "participating_units" in data else application.participating_units.all()
        filled = fill_baselines(data["indicators"], units=units)
        if notes is not None:
            notes.extend(filled)
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.state not in EDITABLE:
            # A concurrent submit (or a decision) got there first: a state conflict, not bad input.
            raise InvalidTransition(
                _("The application can no longer be changed (state: %(state)s).")
                % {"state": locked.get_state_display()}
            )
        for key in SIMPLE_FIELDS:
            if key in data:
                setattr(locked, key, data[key] if key != "title" else data[key].strip())
        locked.draft_data = {}
        locked.save()
        _write_children(locked, data)
    return locked


def keep_unsaved_input(application: Application, *, by: Any, raw: dict[str, Any]) -> None:
    """Autosave of input that does not validate yet: kept verbatim so the user loses nothing."""
    if not rules.can_edit_application(by, application):
        raise NotPermitted()
    Application.objects.filter(pk=application.pk, state__in=EDITABLE).update(draft_data=raw, updated_at=timezone.now())


def _check_submittable(application: Application) -> None:
    errors = completeness_errors(application)
    if errors:
        raise ActionRefused(_("The application is not complete yet."), errors)


def _check_deadline(application: Application) -> None:
    call = application.call
    if not call.is_accepting():
        deadline = timezone.localtime(call.closes_at)
        if call.state != CallState.OPEN:
            msg = _("This call is closed; applications can no longer be submitted.")
            raise ActionRefused(msg, {"call": [msg]})
        if timezone.now() < call.opens_at:
            msg = _("The call opens %(opens)s; you cannot submit before then.") % {
                "opens": formats.date_format(timezone.localtime(call.opens_at), "DATETIME_FORMAT")
            }
        else:
            msg = _("The deadline for this call was %(deadline)s; applications can no longer be submitted.") % {
                "deadline": formats.date_format(deadline, "DATETIME_FORMAT")
            }
        raise ActionRefused(msg, {"call": [msg]})


def submit_application(application: Application, *, by: Any, comment: str = "") -> Application:
    def check(locked: Application) -> None:
        _check_deadline(locked)
        _check_submittable(locked)

    return fire(
        application, "submit", by=by, comment=comment, check=check, on_commit=[after_commit("application_submitted")]
    )


def resubmit_application(application: Application, *, by: Any, comment: str = "") -> Application:
    return fire(
        application,
        "resubmit",
        by=by,
        comment=comment,
        check=_check_submittable,
        on_commit=[after_commit("application_submitted")],
    )


def withdraw_application(application: Application, *, by: Any, comment: str = "") -> Application:
    return fire(application, "withdraw", by=by, comment=comment, on_commit=[after_commit("application_withdrawn")])


def _require_comment(comment: str, what: str) -> Any:
    def check(locked: Any) -> None:
        if not comment.strip():
            raise ActionRefused(what, {"comment": [what]})

    return check


def request_changes(application: Application, *, by: Any, comment: str = "") -> Application:
    return fire(
        application,
        "request_changes",
        by=by,
        comment=comment,
        check=_require_comment(comment, _("Say what the applicant must change.")),
        on_commit=[after_commit("changes_requested")],
    )


def mark_ineligible(application: Application, *, by: Any, comment: str = "") -> Application:
    return fire(
        application,
        "mark_ineligible",
        by=by,
        comment=comment,
        check=_require_comment(comment, _("Give the reason the application is ineligible.")),
        on_commit=[after_commit("application_ineligible")],
    )


def send_to_review(application: Application, *, by: Any, comment: str = "") -> Application:
    return fire(application, "send_to_review", by=by, comment=comment)


def complete_assessment(application: Application, *, by: Any, comment: str = "") -> Application:
    def check(locked: Application) -> None:
        from reviews.models import Conflict

        # A conflicted reviewer's review does not count here, as it does not count in the ranking.
        declared = Conflict.objects.filter(application=locked, reviewer=OuterRef("reviewer"), waived_at__isnull=True)
        member = Membership.objects.filter(registry_id=locked.registry_id, user=OuterRef("reviewer"))
        counted = locked.reviews.filter(state="submitted").exclude(Exists(declared)).exclude(Exists(member))
        if not counted.exists():
            raise ActionRefused(_("At least one submitted review is needed to complete the assessment."))

    return fire(application, "complete_assessment", by=by, comment=comment, check=check)


def recommend(
    application: Application, *, by: Any, proposed_amount_nok: Decimal | None, comment: str = ""
) -> Application:
    def check(locked: Application) -> None:
        msg = None
        if proposed_amount_nok is None:
            msg = _("Enter the amount the expert group proposes.")
        elif proposed_amount_nok <= 0:
            msg = _("The proposed amount must be more than 0 NOK.")
        elif locked.requested_amount_nok is not None and proposed_amount_nok > locked.requested_amount_nok:
            msg = _("The proposed amount cannot be more than the requested %(amount)s NOK.") % {
                "amount": _nok(locked.requested_amount_nok)
            }
        if msg:
            raise ActionRefused(msg, {"proposed_amount_nok": [msg]})

    return fire(
        application,
        "recommend",
        by=by,
        comment=comment,
        check=check,
        kwargs={"proposed_amount_nok": proposed_amount_nok, "text": comment},
        data={"proposed_amount_nok": str(proposed_amount_nok)},
    )


def not_recommend(application: Application, *, by: Any, comment: str = "") -> Application:
    return fire(
        application,
        "not_recommend",
        by=by,
        comment=comment,
        kwargs={"text": comment},
        check=_require_comment(comment, _("Give the expert group's reason.")),
    )


def grant(
    application: Application,
    *,
    by: Any,
    granted_amount_nok: Decimal | None,
    comment: str = "",
    notify: bool = True,
) -> Application:
    """Grant and create the project. `notify=False` when the decision letter (a decision meeting) tells the
    registry instead, so it does not get two emails."""
    from projects.services import create_project_for

    def check(locked: Application) -> None:
        msg = None
        cap = locked.call.max_amount_nok
        if granted_amount_nok is None:
            msg = _("Enter the granted amount.")
        elif granted_amount_nok <= 0:
            msg = _("The granted amount must be more than 0 NOK.")
        elif locked.requested_amount_nok is not None and granted_amount_nok > locked.requested_amount_nok:
            msg = _("The granted amount cannot be more than the requested %(amount)s NOK.") % {
                "amount": _nok(locked.requested_amount_nok)
            }
        elif cap is not None and granted_amount_nok > cap and not comment.strip():
            msg = _("%(amount)s NOK is above the call's cap of %(cap)s NOK; give the reason in the comment.") % {
                "amount": _nok(granted_amount_nok),
                "cap": _nok(cap),
            }
        if msg:
            raise ActionRefused(msg, {"granted_amount_nok": [msg]})

    return fire(
        application,
        "grant",
        by=by,
        comment=comment,
        check=check,
        kwargs={"amount": granted_amount_nok},
        data={"granted_amount_nok": str(granted_amount_nok)},
        after=lambda locked: create_project_for(locked, by=by),
        on_commit=[after_commit("application_decided")] if notify else [],
    )


def reject(application: Application, *, by: Any, comment: str = "", notify: bool = True) -> Application:
    on_commit = [after_commit("application_decided")] if notify else []
    return fire(application, "reject", by=by, comment=comment, on_commit=on_commit)


# Name → service, for the API's POST /applications/{id}/transitions/{name} and the web's transition form.
APPLICATION_ACTIONS = {
    "submit": submit_application,
    "withdraw": withdraw_application,
    "request_changes": request_changes,
    "resubmit": resubmit_application,
    "mark_ineligible": mark_ineligible,
    "send_to_review": send_to_review,
    "complete_assessment": complete_assessment,
    "recommend": recommend,
    "not_recommend": not_recommend,
    "grant": grant,
    "reject": reject,
}
CALL_ACTIONS = {"open": open_call, "close": close_call, "decide": decide_call}

__all__ = ["APPLICATION_ACTIONS", "CALL_ACTIONS", "date", "is_member_of"]


# ---------------------------------------------------------------- schemes

SCHEME_FIELDS = (
    "code",
    "name",
    "name_en",
    "description",
    "decision_body",
    "default_max_amount_nok",
    "requires_indicators",
    "is_active",
    "payment_plan",
    "progress_report_months",
    "final_report_months",
    "agreement_template",
)


def _validate_scheme(
    data: dict[str, Any], criteria: list[dict[str, Any]], sections: list[dict[str, Any]], instance: Scheme | None
) -> None:
    errors: dict[str, list[str]] = {}
    clash = Scheme.objects.filter(code=data.get("code"))
    if instance is not None:
        clash = clash.exclude(pk=instance.pk)
    if clash.exists():
        errors["code"] = [_("Another scheme already uses the code “%(code)s”.") % {"code": data.get("code")}]
    if not criteria:
        errors["criteria"] = [_("A scheme needs at least one assessment criterion.")]
    codes = [c["id"] for c in criteria]
    if len(codes) != len(set(codes)):
        errors["criteria"] = [_("Each criterion needs its own code.")]
    keys = [s["key"] for s in sections]
    if len(keys) != len(set(keys)):
        errors["sections"] = [_("Each final-report section needs its own key.")]
    if "payment_plan" in data:
        from finance.plan import plan_errors

        if problems := plan_errors(data["payment_plan"]):
            errors["payment_plan"] = problems
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)


def save_scheme(
    scheme: Scheme | None,
    *,
    by: Any,
    data: dict[str, Any],
    criteria: list[dict[str, Any]],
    sections: list[dict[str, Any]],
    expert_group_name: str = "",
) -> Scheme:
    """Create or change a scheme with its default criteria, final-report sections and expert group."""
    from reviews.models import ExpertGroup

    from .models import SchemeCriterion

    if not rules.can_manage_calls(by):
        raise NotPermitted()
    _validate_scheme(data, criteria, sections, scheme)
    with transaction.atomic():
        if scheme is None:
            scheme = Scheme.objects.create(**{k: data[k] for k in SCHEME_FIELDS if k in data})
            action = "grants.scheme.create"
        else:
            scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
            for key in SCHEME_FIELDS:
                if key in data:
                    setattr(scheme, key, data[key])
            action = "grants.scheme.update"
        scheme.final_report_sections = [
            {"key": s["key"], "title": s["title"], "title_en": s.get("title_en", "")} for s in sections
        ]
        scheme.save()
        scheme.criteria.all().delete()
        SchemeCriterion.objects.bulk_create(
            SchemeCriterion(
                scheme=scheme,
                code=c["id"],
                name=c["name"],
                name_en=c.get("name_en", ""),
                description=c.get("description", ""),
                weight=Decimal(c["weight"]),
                order=i,
                anchors=c.get("anchors") or {},
            )
            for i, c in enumerate(criteria)
        )
        group_name = expert_group_name.strip() or _("Expert group for %(scheme)s") % {"scheme": scheme.name}
        ExpertGroup.objects.update_or_create(scheme=scheme, defaults={"name": group_name})
        record(scheme, action, actor=by, data={"criteria": codes_of(criteria)})
    return scheme


def codes_of(criteria: list[dict[str, Any]]) -> list[str]:
    return [c["id"] for c in criteria]
