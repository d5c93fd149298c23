"""Random sequences of business actions by random roles, with the invariants checked after every step.

A Hypothesis state machine fires the real service functions (grants, reviews, projects, finance) on a small world:
two complete applications of one registry, and everyone who might act on them: the registry's applicant, a member
of another registry (the stranger), an expert-group reviewer, the secretariat and a decider. Every call must either
succeed or raise a DomainError (ActionRefused, NotPermitted, InvalidTransition); anything else fails the test.

After every step:
(a) every object's audit history is a chain: each entry's `source` is the previous entry's `target`, the first
    starts from the initial state (or is the creation entry, source ""), and the last target is the current state;
(b) money is neither created nor lost: a project's payments (in any state) add up to exactly the granted amount,
    the non-cancelled ones to the granted amount less what was cancelled, nothing paid beyond the grant, and after
    close-out the stored unspent amount is exactly max(paid - spent, 0);
(c) every state change is audited: the transition entries in the audit trail are exactly the state changes the
    machine saw (one per changed object per step), and each successful call left its own entry (action, actor,
    source, target) on its object;
(d) a refused action changes nothing: no state, no audit entry, no money row.

Database: pytest-django wraps the test in one transaction, and every example (one run of the machine) runs inside
its own savepoint that teardown() rolls back, so each example starts from an empty world without a flush. This is
what hypothesis.extra.django.TestCase does per example, but it works with a plain pytest function and on both
SQLite and PostgreSQL. on_commit callbacks never run inside the test's transaction, so no notification or PDF is
made: this test is about the lifecycles and the money, the side effects have their own tests.
"""

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Sum
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from audit.models import AuditEntry
from core.exceptions import DomainError
from finance import services as finance
from finance.models import Expenditure, Payment
from grants import services as grants
from grants.models import Application
from projects import changes, progress
from projects import services as projects
from projects.models import ChangeRequest, Milestone, ProgressReport, Project
from reviews import services as reviews
from reviews.models import Review
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = pytest.mark.django_db

ROLES = ("applicant", "stranger", "reviewer", "secretariat", "decider")
# "right" is the role that may do the action: drawn more often, so sequences get deep into the lifecycles.
WHO = ("right",) * 5 + ROLES
RIGHT = {
    **dict.fromkeys(["submit", "resubmit", "withdraw", "accept_agreement", "submit_final_report"], "applicant"),
    "save": "applicant",
    **dict.fromkeys(["report", "save_progress_report", "save_final_report", "submit_change"], "applicant"),
    **dict.fromkeys(["save_review", "submit_review"], "reviewer"),
    **dict.fromkeys(["grant", "reject"], "decider"),
}
COMMENTS = ("Begrunnelse.", "Begrunnelse.", "")
# Granted/proposed amounts: valid ones (an odd øre amount, the smallest, the whole request) and refused ones.
AMOUNTS = (Decimal("90000.00"), Decimal("33333.33"), Decimal("0.01"), Decimal("0"), Decimal("90000.01"))
NEXT = "next"  # the action name drawn as "next": one the object's state allows (whoever may fire it)
# Not drawn as NEXT (only by name), so runs go deep before they end: closed, refused and withdrawn things.
ENDINGS = {"terminate", "withdraw", "reject", "mark_ineligible", "cancel", "refuse"}
# A plan with a milestone payment, so approving a milestone moves money too; 0.3/0.3/0.4 leaves øre remainders.
PLAN = [
    {"trigger": "agreement", "share": "0.3"},
    {"trigger": "milestone", "share": "0.3"},
    {"trigger": "final_report", "share": "0.4"},
]
TRACKED = (Application, Review, Project, Milestone, ProgressReport, ChangeRequest, Payment)
INITIAL = {
    Application: "draft",
    Review: "draft",
    Project: "agreement_pending",
    Milestone: "planned",
    ProgressReport: "due",
    ChangeRequest: "submitted",
    Payment: "scheduled",
}
ZERO = Decimal("0.00")

pick = st.integers(min_value=0, max_value=7)
ACTIONS: dict = {}
PROJECT_STEPS = [NEXT] * 3 + ["save_final_report"] * 2 + ["extension", "milestones", *sorted(projects.PROJECT_ACTIONS)]


def action(*, needs=None, weight=1, **strategies):
    """Register a kind of step: drawn `weight` times as often as others, only once a `needs` object exists."""

    def register(method):
        ACTIONS[method.__name__] = (method, needs, weight, strategies)
        return method

    return register


role = st.sampled_from(WHO)
comment = st.sampled_from(COMMENTS)


def _nth(model, i, **filters):
    rows = list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))
    return model.objects.get(pk=rows[i % len(rows)]) if rows else None


