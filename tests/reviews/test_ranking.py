"""A call's ranking from the database (reviews.selectors.call_ranking, ranking_for): which reviews count, the
normalised tie-break, the grant history behind the first-time rule, consensus, and what each viewer sees."""

from datetime import timedelta
from decimal import Decimal

import pytest

from registries.models import Membership
from reviews.models import Conflict, Consensus, ReviewRound, Score
from reviews.selectors import call_ranking, ranking_for
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ExpertGroupMemberFactory,
    RegistryFactory,
    ReviewFactory,
    SchemeFactory,
    UserFactory,
    reviewer_for,
)

pytestmark = pytest.mark.django_db

D = Decimal
SQRT_3_2 = D("1.224744871391589049098642037")


def review(application, reviewer=None, value=5, state="submitted", **scores):
    """A review scoring every criterion `value` (or per criterion code), so its score is `value`."""
    kwargs = {"reviewer": reviewer} if reviewer is not None else {}
    made = ReviewFactory(application=application, state=state, scored=False, **kwargs)
    for criterion in application.call.criteria.all():
        Score.objects.create(review=made, criterion=criterion, value=scores.get(criterion.code, value))
    return made


def in_review(call, amount="90000", **kwargs):
    return ApplicationFactory(call=call, state="in_review", requested_amount_nok=D(amount), **kwargs)


def fields(rows, *names):
    return [tuple(getattr(r, n) for n in names) for r in rows]


# ---------------------------------------------------------------- which reviews count


def test_weighted_scores_of_criteria_make_the_mean_median_spread_and_count():
    call = CallFactory(budget_nok=D("500000"))
    app = in_review(call)
    review(app, methodology=6, feasibility=4, value=5)  # (12 + 4 + 5) / 4 = 5.25
    review(app, methodology=3, feasibility=2, value=1)  # (6 + 2 + 1) / 4 = 2.25
    review(app, methodology=4, feasibility=4, value=4)
    review(app, state="draft", value=7)  # a draft never counts

    [row] = call_ranking(call)

    assert fields([row], "reviews", "weighted_mean", "median", "spread", "disagreement") == [
        (3, D("3.833333333333333333333333333"), D("4"), D("3"), True)
    ]


def test_a_conflicted_reviewers_scores_count_nowhere():
    call = CallFactory()
    a, b = in_review(call), in_review(call)
    harsh = reviewer_for(call.scheme)
    review(a, harsh, 5)
    review(b, harsh, 1)
    Conflict.objects.create(application=b, reviewer=harsh, reason="Kollega.")
    participant = RegistryFactory()
    member = reviewer_for(call.scheme)
    Membership.objects.create(user=member, registry=participant)
    b.participating_registries.add(participant)
    review(b, member, 7)

    rows = {r.application_id: r for r in call_ranking(call)}

    # Without b, the harsh reviewer has one counted review: its z-score is 0, not (5 - 3) / 2 = 1.
    assert fields([rows[a.pk], rows[b.pk]], "reviews", "weighted_mean", "normalised_score") == [
        (1, D(5), D(0)),
        (0, None, None),
    ]


def test_a_waived_conflict_counts_again():
    call = CallFactory()
    app = in_review(call)
    made = review(app, value=6)
    Conflict.objects.create(application=app, reviewer=made.reviewer, reason="Kollega.", waived_at=made.updated_at)

    [row] = call_ranking(call)

    assert (row.reviews, row.weighted_mean) == (1, D(6))


def test_only_applications_that_reached_review_are_ranked():
    call = CallFactory()
    ranked = [in_review(call), ApplicationFactory(call=call, state="granted")]
    ApplicationFactory(call=call, state="submitted")
    ApplicationFactory(call=call, state="withdrawn", submitted_at=None)

    assert sorted(r.application_id for r in call_ranking(call)) == sorted(a.pk for a in ranked)


# ---------------------------------------------------------------- order


