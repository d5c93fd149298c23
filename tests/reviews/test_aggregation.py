"""Aggregation and ranking as pure functions (reviews.aggregation): exact Decimal results, no database.

Values are kept at 28 significant digits and rounded to 4 places, half to even, only where shown or compared; the
literals below are those 28-digit results (e.g. sqrt(3/2) = 1.22474487139158904909864203735... → ...037)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from reviews.aggregation import (
    Aggregate,
    RankingRow,
    ReviewScore,
    aggregate,
    is_disagreement,
    mean,
    median,
    normalised_scores,
    population_sd,
    rank,
    rounded,
    spread,
    weighted_mean,
    z_scores,
)

D = Decimal
SQRT_3_2 = D("1.224744871391589049098642037")  # sqrt(3/2), what 2 / sqrt(8/3) is


def ds(*values):
    return [D(v) for v in values]


# ---------------------------------------------------------------- a review's score


def test_a_reviews_score_is_the_weighted_mean_of_its_criteria():
    assert weighted_mean([(6, D("2.00")), (4, D("1.00")), (5, D("1.00"))]) == D("5.25")


def test_a_reviews_score_keeps_28_significant_digits():
    assert weighted_mean([(5, D(1)), (4, D(1)), (4, D(1))]) == D("4.333333333333333333333333333")


def test_a_review_without_weight_has_no_score():
    assert (weighted_mean([]), weighted_mean([(5, D(0))])) == (None, None)


# ---------------------------------------------------------------- plain statistics


def test_mean_median_and_spread_of_an_odd_count():
    values = ds("5.25", "3", "4.5")

    assert (mean(values), median(values), spread(values)) == (D("4.25"), D("4.5"), D("2.25"))


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    assert median(ds("7", "1", "4", "2")) == D("3")


def test_the_population_standard_deviation_divides_by_n():
    assert population_sd(ds(2, 4, 4, 4, 5, 5, 7, 9)) == D("2")


def test_the_population_standard_deviation_is_a_28_digit_square_root():
    assert population_sd(ds(1, 2, 3)) == D("0.8164965809277260327324280249")  # sqrt(2/3)


def test_z_scores_are_distances_from_the_mean_in_standard_deviations():
    assert z_scores(ds(2, 4, 4, 4, 5, 5, 7, 9)) == ds("-1.5", "-0.5", "-0.5", "-0.5", 0, 0, 1, 2)


def test_z_scores_are_zero_when_the_deviation_is_zero():
    assert (z_scores(ds(5, 5, 5)), z_scores(ds(4))) == ([0, 0, 0], [0])


# ---------------------------------------------------------------- the rounding rule


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0.12345", "0.1234"),  # half to even: 4 stays
        ("0.12355", "0.1236"),  # half to even: 5 goes up to 6
        ("0.123451", "0.1235"),  # more than half
        ("2.99995", "3.0000"),
        ("-0.00004", "0.0000"),  # no negative zero
        ("5", "5.0000"),
    ],
)
def test_values_are_shown_to_four_places_half_to_even(value, shown):
    assert str(rounded(D(value))) == shown


def test_nothing_rounds_to_nothing():
    assert rounded(None) is None


@pytest.mark.parametrize(
    ("gap", "flagged"),
    [("3", True), ("4.5", True), ("2.99995", True), ("2.99985", False), ("2.9999", False), ("0", False)],
)
def test_a_spread_of_three_or_more_as_shown_is_a_disagreement(gap, flagged):
    assert is_disagreement(D(gap)) is flagged


# ---------------------------------------------------------------- per application


def test_an_application_aggregates_its_reviews():
    reviews = [ReviewScore(1, 10, D("6")), ReviewScore(1, 11, D("2.5")), ReviewScore(1, 12, D("4"))]

    assert aggregate(reviews) == {
        1: Aggregate(
            reviews=3,
            weighted_mean=D("4.166666666666666666666666667"),
            median=D("4"),
            spread=D("3.5"),
            disagreement=True,
            normalised=D(0),
        )
    }


def test_harsh_and_lenient_reviewers_of_different_subsets_become_comparable():
    # The harsh reviewer (10) read P, R, S; the lenient one (11) read Q, T, U. P and Q both got a 5: the harsh
    # reviewer's best, the lenient reviewer's worst.
    p, q, r, s, t, u = 1, 2, 3, 4, 5, 6
    reviews = [
        ReviewScore(p, 10, D(5)),
        ReviewScore(r, 10, D(3)),
        ReviewScore(s, 10, D(1)),
        ReviewScore(q, 11, D(5)),
        ReviewScore(t, 11, D(7)),
        ReviewScore(u, 11, D(6)),
    ]

    normalised = normalised_scores(reviews)

    assert normalised == {p: SQRT_3_2, r: D(0), s: -SQRT_3_2, q: -SQRT_3_2, t: SQRT_3_2, u: D(0)}


def test_an_applications_normalised_score_is_the_mean_of_its_reviews_z_scores():
    # Reviewer 10: 6 on A, 2 on B (mean 4, sd 2: +1, -1). Reviewer 11: 5 on A, 5 on B, 2 on C (mean 4, sd sqrt 2).
    reviews = [
        ReviewScore(1, 10, D(6)),
        ReviewScore(2, 10, D(2)),
        ReviewScore(1, 11, D(5)),
        ReviewScore(2, 11, D(5)),
        ReviewScore(3, 11, D(2)),
    ]
    # 1 / sqrt(2) is 0.70710678118654752440084436210...; in 28 digits the root rounds down, its inverse up.
    z_11 = D("0.7071067811865475244008443622")

    normalised = normalised_scores(reviews)

    assert normalised == {
        1: D("0.853553390593273762200422181"),  # (1 + z_11) / 2, the sum rounded to 28 digits
        2: D("-0.1464466094067262377995778189"),  # (-1 + z_11) / 2
        3: D("-1.414213562373095048801688724"),  # -2 / sqrt(2)
    }
    assert z_scores(ds(5, 5, 2))[0] == z_11
    assert [rounded(normalised[a]) for a in (1, 2, 3)] == [D("0.8536"), D("-0.1464"), D("-1.4142")]


def test_a_reviewer_with_one_review_normalises_it_to_zero():
    assert normalised_scores([ReviewScore(1, 10, D(7))]) == {1: D(0)}


# ---------------------------------------------------------------- the ranked list


def row(
    pk, mean=None, amount="100000", *, first_time=True, normalised=None, consensus=None, proposed=None, submitted=None
):
    return RankingRow(
        application_id=pk,
        title=f"A{pk}",
        registry_id=pk,
        state="assessed",
        submitted_at=None if submitted is None else datetime(2026, 9, 1, submitted, tzinfo=UTC),
        requested_amount_nok=D(amount),
        proposed_amount_nok=None if proposed is None else D(proposed),
        first_time=first_time,
        weighted_mean=None if mean is None else D(mean),
        normalised_score=None if normalised is None else D(normalised),
        consensus_score=None if consensus is None else D(consensus),
        reviews=0 if mean is None else 1,
    )


def order(rows):
    return [(r.application_id, r.rank) for r in rows]


def test_the_ranking_is_by_weighted_mean_highest_first():
    ranked = rank([row(1, "4.5"), row(2, "6.25"), row(3, "5")], D("1000000"))

    assert order(ranked) == [(2, 1), (3, 2), (1, 3)]


def test_the_consensus_score_overrides_the_mean():
    rows = [row(1, "6.5"), row(2, "4.0", consensus="6.75"), row(3, "5.0", consensus="3.00")]

    ranked = rank(rows, D("1000000"))

    assert order(ranked) == [(2, 1), (1, 2), (3, 3)]


def test_a_consensus_score_ranks_an_application_without_counted_reviews():
    ranked = rank([row(1, "5.0", normalised="-0.5"), row(2, consensus="5.00"), row(3)], D("1000000"))

    # Tied at 5: no normalised score counts as 0, above -0.5; the unscored application comes last.
    assert order(ranked) == [(2, 1), (1, 2), (3, None)]


def test_ties_go_to_the_higher_normalised_score_before_the_earlier_application():
    rows = [row(1, "5.0", normalised="-1.2247"), row(2, "5.0", normalised="1.2247"), row(3, "5.5")]

    ranked = rank(rows, D("1000000"))

    assert order(ranked) == [(3, 1), (2, 2), (1, 3)]


def test_normalised_scores_equal_to_four_places_are_a_tie():
    rows = [row(2, "5.0", normalised="0.12345"), row(1, "5.0", normalised="0.12344")]

    ranked = rank(rows, D("1000000"))

    assert order(ranked) == [(1, 1), (2, 2)]  # both 0.1234: the earlier application first


def test_means_equal_to_four_places_are_a_tie():
    rows = [row(2, "5.00004", normalised="1"), row(1, "5.00001", normalised="0")]

    ranked = rank(rows, D("1000000"))

    assert order(ranked) == [(2, 1), (1, 2)]  # both 5.0000: the higher normalised score first


def test_first_time_applicants_first_on_a_full_tie_under_the_first_time_rule():
    rows = [row(1, "5.0", first_time=False), row(2, "5.0", first_time=True), row(3, "5.0", first_time=False)]

    ranked = rank(rows, D("1000000"), "first_time_first")

    assert order(ranked) == [(2, 1), (1, 2), (3, 3)]


def test_without_a_tie_break_rule_the_earlier_application_wins_a_full_tie():
    rows = [row(3, "5.0", first_time=True), row(1, "5.0", first_time=False), row(2, "5.0", first_time=True)]

    ranked = rank(rows, D("1000000"), "none")

    assert order(ranked) == [(1, 1), (2, 2), (3, 3)]


def test_the_earlier_application_is_the_one_submitted_earlier_then_the_lower_id():
    rows = [row(1, "5.0"), row(2, "5.0", submitted=14), row(3, "5.0", submitted=9), row(4, "5.0", submitted=9)]

    ranked = rank(rows, D("1000000"), "none")

    # 3 and 4 were submitted at 09:00, 2 at 14:00; 1 has no submission time (e.g. imported) and comes last.
    assert order(ranked) == [(3, 1), (4, 2), (2, 3), (1, 4)]


def test_under_the_first_time_rule_the_earlier_submitted_application_wins_among_first_timers():
    rows = [row(1, "5.0", first_time=False, submitted=8), row(2, "5.0", submitted=12), row(3, "5.0", submitted=10)]

    ranked = rank(rows, D("1000000"), "first_time_first")

    assert order(ranked) == [(3, 1), (2, 2), (1, 3)]


def test_the_first_time_rule_comes_after_the_normalised_score():
    rows = [row(1, "5.0", first_time=True, normalised="-0.5"), row(2, "5.0", first_time=False, normalised="0.5")]

    ranked = rank(rows, D("1000000"), "first_time_first")

    assert order(ranked) == [(2, 1), (1, 2)]


def test_a_running_total_exactly_at_the_budget_is_within_it():
    rows = [row(1, "6", "100000.00"), row(2, "5", "150000.00"), row(3, "4", "50000.00")]

    ranked = rank(rows, D("300000.00"))

    assert [(r.application_id, r.cumulative_nok, r.within_budget) for r in ranked] == [
        (1, D("100000.00"), True),
        (2, D("250000.00"), True),
        (3, D("300000.00"), True),
    ]


def test_one_krone_over_the_budget_is_not_within_it():
    rows = [row(1, "6", "100000.00"), row(2, "5", "150000.00"), row(3, "4", "50001.00")]

    ranked = rank(rows, D("300000.00"))

    assert [(r.application_id, r.cumulative_nok, r.within_budget) for r in ranked] == [
        (1, D("100000.00"), True),
        (2, D("250000.00"), True),
        (3, D("300001.00"), False),
    ]


def test_the_proposed_amount_counts_against_the_budget_once_made():
    rows = [row(1, "6", "100000.00", proposed="80000.00"), row(2, "5", "120000.00")]

    ranked = rank(rows, D("200000.00"))

    assert [(r.cumulative_nok, r.within_budget) for r in ranked] == [(D("80000.00"), True), (D("200000.00"), True)]


def test_unscored_applications_come_last_without_rank_or_running_total():
    rows = [row(4), row(1, "3"), row(2)]

    ranked = rank(rows, D("1000000"))

    assert [(r.application_id, r.rank, r.cumulative_nok, r.within_budget) for r in ranked] == [
        (1, 1, D("100000"), True),
        (2, None, None, False),
        (4, None, None, False),
    ]


def test_a_hidden_row_keeps_its_review_count_and_nothing_else():
    ranked = rank([row(1, "6", consensus="6.5", normalised="1")], D("1000000"))

    ranked[0].hide_scores()

    r = ranked[0]
    assert (r.reviews, r.rank, r.cumulative_nok, r.within_budget, r.score) == (1, None, None, False, None)
    assert r.shown == dict.fromkeys(("weighted_mean", "median", "spread", "normalised_score", "consensus_score"))