class Lifecycle(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self._savepoint = transaction.atomic()
        self._savepoint.__enter__()
        scheme = SchemeFactory(code="property_scheme", payment_plan=PLAN)
        call = CallFactory(scheme=scheme)
        registry = RegistryFactory()
        self.users = {
            "applicant": member_of(registry),
            "stranger": member_of(RegistryFactory()),
            "reviewer": reviewer_for(scheme),
            "secretariat": UserFactory(is_secretariat=True),
            "decider": UserFactory(is_decider=True),
        }
        for _ in range(3):
            ApplicationFactory(call=call, registry=registry)
        self.ct = {model: ContentType.objects.get_for_model(model).pk for model in TRACKED}
        self.model_of = {pk: model for model, pk in self.ct.items()}
        self.states = self._states()
        self.changes: Counter = Counter()
        self.outcomes: Counter = Counter()
        # Through the services (so audited): one application waits for the decision, one is granted already.
        _draft, waiting, granted = Application.objects.order_by("pk")
        self._recommend(waiting)
        self._recommend(granted)
        decider = self.users["decider"]
        grant = lambda: grants.grant(granted, by=decider, granted_amount_nok=Decimal("33333.33"))  # noqa: E731
        assert self._do("grant", decider, grant, Application.objects.get(pk=granted.pk))

    def _recommend(self, app):
        """Submitted, reviewed, assessed and recommended, each step through its service."""
        u = self.users

        def fresh():
            return Application.objects.get(pk=app.pk)

        scores = {c.code: 5 for c in app.call.criteria.all()}
        steps = [
            ("submit", u["applicant"], lambda: grants.submit_application(fresh(), by=u["applicant"]), app),
            ("send_to_review", u["secretariat"], lambda: grants.send_to_review(fresh(), by=u["secretariat"]), app),
            (
                "assign",
                u["secretariat"],
                lambda: reviews.assign_reviewer(fresh(), by=u["secretariat"], reviewer=u["reviewer"]),
                None,
            ),
            (
                "save_review",
                u["reviewer"],
                lambda: reviews.save_review(fresh(), by=u["reviewer"], scores=scores, comment="Ok."),
                None,
            ),
            ("submit_review", u["reviewer"], lambda: reviews.submit_review(fresh(), by=u["reviewer"]), None),
            (
                "complete_assessment",
                u["secretariat"],
                lambda: grants.complete_assessment(fresh(), by=u["secretariat"]),
                app,
            ),
            (
                "recommend",
                u["secretariat"],
                lambda: grants.recommend(fresh(), by=u["secretariat"], proposed_amount_nok=Decimal("90000")),
                app,
            ),
        ]
        for name, by, action, obj in steps:
            assert self._do(name, by, action, obj), name

    def teardown(self):
        transaction.set_rollback(True)
        self._savepoint.__exit__(None, None, None)

    # ------------------------------------------------------------ observing

    def _states(self):
        return {
            (self.ct[model], pk): state for model in TRACKED for pk, state in model.objects.values_list("pk", "state")
        }

    def _snapshot(self):
        money = list(Project.objects.order_by("pk").values_list("pk", "unspent_nok", "end_date"))
        return (self._states(), AuditEntry.objects.count(), Expenditure.objects.count(), money)

    def _do(self, name, by, action, obj=None):
        """Call a service; a DomainError must leave everything as it was, a success must be audited on `obj`."""
        before = self._snapshot()
        last_entry = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        try:
            action()
        except DomainError:
            assert self._snapshot() == before, f"refused {name} changed something"
            self.outcomes[(name, "refused")] += 1
            return False
        self.outcomes[(name, "ok")] += 1
        after = self._states()
        for key, state in after.items():
            if key not in self.states:
                assert state == INITIAL[self.model_of[key[0]]], f"{key} was created in {state}"
            elif self.states[key] != state:
                self.changes[key] += 1
        if obj is not None:
            key = (self.ct[type(obj)], obj.pk)
            entry = AuditEntry.objects.filter(pk__gt=last_entry, content_type_id=key[0], object_id=obj.pk).first()
            assert entry is not None, f"{name} left no audit entry"
            assert (entry.action, entry.actor_id, entry.source, entry.target) == (
                f"{type(obj)._meta.app_label}.{type(obj)._meta.model_name}.{name}",
                by.pk,
                self.states[key],
                after[key],
            )
        self.states = after
        return True

    def _by(self, who, name):
        return self.users[RIGHT.get(name, "secretariat") if who == "right" else who]

    @staticmethod
    def _name(obj, i, name, actions):
        """`name`, or for NEXT one of the transitions the object's state allows now (any name when none)."""
        if name != NEXT:
            return name
        allowed = sorted(
            t.name for t in obj.get_available_state_transitions() if t.name in actions and t.name not in ENDINGS
        )
        return (allowed or sorted(actions))[i % len(allowed or actions)]

    # ------------------------------------------------------------ applications

    @action(
        weight=3,
        i=pick,
        who=role,
        text=comment,
        name=st.sampled_from([NEXT] * 8 + sorted(grants.APPLICATION_ACTIONS)),
        amount=st.sampled_from(AMOUNTS),
    )
    def application_action(self, i, who, text, name, amount):
        app = _nth(Application, i)
        name = self._name(app, i, name, grants.APPLICATION_ACTIONS)
        by = self._by(who, name)
        service = grants.APPLICATION_ACTIONS[name]
        if name == "grant":
            call = lambda: service(app, by=by, granted_amount_nok=amount, comment=text)  # noqa: E731
        elif name == "recommend":
            call = lambda: service(app, by=by, proposed_amount_nok=amount, comment=text)  # noqa: E731
        else:
            call = lambda: service(app, by=by, comment=text)  # noqa: E731
        self._do(name, by, call, app)

    # ------------------------------------------------------------ reviews

    @action(i=pick, who=role, name=st.sampled_from(["assign", "save_review", "submit_review", "reopen"]))
    def review_action(self, i, who, name):
        app, by = _nth(Application, i), self._by(who, name)
        review = Review.objects.filter(application=app, reviewer=self.users["reviewer"]).first()
        if name == "assign":
            self._do(name, by, lambda: reviews.assign_reviewer(app, by=by, reviewer=self.users["reviewer"]))
        elif name == "save_review":
            scores = {c.code: 5 for c in app.call.criteria.all()}
            self._do(name, by, lambda: reviews.save_review(app, by=by, scores=scores, comment="Solid."))
        elif name == "submit_review":
            mine = Review.objects.filter(application=app, reviewer=by).first()
            self._do("submit", by, lambda: reviews.submit_review(app, by=by), mine)
        elif review is not None:
            self._do("reopen", by, lambda: reviews.reopen_review(review, by=by, comment="Se igjen."), review)

    # ------------------------------------------------------------ projects

    @action(
        needs=Project,
        weight=4,
        i=pick,
        who=role,
        text=comment,
        name=st.sampled_from(PROJECT_STEPS),
    )
    def project_action(self, i, who, text, name):
        project = _nth(Project, i)
        name = self._name(project, i, name, projects.PROJECT_ACTIONS)
        by = self._by(who, "submit_change" if name in ("extension", "milestones") else name)
        if name == "save_final_report":
            sections = {"summary": "Ferdig.", "results": "Bedre data."}
            self._do(name, by, lambda: projects.save_final_report(project, by=by, sections=sections))
        elif name in ("extension", "milestones"):
            if name == "extension":
                proposal = {"end_date": "2028-06-30"}
            else:
                proposal = {"milestones": [{"id": None, "title": "Ny milepæl", "due_date": "2027-09-30"}]}
            self._do(
                "submit_change",
                by,
                lambda: changes.submit_change(project, by=by, kind=name, proposal=proposal, reason="Forsinket."),
            )
        else:
            self._do(name, by, lambda: projects.PROJECT_ACTIONS[name](project, by=by, comment=text), project)

    @action(
        needs=Milestone,
        weight=2,
        i=pick,
        who=role,
        text=comment,
        name=st.sampled_from([NEXT, NEXT, "report", "approve", "request_revision"]),
    )
    def milestone_action(self, i, who, text, name):
        milestone = _nth(Milestone, i)
        name = self._name(milestone, i, name, ("report", *projects.MILESTONE_ACTIONS))
        by = self._by(who, name)
        if name == "report":
            call = lambda: projects.report_milestone(milestone, by=by, text=text)  # noqa: E731
        else:
            call = lambda: projects.MILESTONE_ACTIONS[name](milestone, by=by, comment=text)  # noqa: E731
        self._do(name, by, call, milestone)

    @action(
        needs=ProgressReport,
        weight=2,
        i=pick,
        who=role,
        text=comment,
        spent=st.sampled_from(["0", "20000.00", "99999.99"]),
        name=st.sampled_from([NEXT, NEXT, "save", "save", *sorted(progress.PROGRESS_ACTIONS)]),
    )
    def progress_action(self, i, who, text, spent, name):
        report = _nth(ProgressReport, i)
        name = self._name(report, i, name, progress.PROGRESS_ACTIONS)
        by = self._by(who, "save_progress_report" if name == "save" else name)
        if name == "save":
            spending = [{"category": "salary", "year": 2027, "amount_nok": spent}]
            self._do(
                "save_progress_report",
                by,
                lambda: progress.save_progress_report(report, by=by, summary="Godt i gang.", spending=spending),
            )
        else:
            self._do(name, by, lambda: progress.PROGRESS_ACTIONS[name](report, by=by, comment=text), report)

    @action(needs=ChangeRequest, i=pick, who=role, text=comment, name=st.sampled_from(sorted(changes.CHANGE_ACTIONS)))
    def change_action(self, i, who, text, name):
        change = _nth(ChangeRequest, i)
        by = self.users["applicant" if name == "withdraw" else "secretariat"] if who == "right" else self.users[who]
        self._do(name, by, lambda: changes.CHANGE_ACTIONS[name](change, by=by, comment=text), change)

    # ------------------------------------------------------------ payments

    @action(
        needs=Payment,
        weight=2,
        i=pick,
        who=role,
        text=comment,
        name=st.sampled_from([NEXT, NEXT, "approve", "pay", "cancel"]),
    )
    def payment_action(self, i, who, text, name):
        payment = _nth(Payment, i)
        name = self._name(payment, i, name, finance.PAYMENT_ACTIONS)
        by = self._by(who, name)
        if name == "pay":
            call = lambda: finance.mark_paid(payment, by=by, reference="BILAG-1", paid_on=date(2027, 1, 15))  # noqa: E731
        else:
            call = lambda: finance.PAYMENT_ACTIONS[name](payment, by=by, comment=text)  # noqa: E731
        self._do(name, by, call, payment)

    @rule(data=st.data())
    def act(self, data):
        kinds = [
            name
            for name, (_method, needs, weight, _strategies) in ACTIONS.items()
            if needs is None or needs.objects.exists()
            for _ in range(weight)
        ]
        method, _needs, _weight, strategies = ACTIONS[data.draw(st.sampled_from(kinds), label="kind")]
        method(self, **{key: data.draw(strategy, label=key) for key, strategy in strategies.items()})

    # ------------------------------------------------------------ invariants

    @invariant()
    def histories_are_chains(self):
        entries = defaultdict(list)
        rows = AuditEntry.objects.exclude(target="").filter(content_type_id__in=self.model_of).order_by("pk")
        for ct, pk, source, target in rows.values_list("content_type_id", "object_id", "source", "target"):
            entries[(ct, pk)].append((source, target))
        for key, state in self.states.items():
            initial = INITIAL[self.model_of[key[0]]]
            chain = entries.get(key, [])
            expected_source = chain[0][0] if chain and chain[0][0] == "" else initial
            for source, target in chain:
                assert source == expected_source, (key, chain)
                expected_source = target
            assert expected_source == state, (key, chain, state)
        assert set(entries) <= set(self.states), "audit entries of objects that do not exist"

    @invariant()
    def every_state_change_is_audited_once(self):
        rows = AuditEntry.objects.exclude(source="").exclude(target="").filter(content_type_id__in=self.model_of)
        audited = Counter(rows.values_list("content_type_id", "object_id"))
        assert audited == +self.changes

    @invariant()
    def money_is_neither_created_nor_lost(self):
        for project in Project.objects.select_related("application"):
            payments = project.payments.all()
            total = payments.aggregate(s=Sum("amount_nok"))["s"] or ZERO
            by_state = dict(payments.values_list("state").annotate(s=Sum("amount_nok")))
            paid = by_state.get("paid", ZERO)
            cancelled = by_state.get("cancelled", ZERO)
            assert project.granted_amount_nok == project.application.granted_amount_nok
            assert total == project.granted_amount_nok, (total, project.granted_amount_nok)
            assert total - cancelled == sum((v for k, v in by_state.items() if k != "cancelled"), ZERO)
            assert ZERO <= paid <= project.granted_amount_nok
            spent = project.expenditures.aggregate(s=Sum("amount_nok"))["s"] or ZERO
            if project.state in ("closed", "terminated"):
                assert project.unspent_nok == max(paid - spent, ZERO), (project.unspent_nok, paid, spent)
                assert not payments.filter(state="scheduled").exists()
            else:
                assert project.unspent_nok is None
            if project.state == "terminated":
                assert not payments.filter(state__in=["scheduled", "due", "approved"]).exists()
        granted = Application.objects.filter(state="granted").count()
        assert Project.objects.count() == granted


def test_random_sequences_of_actions_keep_every_invariant():
    run_state_machine_as_test(
        Lifecycle, settings=settings(max_examples=20, stateful_step_count=30, deadline=None, database=None)
    )