def test_normalisation_puts_the_harsh_reviewers_best_above_the_lenient_reviewers_worst():
    call = CallFactory(budget_nok=D("1000000"))
    lenient_worst = in_review(call)  # created first: the earlier application would win the tie
    harsh_best = in_review(call)
    harsh_mid, harsh_low, lenient_top, lenient_mid = in_review(call), in_review(call), in_review(call), in_review(call)
    harsh, lenient = reviewer_for(call.scheme), reviewer_for(call.scheme)
    for app, score in ((harsh_best, 5), (harsh_mid, 3), (harsh_low, 1)):
        review(app, harsh, score)
    for app, score in ((lenient_worst, 5), (lenient_top, 7), (lenient_mid, 6)):
        review(app, lenient, score)

    ranking = call_ranking(call)

    assert fields(ranking, "application_id", "rank", "weighted_mean", "normalised_score") == [
        (lenient_top.pk, 1, D(7), SQRT_3_2),
        (lenient_mid.pk, 2, D(6), D(0)),
        (harsh_best.pk, 3, D(5), SQRT_3_2),
        (lenient_worst.pk, 4, D(5), -SQRT_3_2),
        (harsh_mid.pk, 5, D(3), D(0)),
        (harsh_low.pk, 6, D(1), -SQRT_3_2),
    ]


def test_first_time_applicants_win_a_full_tie_under_the_schemes_rule():
    scheme = SchemeFactory(tie_break="first_time_first")
    earlier = CallFactory(scheme=scheme, year=2024)
    earlier.closes_at = earlier.opens_at + timedelta(days=1)
    earlier.save()
    call = CallFactory(scheme=scheme, year=2026)
    returning, newcomer = RegistryFactory(), RegistryFactory()
    ApplicationFactory(call=earlier, registry=returning, state="granted", granted_amount_nok=D(90000))
    first, second = in_review(call, registry=returning), in_review(call, registry=newcomer)
    review(first, value=5)
    review(second, value=5)

    ranking = call_ranking(call)

    assert fields(ranking, "application_id", "rank", "first_time") == [(second.pk, 1, True), (first.pk, 2, False)]


def test_without_the_rule_the_earlier_submitted_application_wins_a_full_tie():
    scheme = SchemeFactory(tie_break="none")
    earlier = CallFactory(scheme=scheme, year=2024)
    earlier.closes_at = earlier.opens_at + timedelta(days=1)
    earlier.save()
    call = CallFactory(scheme=scheme, year=2026)
    returning = RegistryFactory()
    ApplicationFactory(call=earlier, registry=returning, state="granted", granted_amount_nok=D(90000))
    handed_in = call.opens_at + timedelta(days=1)
    first = in_review(call, registry=returning, submitted_at=handed_in)
    late = in_review(call, submitted_at=handed_in + timedelta(hours=1))
    unsubmitted = in_review(call)  # e.g. imported without a submission time: after those with one
    for app in (unsubmitted, late, first):
        review(app, value=5)

    ranking = call_ranking(call)

    assert fields(ranking, "application_id", "rank", "first_time") == [
        (first.pk, 1, False),
        (late.pk, 2, True),
        (unsubmitted.pk, 3, True),
    ]


def test_only_an_earlier_grant_in_the_same_scheme_makes_a_returning_applicant():
    scheme = SchemeFactory(code="data_quality")
    other_scheme = SchemeFactory(code="quality_improvement", name="Kvalitetsforbedring")
    call = CallFactory(scheme=scheme, year=2026)
    later = CallFactory(scheme=scheme, year=2027)
    later.opens_at, later.closes_at = call.closes_at, call.closes_at + timedelta(days=30)
    later.save()
    elsewhere = CallFactory(scheme=other_scheme, year=2020)
    elsewhere.closes_at = elsewhere.opens_at + timedelta(days=1)
    elsewhere.save()
    registries = RegistryFactory.create_batch(3)
    ApplicationFactory(call=later, registry=registries[0], state="granted", granted_amount_nok=D(1))
    ApplicationFactory(call=elsewhere, registry=registries[1], state="granted", granted_amount_nok=D(1))
    ApplicationFactory(call=call, registry=registries[2], state="granted", granted_amount_nok=D(1))
    for registry in registries:
        in_review(call, registry=registry)

    ranking = call_ranking(call)

    assert sorted(r.first_time for r in ranking) == [True, True, True, True]


