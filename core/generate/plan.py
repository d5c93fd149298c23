"""The generator's decisions: random.Random(seed) → unsaved rows and their audit history. No database access.

Every object gets a full timeline of events (create, submit, screen, review, recommend, decide; accept the
agreement, report, pay, close) from its call's deadline; the events after the fixed "now" (clock.NOW) are cut
off, and each row's state is the target of its last remaining event. So states agree with the lifecycle by
construction: a project exists exactly for a granted application, a closed project has approved its final report
and paid every instalment, an active one has accepted its agreement and been paid the first instalment.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from math import log
from statistics import NormalDist
from typing import Any

from django.db.models import Model

from finance.enums import PaymentState, PaymentTrigger
from finance.models import BudgetLine, Payment
from finance.plan import instalments, split
from grants.enums import ApplicationState, BudgetCategory, CallState, DecisionOutcome
from grants.models import (
    Application,
    ApplicationIndicator,
    Call,
    CallCriterion,
    Decision,
    DecisionMeeting,
    PlannedMilestone,
)
from grants.schemes import DATA_QUALITY, QUALITY_IMPROVEMENT
from projects.agreements import add_months, final_report_due, schedule
from projects.enums import MilestoneState, ProgressReportState, ProjectState
from projects.models import FinalReport, Milestone, ProgressReport, Project
from registries.enums import Direction, Level, TargetKind, TargetRule
from registries.models import Indicator
from reviews.enums import ConflictSource, ReviewPhase, ReviewState
from reviews.models import Assignment, Conflict, Review, ReviewRound, Score

from . import texts
from .clock import FIRST_YEAR, LAST_YEAR, NOW, at, days
from .world import World

S = ApplicationState
P = ProjectState
PS = PaymentState
APPLICATIONS_PER_CALL = 100  # issue 6: 50 calls for 5 000 applications
MIN_CALLS = 4  # both schemes, an older decided call and a newer one, even for a handful of applications
CHUNK_APPLICATIONS = 1500  # rows are planned and written this many applications at a time (bounded memory)
# Share of applications in review that the expert group recommends: a little over half for quality improvement
# (4 of 7 granted in 2021), fewer for data quality, where many small applications compete for a small pot.
RECOMMEND_SHARE = {QUALITY_IMPROVEMENT: 0.62, DATA_QUALITY: 0.48}
SCHEME_SHARE = {QUALITY_IMPROVEMENT: 0.45, DATA_QUALITY: 0.55}
REAL_POT = {QUALITY_IMPROVEMENT: Decimal("2000000.00"), DATA_QUALITY: Decimal("500000.00")}
MEAN_GRANT = {QUALITY_IMPROVEMENT: Decimal("450000"), DATA_QUALITY: Decimal("90000")}
ZERO = Decimal("0.00")


@dataclass
class Event:
    """One audit entry to be: `obj` is saved before the entry is written, so its pk is known then."""

    obj: Model
    action: str
    at: datetime
    actor: Any = None
    source: str = ""
    target: str = ""
    comment: str = ""
    data: dict[str, Any] | None = None


@dataclass
class Chunk:
    """Rows in the order they must be written (parents first)."""

    rows: dict[type[Model], list[Model]] = field(default_factory=dict)
    units: list[tuple[Application, int]] = field(default_factory=list)  # participating units (orgnr)
    events: list[Event] = field(default_factory=list)
    values: dict[tuple[str, int, int], tuple[int, int]] = field(default_factory=dict)  # indicator values

    def add(self, *objs: Model) -> None:
        for obj in objs:
            self.rows.setdefault(type(obj), []).append(obj)


ORDER: list[type[Model]] = [
    Call,
    CallCriterion,
    ReviewRound,
    DecisionMeeting,
    Application,
    ApplicationIndicator,
    PlannedMilestone,
    BudgetLine,
    Assignment,
    Conflict,
    Review,
    Score,
    Decision,
    Project,
    Milestone,
    Payment,
    ProgressReport,
    FinalReport,
]


@dataclass
class CallSpec:
    scheme_code: str
    year: int
    number: int  # of this scheme's calls in the year
    deadline: date
    applications: int


def settle(events: list[Event], cutoff: datetime = NOW) -> list[Event]:
    return [e for e in events if e.at <= cutoff]


def money(value: float, step: int) -> Decimal:
    return Decimal(round(value / step) * step).quantize(Decimal("0.01"))


class Planner:
    def __init__(self, world: World, seed: int, applications: int) -> None:
        self.world = world
        self.seed = seed
        self.rng = random.Random(seed)  # noqa: S311 (reproducible test data, not secrets)
        self.applications = applications
        self.bias: dict[int, float] = {}  # reviewer id → how harsh (−) or lenient (+) they score
        self.payment_no = 0
        self.registry_weights = self._registry_weights()
        self.values_seen: set[tuple[str, int, int]] = set()

    # ------------------------------------------------------------ calls

    def calls(self) -> list[CallSpec]:
        """How many calls, which scheme and year, and how many applications each gets (adding up to exactly N)."""
        count = max(MIN_CALLS, round(self.applications / APPLICATIONS_PER_CALL))
        per_scheme = {QUALITY_IMPROVEMENT: (count + 1) // 2, DATA_QUALITY: count // 2}
        specs = []
        for code, n in per_scheme.items():
            for i in range(n):
                specs.append((code, LAST_YEAR - (n - 1 - i) * (LAST_YEAR - FIRST_YEAR + 1) // n))
        specs.sort(key=lambda s: (s[1], s[0]))
        weights = [SCHEME_SHARE[code] / per_scheme[code] * self.rng.uniform(0.7, 1.3) for code, _y in specs]
        counts = _apportion(self.applications, weights)
        result = []
        numbers: dict[tuple[str, int], int] = {}
        for code, year in specs:
            numbers[(code, year)] = numbers.get((code, year), 0) + 1
        seen: dict[tuple[str, int], int] = {}
        for (code, year), n in zip(specs, counts, strict=True):
            k = seen[(code, year)] = seen.get((code, year), 0) + 1
            result.append(CallSpec(code, year, k, _deadline(code, year, k, numbers[(code, year)], per_scheme[code]), n))
        return result

    def chunks(self) -> Iterator[Chunk]:
        batch: list[CallSpec] = []
        size = 0
        for spec in self.calls():
            batch.append(spec)
            size += spec.applications
            if size >= CHUNK_APPLICATIONS:
                yield self.chunk(batch)
                batch, size = [], 0
        if batch:
            yield self.chunk(batch)

    def chunk(self, specs: list[CallSpec]) -> Chunk:
        chunk = Chunk()
        for spec in specs:
            self._call(chunk, spec)
        return chunk

    def _call(self, chunk: Chunk, spec: CallSpec) -> None:
        rng, world = self.rng, self.world
        scheme = world.schemes[spec.scheme_code]
        closes = at(spec.deadline, 12)
        opens = at(spec.deadline - days(90), 9)
        decided = closes + days(90)
        expected = Decimal(spec.applications) * Decimal(str(RECOMMEND_SHARE[spec.scheme_code] * 0.9))
        budget = max(REAL_POT[spec.scheme_code], money(float(expected * MEAN_GRANT[spec.scheme_code]) * 1.1, 100_000))
        secretariat = rng.choice(world.secretariat)
        stamps = [
            ("create", opens - days(14), "", CallState.DRAFT),
            ("open", opens, CallState.DRAFT, CallState.OPEN),
            ("close", closes, CallState.OPEN, CallState.CLOSED),
            ("decide", decided + timedelta(hours=2), CallState.CLOSED, CallState.DECIDED),
        ]
        stamps = [s for s in stamps if s[1] <= NOW]
        call = Call(
            scheme=scheme,
            title=f"{scheme.name} {spec.year} – utlysning {spec.number} (generert)",
            description=f"Generert utlysning av nasjonale midler til {scheme.name.lower()} {spec.year}.",
            year=spec.year,
            budget_nok=budget,
            max_amount_nok=scheme.default_max_amount_nok,
            opens_at=opens,
            closes_at=closes,
            state=stamps[-1][3],
            created_at=opens - days(14),
        )
        chunk.add(call)
        chunk.events += [Event(call, f"grants.call.{n}", when, secretariat, src, dst) for n, when, src, dst in stamps]
        criteria = [
            CallCriterion(
                call=call,
                code=c.code,
                name=c.name,
                name_en=c.name_en,
                description=c.description,
                weight=c.weight,
                order=c.order,
                anchors=c.anchors,
            )
            for c in world.criteria[scheme.pk]
        ]
        chunk.add(*criteria)
        context = CallContext(call, spec, closes, decided, secretariat, criteria)
        if closes + days(7) <= NOW:
            context.review_round = self._review_round(chunk, context)
        if decided <= NOW:
            context.meeting = DecisionMeeting(
                call=call,
                held_on=decided.date(),
                body=scheme.decision_body,
                attendees="Generert: medlemmene av beslutningsorganet.",
                minutes="Vedtak etter faggruppens innstilling.",
                recorded_by=secretariat,
                recorded_at=decided,
            )
            chunk.add(context.meeting)
            chunk.events.append(Event(context.meeting, "grants.decisionmeeting.record", decided, secretariat))
        for _i in range(spec.applications):
            self._application(chunk, context)

    def _review_round(self, chunk: Chunk, ctx: "CallContext") -> ReviewRound:
        ind, dis, dec = ReviewPhase.INDEPENDENT, ReviewPhase.DISCUSSION, ReviewPhase.DECIDED
        stamps = [
            ("start_discussion", ctx.closes + days(60), ind, dis),
            ("close_review", ctx.decided + timedelta(hours=1), dis, dec),
        ]
        stamps = [s for s in stamps if s[1] <= NOW]
        phase = stamps[-1][3] if stamps else ind
        review_round = ReviewRound(call=ctx.call, phase=phase, review_deadline=(ctx.closes + days(60)).date())
        chunk.add(review_round)
        chunk.events += [
            Event(review_round, f"reviews.reviewround.{n}", when, ctx.secretariat, src, dst)
            for n, when, src, dst in stamps
        ]
        return review_round

    # ------------------------------------------------------------ applications

    def _application(self, chunk: Chunk, ctx: "CallContext") -> None:
        rng, world = self.rng, self.world
        code = ctx.spec.scheme_code
        registry = self._registry(code)
        creator = rng.choice(world.applicants[registry.pk])
        secretariat = rng.choice(world.secretariat)
        decider = rng.choice(world.deciders)
        requested, proposed = self._amounts(code)
        start = _first_of_month(ctx.decided.date() + days(15 + rng.randrange(60)))
        months = rng.randint(6, 12) if code == DATA_QUALITY else rng.randint(12, 30)
        end = add_months(start, months) - days(1)
        created = ctx.closes - days(rng.uniform(12, 80))
        if created > NOW:  # a call still open: its applications so far were begun between its opening and now
            created = ctx.call.opens_at + (NOW - ctx.call.opens_at) * rng.uniform(0.1, 0.99)
        app = AppDraft(created=created, requested=requested, start=start, end=end)
        ev = app.events
        ev.append(("create", created, creator, "", S.DRAFT, "", None))
        fate = rng.random()
        quality = rng.gauss(0, 1)
        recommend = quality > NormalDist().inv_cdf(1 - RECOMMEND_SHARE[code])
        if fate >= 0.02:  # 2 %: a draft never handed in
            submitted = max(created + days(1), ctx.closes - timedelta(hours=rng.uniform(1, 24 * 14)))
            ev.append(("submit", submitted, creator, S.DRAFT, S.SUBMITTED, "", None))
            screen = ctx.closes + days(rng.uniform(7, 21))
            if fate < 0.07:  # 5 %: ineligible
                ev.append(
                    (
                        "mark_ineligible",
                        screen,
                        secretariat,
                        S.SUBMITTED,
                        S.INELIGIBLE,
                        rng.choice(texts.INELIGIBLE),
                        None,
                    )
                )
            else:
                if fate < 0.17:  # 10 %: changes requested, then resubmitted
                    comment = rng.choice(texts.CHANGE_REQUESTS)
                    ev.append(("request_changes", screen, secretariat, S.SUBMITTED, S.CHANGES_REQUESTED, comment, None))
                    screen = screen + days(rng.uniform(3, 10))
                    ev.append(("resubmit", screen, creator, S.CHANGES_REQUESTED, S.SUBMITTED, "", None))
                    screen = screen + days(rng.uniform(1, 5))
                ev.append(("send_to_review", screen, secretariat, S.SUBMITTED, S.IN_REVIEW, "", None))
                app.review_from = screen
                assessed = ctx.closes + days(65)
                ev.append(("complete_assessment", assessed, secretariat, S.IN_REVIEW, S.ASSESSED, "", None))
                recommended = ctx.closes + days(75)
                if recommend:
                    comment = "Faggruppen anbefaler støtte."
                    data = {"proposed_amount_nok": str(proposed)}
                    ev.append(("recommend", recommended, secretariat, S.ASSESSED, S.RECOMMENDED, comment, data))
                    app.proposed = proposed
                    if rng.random() < 0.95:
                        data = {"granted_amount_nok": str(proposed)}
                        ev.append(("grant", ctx.decided, decider, S.RECOMMENDED, S.GRANTED, "Innvilget.", data))
                    else:
                        comment = "Avslått: rammen er brukt opp."
                        ev.append(("reject", ctx.decided, decider, S.RECOMMENDED, S.REJECTED, comment, None))
                else:
                    comment = rng.choice(texts.NOT_RECOMMENDED)
                    ev.append(("not_recommend", recommended, secretariat, S.ASSESSED, S.NOT_RECOMMENDED, comment, None))
                    ev.append(("reject", ctx.decided, decider, S.NOT_RECOMMENDED, S.REJECTED, "Avslått.", None))
            if 0.17 <= fate < 0.20:  # 3 %: withdrawn by the applicant before the decision
                withdrawn = submitted + (ctx.decided - submitted) * rng.uniform(0.05, 0.95)
                app.cut(withdrawn)
                state = app.events[-1][4]
                app.events.append(("withdraw", withdrawn, creator, state, S.WITHDRAWN, "Trukket av søkeren.", None))
        app.cut(NOW)
        self._write_application(chunk, ctx, app, registry, creator, quality)

    def _write_application(
        self, chunk: Chunk, ctx: "CallContext", app: "AppDraft", registry: Any, creator: Any, quality: float
    ) -> None:
        code = ctx.spec.scheme_code
        state = app.events[-1][4]
        times = {name: when for name, when, *_rest in app.events}
        last_submit = max((times[n] for n in ("submit", "resubmit") if n in times), default=None)
        decided_at = times.get("grant") or times.get("reject")
        granted = app.proposed if state == S.GRANTED else None
        title = self._title(code, registry)
        application = Application(
            call=ctx.call,
            registry=registry,
            created_by=creator,
            title=title,
            summary=f"{title}. Prosjektet bygger på registerets egne resultater (generert).",
            aims="Bedre måloppnåelse på registerets indikatorer innen prosjektslutt.",
            requested_amount_nok=app.requested,
            start_date=app.start,
            end_date=app.end,
            state=state,
            submitted_at=last_submit,
            proposed_amount_nok=app.proposed if "recommend" in times else None,
            recommendation=next((e[5] for e in app.events if e[0] in ("recommend", "not_recommend")), ""),
            granted_amount_nok=granted,
            decided_at=decided_at,
            created_at=app.created,
            updated_at=app.events[-1][1],
        )
        chunk.add(application)
        for name, when, actor, source, target, comment, data in app.events:
            action = "grants.application.create" if name == "create" else f"grants.application.{name}"
            chunk.events.append(Event(application, action, when, actor, source, target, comment, data))
        units, planned, targets = self._plan_details(chunk, application, code, registry)
        if app.review_from is not None:
            self._reviews(chunk, ctx, application, app, quality)
        if decided_at is not None and ctx.meeting is not None:
            outcome = DecisionOutcome.GRANT if state == S.GRANTED else DecisionOutcome.REJECT
            chunk.add(Decision(meeting=ctx.meeting, application=application, outcome=outcome, amount_nok=granted))
        if state == S.GRANTED:
            self._project(chunk, ctx, application, Details(units, planned, targets))

    def _plan_details(
        self, chunk: Chunk, application: Application, code: str, registry: Any
    ) -> tuple[list[int], list[PlannedMilestone], list[ApplicationIndicator]]:
        """Budget lines, planned milestones, participating units and (quality improvement) target indicators."""
        rng = self.rng
        start, end = application.start_date, application.end_date
        assert start is not None and end is not None and application.requested_amount_nok is not None
        years = list(range(start.year, end.year + 1))
        categories = (
            [(BudgetCategory.SALARY, "0.65"), (BudgetCategory.OPERATING, "0.15"), (BudgetCategory.TRAVEL, "0.10"),
             (BudgetCategory.OTHER, "0.10")]
            if code == QUALITY_IMPROVEMENT
            else [(BudgetCategory.SALARY, "0.80"), (BudgetCategory.OPERATING, "0.20")]
        )  # fmt: skip
        year_parts = split(application.requested_amount_nok, [Decimal(1) / len(years)] * len(years))
        for year, part in zip(years, year_parts, strict=True):
            amounts = split(part, [Decimal(s) for _c, s in categories])
            chunk.add(
                *(
                    BudgetLine(application=application, category=c, year=year, amount_nok=a)
                    for (c, _s), a in zip(categories, amounts, strict=True)
                    if a > 0
                )
            )
        titles = texts.QI_MILESTONES if code == QUALITY_IMPROVEMENT else texts.DQ_MILESTONES
        count = rng.randint(3, 5) if code == QUALITY_IMPROVEMENT else rng.randint(2, 3)
        span = (end - start).days
        picked = [*sorted(rng.sample(range(len(titles) - 1), count - 1)), len(titles) - 1]
        planned = [
            PlannedMilestone(
                application=application,
                title=titles[t],
                due_date=start + days(span * (i + 1) // count) if i < count - 1 else end - days(14),
            )
            for i, t in enumerate(picked)
        ]
        chunk.add(*planned)
        units = [u.orgnr for u in rng.sample(self.world.units, min(len(self.world.units), rng.randint(1, 4)))]
        if code == DATA_QUALITY and rng.random() < 0.6:
            units = []
        chunk.units += [(application, orgnr) for orgnr in units]
        indicators = self.world.indicators.get(registry.pk, [])
        targets = []
        if code == QUALITY_IMPROVEMENT and indicators:
            for indicator in rng.sample(indicators, min(len(indicators), rng.choice((1, 1, 2)))):
                targets.append(self._target(application, indicator))
        chunk.add(*targets)
        return units, planned, targets

    def _target(self, application: Application, indicator: Indicator) -> ApplicationIndicator:
        rng = self.rng
        baseline, target = _baseline_and_target(indicator, rng)
        kind = rng.choices([TargetKind.VALUE, TargetKind.LEVEL, TargetKind.RULE], weights=[75, 15, 10])[0]
        has_levels = indicator.direction is not None and indicator.level_green is not None
        if not has_levels:
            kind = TargetKind.VALUE
        return ApplicationIndicator(
            application=application,
            indicator=indicator,
            baseline_value=baseline,
            baseline_year=application.call.year - 1,
            target_kind=kind,
            target_value=target if kind == TargetKind.VALUE else None,
            target_level=Level.HIGH if kind == TargetKind.LEVEL else "",
            target_rule=TargetRule.NO_UNIT_LOW if kind == TargetKind.RULE else "",
            target_date=application.end_date,
        )

    # ------------------------------------------------------------ reviews

    def _reviews(self, chunk: Chunk, ctx: "CallContext", application: Application, app: "AppDraft", q: float) -> None:
        rng, world = self.rng, self.world
        assert app.review_from is not None
        last = app.events[-1][1]  # the application's last event: no review work after a withdrawal or after "now"
        members = [
            m
            for m in world.reviewers[ctx.call.scheme.pk]
            if application.registry_id not in world.reviewer_registries.get(m.pk, ())
        ]
        if rng.random() < 0.06 and len(members) > 3:
            declared = rng.choice(members)
            members.remove(declared)
            when = app.review_from + days(rng.uniform(0.5, 3))
            if when <= last:
                chunk.add(
                    Conflict(
                        application=application,
                        reviewer=declared,
                        source=ConflictSource.DECLARED,
                        reason=rng.choice(texts.CONFLICT_REASONS),
                        declared_at=when,
                    )
                )
                data = {"reviewer": declared.pk}
                chunk.events.append(Event(application, "reviews.conflict.declare", when, declared, data=data))
        wanted = 3 if ctx.spec.scheme_code == QUALITY_IMPROVEMENT else rng.choice((2, 3))
        assigned_at = app.review_from + timedelta(hours=2)
        if assigned_at > last:
            return
        deadline = (ctx.closes + days(60)).date()
        for i, reviewer in enumerate(rng.sample(members, min(wanted, len(members)))):
            chunk.add(
                Assignment(
                    application=application,
                    reviewer=reviewer,
                    assigned_by=ctx.secretariat,
                    assigned_at=assigned_at,
                    deadline=deadline,
                )
            )
            data = {"reviewer": reviewer.pk, "deadline": deadline.isoformat()}
            chunk.events.append(
                Event(application, "reviews.assignment.create", assigned_at, ctx.secretariat, data=data)
            )
            submitted = ctx.closes + days(rng.uniform(25, 58))
            if i > 0 and rng.random() < 0.05:
                submitted = None  # started, never submitted
            if submitted is not None and submitted > last:
                submitted = None
            started = assigned_at + days(rng.uniform(1, 20))
            if submitted is None and started > last:
                continue  # not even begun
            review = Review(
                application=application,
                reviewer=reviewer,
                comment=rng.choice(texts.REVIEW_COMMENTS) if submitted else "",
                state=ReviewState.SUBMITTED if submitted else ReviewState.DRAFT,
                submitted_at=submitted,
                updated_at=submitted or started,
            )
            chunk.add(review)
            if submitted:
                bias = self.bias.setdefault(reviewer.pk, rng.gauss(0, 0.4))
                chunk.add(
                    *(
                        Score(
                            review=review,
                            criterion=c,
                            value=max(1, min(7, round(4.2 + 1.3 * q + bias + rng.gauss(0, 0.8)))),
                        )
                        for c in ctx.criteria
                    )
                )
                chunk.events.append(
                    Event(
                        review, "reviews.review.submit", submitted, reviewer, ReviewState.DRAFT, ReviewState.SUBMITTED
                    )
                )

    # ------------------------------------------------------------ projects

    def _project(self, chunk: Chunk, ctx: "CallContext", application: Application, details: "Details") -> None:
        rng = self.rng
        scheme = ctx.call.scheme
        secretariat = ctx.secretariat
        lead = application.created_by
        assert application.granted_amount_nok is not None and application.decided_at is not None
        granted_at = application.decided_at
        amount = application.granted_amount_nok
        start, end = application.start_date, application.end_date
        assert start is not None and end is not None
        parts = instalments(amount, scheme.payment_plan)
        events: list[tuple[str, datetime, Any, str, str]] = [("create", granted_at, None, "", P.AGREEMENT_PENDING)]
        accepted = granted_at + days(rng.uniform(10, 40))
        pay_lag = days(rng.uniform(3, 14))
        terminate_at = None
        if accepted + pay_lag <= NOW:  # accepted only where its first payment has been made too
            events.append(("accept_agreement", accepted, lead, P.AGREEMENT_PENDING, P.ACTIVE))
            if rng.random() < 0.03:
                terminate_at = accepted + (at(end) - accepted) * rng.uniform(0.2, 0.9)
        else:
            accepted = None
        final_submit = final_approve = None
        if accepted is not None and terminate_at is None:
            final_submit = at(end) + days(rng.uniform(15, 80))
            if rng.random() < 0.05:  # returned once with feedback, then submitted again
                returned = final_submit + days(rng.uniform(7, 20))
                events += [
                    ("submit_final_report", final_submit, lead, P.ACTIVE, P.FINAL_REPORT_SUBMITTED),
                    ("return_final_report", returned, secretariat, P.FINAL_REPORT_SUBMITTED, P.ACTIVE),
                ]
                final_submit = returned + days(rng.uniform(5, 20))
            events.append(("submit_final_report", final_submit, lead, P.ACTIVE, P.FINAL_REPORT_SUBMITTED))
            final_approve = final_submit + days(rng.uniform(10, 35))
            if final_approve + pay_lag <= NOW:  # closed only where the last payment has been made too
                events.append(("approve_final_report", final_approve, secretariat, P.FINAL_REPORT_SUBMITTED, P.CLOSED))
            else:
                final_approve = None
        elif terminate_at is not None:
            events.append(("terminate", terminate_at, secretariat, P.ACTIVE, P.TERMINATED))
        events = [e for e in events if e[1] <= NOW]
        state = events[-1][4]
        project = Project(
            application=application,
            registry_id=application.registry_id,
            title=application.title,
            granted_amount_nok=amount,
            start_date=start,
            end_date=end,
            state=state,
            agreement_accepted_at=accepted if state != P.AGREEMENT_PENDING else None,
            agreement_accepted_by=lead if state != P.AGREEMENT_PENDING else None,
            agreement_accepted_name=lead.full_name if state != P.AGREEMENT_PENDING else "",
            final_report_due=final_report_due(end, scheme.final_report_months)
            if state != P.AGREEMENT_PENDING
            else None,
            closed_at=final_approve if state == P.CLOSED else (terminate_at if state == P.TERMINATED else None),
            created_at=granted_at,
        )
        chunk.add(project)
        for name, when, actor, source, target in events:
            chunk.events.append(Event(project, f"projects.project.{name}", when, actor, source, target))
        until = terminate_at or final_submit or NOW
        milestones = self._milestones(chunk, project, details.planned, accepted, until, secretariat)
        self._payments(chunk, project, parts, milestones, accepted, final_approve, terminate_at, pay_lag, secretariat)
        if accepted is not None and state != P.AGREEMENT_PENDING:
            self._progress_reports(chunk, project, scheme, accepted, final_submit, terminate_at, secretariat)
        submitted = final_submit if final_submit is not None and final_submit <= NOW else None
        sections = {
            s["key"]: f"{s['title']}: beskrevet i sluttrapporten (generert)." for s in scheme.final_report_sections
        }
        chunk.add(
            FinalReport(
                project=project,
                sections=sections if submitted else {},
                updated_at=submitted or granted_at,
                updated_by=lead if submitted else None,
                submitted_at=submitted,
            )
        )
        if accepted is not None:
            self._indicator_values(chunk, application, details)

    def _milestones(
        self,
        chunk: Chunk,
        project: Project,
        planned: list[PlannedMilestone],
        accepted: datetime | None,
        until: datetime,
        secretariat: Any,
    ) -> list[tuple[Milestone, datetime | None]]:
        """Each milestone with the time it was approved (None: not yet)."""
        rng = self.rng
        lead = project.application.created_by
        result = []
        for plan in planned:
            reported = at(plan.due_date) + days(rng.uniform(-10, 10))
            approved = reported + days(rng.uniform(3, 14))
            state = MilestoneState.PLANNED
            stamps: list[tuple[str, datetime, Any, str, str]] = []
            if accepted is not None and accepted <= reported <= min(until, NOW):
                state = MilestoneState.REPORTED
                stamps.append(("report", reported, lead, MilestoneState.PLANNED, MilestoneState.REPORTED))
                if approved <= NOW:
                    state = MilestoneState.APPROVED
                    stamps.append(("approve", approved, secretariat, MilestoneState.REPORTED, MilestoneState.APPROVED))
            milestone = Milestone(
                project=project,
                title=plan.title,
                due_date=plan.due_date,
                state=state,
                report_text="Milepælen er nådd som planlagt (generert)." if stamps else "",
                reported_at=reported if stamps else None,
            )
            chunk.add(milestone)
            for name, when, actor, source, target in stamps:
                chunk.events.append(Event(milestone, f"projects.milestone.{name}", when, actor, source, target))
            result.append((milestone, approved if state == MilestoneState.APPROVED else None))
        return result

    def _payments(
        self,
        chunk: Chunk,
        project: Project,
        parts: list[Any],
        milestones: list[tuple[Milestone, datetime | None]],
        accepted: datetime | None,
        final_approve: datetime | None,
        terminated: datetime | None,
        lag: timedelta,
        secretariat: Any,
    ) -> None:
        """The scheme's instalments (finance.plan, exact to the øre), each due when its trigger happens, then
        approved and paid; those not yet paid when a project is terminated are cancelled."""
        queue = iter(milestones)
        for part in parts:
            milestone, due = None, None
            if part.trigger == PaymentTrigger.AGREEMENT:
                due = accepted
            elif part.trigger == PaymentTrigger.MILESTONE:
                milestone, due = next(queue, (None, None))
                if milestone is None:
                    due = final_approve
            else:
                due = final_approve
            self.payment_no += 1
            stamps: list[tuple[str, datetime, Any, str, str]] = []
            if due is not None and (terminated is None or due <= terminated):
                approved, paid = due + lag * 0.4, due + lag
                stamps = [
                    ("become_due", due, None, PS.SCHEDULED, PS.DUE),
                    ("approve", approved, secretariat, PS.DUE, PS.APPROVED),
                    ("pay", paid, secretariat, PS.APPROVED, PS.PAID),
                ]
            stamps = [s for s in stamps if s[1] <= NOW]
            if terminated is not None and terminated <= NOW and (not stamps or stamps[-1][4] != PS.PAID):
                source = stamps[-1][4] if stamps else PS.SCHEDULED
                stamps.append(("cancel", terminated + timedelta(hours=1), secretariat, source, PS.CANCELLED))
            state = stamps[-1][4] if stamps else PS.SCHEDULED
            paid_at = stamps[-1][1] if state == PS.PAID else None
            payment = Payment(
                project=project,
                amount_nok=part.amount_nok,
                trigger=part.trigger,
                milestone=milestone,
                state=state,
                order=part.order,
                due_on=stamps[0][1].date() if stamps and stamps[0][0] == "become_due" else None,
                paid_at=paid_at,
                paid_on=paid_at.date() if paid_at else None,
                reference=f"GEN-{self.seed}-{self.payment_no:06d}" if paid_at else "",
                approved_by=secretariat if state in (PS.APPROVED, PS.PAID) else None,
            )
            chunk.add(payment)
            for name, when, actor, source, target in stamps:
                chunk.events.append(Event(payment, f"finance.payment.{name}", when, actor, source, target))

    def _progress_reports(
        self,
        chunk: Chunk,
        project: Project,
        scheme: Any,
        accepted: datetime,
        final: datetime | None,
        terminated: datetime | None,
        secretariat: Any,
    ) -> None:
        rng = self.rng
        lead = project.application.created_by
        PR = ProgressReportState
        for period in schedule(project.start_date, project.end_date, scheme.progress_report_months):
            submitted = max(accepted + days(1), at(period.due) - days(rng.uniform(0, 25)))
            if final is not None:  # the last report may fall due after the final report: written just before it
                submitted = min(submitted, final - days(1))
            approved = submitted + days(rng.uniform(5, 20))
            state, stamps = PR.DUE, []
            if accepted < submitted <= min(NOW, terminated or NOW):
                state = PR.SUBMITTED
                stamps.append(("submit", submitted, lead, PR.DUE, PR.SUBMITTED))
                if approved <= NOW:
                    state = PR.APPROVED
                    stamps.append(("approve", approved, secretariat, PR.SUBMITTED, PR.APPROVED))
            report = ProgressReport(
                project=project,
                number=period.number,
                period_start=period.start,
                period_end=period.end,
                due_date=period.due,
                state=state,
                summary="Arbeidet går etter planen (generert)." if stamps else "",
                risks="Ingen vesentlige risikoer." if stamps else "",
                submitted_at=submitted if stamps else None,
                submitted_by=lead if stamps else None,
                decided_at=approved if state == PR.APPROVED else None,
                decided_by=secretariat if state == PR.APPROVED else None,
            )
            chunk.add(report)
            for name, when, actor, source, target in stamps:
                chunk.events.append(Event(report, f"projects.progressreport.{name}", when, actor, source, target))

    def _indicator_values(self, chunk: Chunk, application: Application, details: "Details") -> None:
        """Yearly values for the project's target indicators at its units and nationally, moving from the
        baseline towards the target; a year already delivered (SKDE's data, another project) is left alone."""
        rng = self.rng
        targets, units = details.targets, details.units
        nation = self.world.nation
        assert application.end_date is not None
        for target in targets:
            first, last = (
                target.baseline_year or application.call.year - 1,
                min(application.end_date.year + 1, NOW.year - 1),
            )
            base = float(target.baseline_value or Decimal("0.5"))
            goal = float(target.target_value) if target.target_value is not None else base * 0.8
            places = [(orgnr, 30, 300) for orgnr in units] + ([(nation.orgnr, 2000, 8000)] if nation else [])
            for year in range(first, last + 1):
                progress = (year - first) / max(1, last - first)
                for orgnr, low, high in places:
                    key = (target.indicator_id, orgnr, year)
                    if key in chunk.values or key in self.values_seen:
                        continue
                    value = min(1.0, max(0.0, base + (goal - base) * progress + rng.gauss(0, 0.03)))
                    denominator = rng.randint(low, high)
                    chunk.values[key] = (round(value * denominator), denominator)
                    self.values_seen.add(key)

    # ------------------------------------------------------------ choices

    def _registry_weights(self) -> list[float]:
        # A few registries apply often, most now and then: Zipf-like weights over a seeded order.
        order = list(range(len(self.world.registries)))
        random.Random(f"registries-{self.seed}").shuffle(order)  # noqa: S311 (test data)
        weights = [0.0] * len(order)
        for rank, index in enumerate(order, start=1):
            weights[index] = 1 / rank**0.7
        return weights

    def _registry(self, code: str) -> Any:
        registries = self.world.registries
        while True:
            registry = self.rng.choices(registries, weights=self.registry_weights)[0]
            if code == DATA_QUALITY or registry.pk in self.world.indicators or not self.world.indicators:
                return registry

    def _amounts(self, code: str) -> tuple[Decimal, Decimal]:
        rng = self.rng
        if code == DATA_QUALITY:
            requested = (
                Decimal("100000.00") if rng.random() < 0.08 else money(rng.triangular(60_000, 100_000, 95_000), 100)
            )
            proposed = requested if rng.random() < 0.7 else money(float(requested) * rng.uniform(0.85, 0.97), 100)
        else:
            requested = money(min(1_500_000, max(150_000, rng.lognormvariate(log(450_000), 0.45))), 10_000)
            proposed = requested if rng.random() < 0.7 else money(float(requested) * rng.uniform(0.6, 0.9), 10_000)
        return requested, min(requested, proposed)

    def _title(self, code: str, registry: Any) -> str:
        rng = self.rng
        name = registry.short_name or registry.name
        if code == DATA_QUALITY:
            return f"{rng.choice(texts.DQ_METHODS).format(d=rng.choice(texts.DQ_DIMENSIONS))} i {name}"
        return f"{rng.choice(texts.QI_VERBS)} {rng.choice(texts.QI_TOPICS)} ({name})"


@dataclass
class CallContext:
    call: Call
    spec: CallSpec
    closes: datetime
    decided: datetime
    secretariat: Any
    criteria: list[CallCriterion]
    review_round: ReviewRound | None = None
    meeting: DecisionMeeting | None = None


@dataclass
class Details:
    units: list[int]
    planned: list[PlannedMilestone]
    targets: list[ApplicationIndicator]


@dataclass
class AppDraft:
    """An application's timeline while it is planned: (name, at, actor, source, target, comment, data)."""

    created: datetime
    requested: Decimal
    start: date
    end: date
    events: list[tuple[str, datetime, Any, str, str, str, dict | None]] = field(default_factory=list)
    proposed: Decimal | None = None
    review_from: datetime | None = None

    def cut(self, cutoff: datetime) -> None:
        self.events = [e for e in self.events if e[1] <= cutoff]
        if self.review_from is not None and not any(e[0] == "send_to_review" for e in self.events):
            self.review_from = None
        if not any(e[0] == "recommend" for e in self.events):
            self.proposed = None


# ---------------------------------------------------------------- pure helpers


def _apportion(total: int, weights: list[float]) -> list[int]:
    """`total` split in proportion to `weights`, whole numbers adding up to exactly `total` (largest remainder)."""
    scale = sum(weights)
    exact = [total * w / scale for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(exact)), key=lambda i: exact[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _deadline(code: str, year: int, number: int, of: int, calls: int) -> date:
    """1 June (quality improvement) or 1 September (data quality) for a scheme's only call of a year; several
    calls spread over the year; with three calls or more, the newest of each scheme is still open at "now"."""
    if year == LAST_YEAR and number == of and calls >= 3:
        return date(year, 12, 1)
    if of == 1:
        return date(year, 6, 1) if code == QUALITY_IMPROVEMENT else date(year, 9, 1)
    month = 2 + (number - 1) * 9 // max(1, of - 1)
    return date(year, month, 1 if code == QUALITY_IMPROVEMENT else 15)


def _first_of_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _baseline_and_target(indicator: Indicator, rng: random.Random) -> tuple[Decimal, Decimal]:
    """A baseline at moderate or low attainment and a target at (or towards) high attainment."""
    q = Decimal("0.0001")
    green, yellow = indicator.level_green, indicator.level_yellow or indicator.level_green
    if green is None or yellow is None or indicator.direction is None or not (0 < green <= 1 and 0 < yellow <= 1):
        baseline = rng.uniform(0.3, 0.7)
        return Decimal(baseline).quantize(q), Decimal(min(1.0, baseline * 1.15)).quantize(q)
    g, y = float(green), float(yellow)
    if indicator.direction == Direction.LOWER_IS_BETTER:
        baseline = min(1.0, rng.uniform(g, max(g, y) * 1.4))
        target = min(baseline, g)
    else:
        baseline = max(0.0, rng.uniform(min(g, y) * 0.75, g))
        target = max(baseline, g)
    return Decimal(baseline).quantize(q), Decimal(target).quantize(q)