def test_the_consensus_score_orders_the_row_and_the_budget_follows():
    call = CallFactory(budget_nok=D("180000.00"))
    high, low = in_review(call, "100000.00"), in_review(call, "80000.00")
    review(high, value=6)
    review(low, value=4)
    Consensus.objects.create(application=low, score=D("6.50"), assessment="Enige om at dette er best.")

    ranking = call_ranking(call)

    assert fields(ranking, "application_id", "rank", "consensus_score", "cumulative_nok", "within_budget") == [
        (low.pk, 1, D("6.50"), D("80000.00"), True),
        (high.pk, 2, None, D("180000.00"), True),
    ]
    assert ranking[0].consensus_assessment == "Enige om at dette er best."


def test_the_budget_cut_counts_proposed_amounts_and_one_krone_over_is_out():
    call = CallFactory(budget_nok=D("180000.00"))
    a = ApplicationFactory(call=call, state="recommended", proposed_amount_nok=D("85000.00"))
    b = in_review(call, "95001.00")
    review(a, value=6)
    review(b, value=5)

    ranking = call_ranking(call)

    assert fields(ranking, "application_id", "amount_nok", "cumulative_nok", "within_budget") == [
        (a.pk, D("85000.00"), D("85000.00"), True),
        (b.pk, D("95001.00"), D("180001.00"), False),
    ]


# ---------------------------------------------------------------- what each viewer sees


@pytest.fixture
def discussed():
    """A call in discussion with three scored applications; a reviewer conflicted with the middle one."""
    call = CallFactory(budget_nok=D("500000"))
    ReviewRound.objects.create(call=call, phase="discussion")
    apps = [in_review(call) for _ in range(3)]
    for app, score in zip(apps, (6, 5, 4), strict=True):
        review(app, value=score)
    conflicted = reviewer_for(call.scheme)
    Conflict.objects.create(application=apps[1], reviewer=conflicted, reason="Medforfatter.")
    return call, apps, conflicted


def test_a_member_never_sees_the_row_of_an_application_they_are_conflicted_with(discussed):
    call, apps, conflicted = discussed

    rows = ranking_for(call, conflicted)

    assert fields(rows, "application_id", "rank") == [(apps[0].pk, 1), (apps[2].pk, 3)]


def test_a_member_of_the_applicant_registry_never_sees_its_row(discussed):
    call, apps, _conflicted = discussed
    member = reviewer_for(call.scheme)
    Membership.objects.create(user=member, registry=apps[2].registry)

    rows = ranking_for(call, member)

    assert fields(rows, "application_id", "rank") == [(apps[0].pk, 1), (apps[1].pk, 2)]


def test_the_secretariat_sees_every_row(discussed):
    call, apps, _conflicted = discussed

    rows = ranking_for(call, UserFactory(is_secretariat=True))

    assert fields(rows, "application_id", "rank") == [(apps[0].pk, 1), (apps[1].pk, 2), (apps[2].pk, 3)]


def test_in_the_independent_phase_members_see_no_scores(discussed):
    call, apps, _conflicted = discussed
    ReviewRound.objects.filter(call=call).update(phase="independent")
    chair = ExpertGroupMemberFactory(group=call.scheme.expert_group, is_chair=True).user

    rows = ranking_for(call, chair)

    assert fields(rows, "application_id", "reviews", "rank", "weighted_mean", "normalised_score", "cumulative_nok") == [
        (apps[0].pk, 1, None, None, None, None),
        (apps[1].pk, 1, None, None, None, None),
        (apps[2].pk, 1, None, None, None, None),
    ]


def test_in_the_independent_phase_the_secretariat_sees_the_scores(discussed):
    call, apps, _conflicted = discussed
    ReviewRound.objects.filter(call=call).update(phase="independent")

    rows = ranking_for(call, UserFactory(is_secretariat=True))

    assert fields(rows, "application_id", "rank", "weighted_mean") == [
        (apps[0].pk, 1, D(6)),
        (apps[1].pk, 2, D(5)),
        (apps[2].pk, 3, D(4)),
    ]
