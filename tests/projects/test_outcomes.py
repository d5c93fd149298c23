"""projects.outcomes.evaluate on constructed cases: exact Decimals, no database."""

import json
from decimal import Decimal

from projects.outcomes import (
    NO_BASELINE,
    NO_FOLLOWUP,
    NO_START_YEAR,
    Cell,
    Target,
    UnitOutcome,
    evaluate,
    from_json,
    to_json,
)
from registries.models import Indicator
from registries.selectors import Sums, Tree, nested_units, unit_value

D = Decimal
A, B = 974000001, 974000002  # two funded hospitals
NATION = 1
TREE = Tree({}, {})


def indicator(direction=1, green="0.6", yellow="0.45", **kwargs):
    return Indicator(
        id="ind1",
        title="Andel operert innen 48 timer",
        direction=direction,
        level_green=None if green is None else D(green),
        level_yellow=None if yellow is None else D(yellow),
        measure_unit="%",
        min_denominator=5,
        **kwargs,
    )


def values(ind, rows):
    """{year: {orgnr: (numerator, denominator)}} → {year: {orgnr: UnitValue}}."""
    return {
        year: {org: unit_value(ind, year, org, Sums(D(n), D(d)), TREE) for org, (n, d) in units.items()}
        for year, units in rows.items()
    }


def improving(ind):
    """Funded 40/100 → 70/100 (A 10/50 → 30/50, B 30/50 → 40/50); the nation 500/1000 → 550/1000."""
    return values(
        ind,
        {
            2021: {A: (10, 50), B: (30, 50), NATION: (500, 1000)},
            2023: {A: (30, 50), B: (40, 50), NATION: (550, 1000)},
        },
    )


def run(ind, data, target=None, units=(A, B), start=2022, end=2023, **kwargs):
    return evaluate(ind, target or Target(), data, units=list(units), start_year=start, end_year=end, **kwargs)


def cell(value, level, suppressed=False):
    return Cell(None if value is None else D(value), level, suppressed, 5)


def test_funded_units_that_improve_more_than_the_nation_have_a_positive_difference_in_differences():
    ind = indicator()

    outcome = run(ind, improving(ind), Target(value=D("0.65")), names={A: "Sykehus A", B: "Sykehus B"})

    assert (
        outcome.measurable,
        outcome.baseline_year,
        outcome.followup_year,
        outcome.combined_before,
        outcome.combined_after,
        outcome.change,
        outcome.national_before,
        outcome.national_after,
        outcome.national_change,
        outcome.did,
        outcome.better_than_nation,
        outcome.target_reached,
    ) == (
        True,
        2021,
        2023,
        cell("0.4", "low"),
        cell("0.7", "high"),
        D("0.3"),
        cell("0.5", "moderate"),
        cell("0.55", "moderate"),
        D("0.05"),
        D("0.25"),
        True,
        True,
    )
    assert outcome.units == (
        UnitOutcome(A, "Sykehus A", cell("0.2", "low"), cell("0.6", "high")),
        UnitOutcome(B, "Sykehus B", cell("0.6", "high"), cell("0.8", "high")),
    )


def test_lower_is_better_counts_a_larger_fall_than_the_nation_as_better():
    ind = indicator(direction=0, green="0.45", yellow="0.6")
    data = values(
        ind,
        {
            2021: {A: (30, 50), B: (40, 50), NATION: (550, 1000)},
            2023: {A: (10, 50), B: (30, 50), NATION: (500, 1000)},
        },
    )

    outcome = run(ind, data, Target(value=D("0.4")))

    assert (outcome.change, outcome.national_change, outcome.did, outcome.better_than_nation) == (
        D("-0.3"),
        D("-0.05"),
        D("-0.25"),
        True,
    )
    assert (outcome.combined_after, outcome.target_reached) == (cell("0.4", "high"), True)


def test_funded_units_that_improve_less_than_the_nation_are_not_better():
    ind = indicator()
    data = values(ind, {2021: {A: (40, 100), NATION: (400, 1000)}, 2023: {A: (45, 100), NATION: (600, 1000)}})

    outcome = run(ind, data, units=[A])

    assert (outcome.change, outcome.national_change, outcome.did, outcome.better_than_nation) == (
        D("0.05"),
        D("0.2"),
        D("-0.15"),
        False,
    )


def test_lower_is_better_with_a_rise_larger_than_the_nation_is_not_better():
    ind = indicator(direction=0, green="0.45", yellow="0.6")
    data = values(ind, {2021: {A: (40, 100), NATION: (400, 1000)}, 2023: {A: (50, 100), NATION: (420, 1000)}})

    outcome = run(ind, data, units=[A])

    assert (outcome.did, outcome.better_than_nation) == (D("0.08"), False)


def test_a_value_target_exactly_reached_counts_for_either_direction():
    higher, lower = indicator(), indicator(direction=0, green="0.45", yellow="0.6")
    falling = values(lower, {2021: {A: (70, 100)}, 2023: {A: (40, 100)}})

    assert [
        run(higher, improving(higher), Target(value=D("0.7"))).target_reached,
        run(higher, improving(higher), Target(value=D("0.700001"))).target_reached,
        run(lower, falling, Target(value=D("0.4")), units=[A]).target_reached,
        run(lower, falling, Target(value=D("0.399999")), units=[A]).target_reached,
    ] == [True, False, True, False]


def test_a_value_target_cannot_be_judged_without_a_direction_or_a_value():
    no_direction = indicator(direction=None)

    assert [
        run(no_direction, improving(no_direction), Target(value=D("0.5"))).target_reached,
        run(indicator(), improving(indicator()), Target(value=None)).target_reached,
        run(no_direction, improving(no_direction)).better_than_nation,
    ] == [None, None, None]


def test_a_level_target_is_reached_at_that_level_or_better_with_the_thresholds_as_boundaries():
    ind = indicator(green="0.7", yellow="0.5")
    at_yellow = values(ind, {2021: {A: (40, 100)}, 2023: {A: (50, 100)}})
    data = improving(ind)  # combined after exactly 0.7 = green: high

    assert [
        run(ind, data, Target(kind="level", level="high")).target_reached,
        run(ind, data, Target(kind="level", level="moderate")).target_reached,
        run(ind, at_yellow, Target(kind="level", level="moderate"), units=[A]).target_reached,
        run(ind, at_yellow, Target(kind="level", level="high"), units=[A]).target_reached,
        run(indicator(green=None), data, Target(kind="level", level="high")).target_reached,
        run(ind, data, Target(kind="level", level="")).target_reached,
    ] == [True, True, True, False, None, None]


def test_the_rules_judge_every_participating_unit_after():
    ind = indicator()
    one_low = values(ind, {2021: {A: (10, 50), B: (30, 50)}, 2023: {A: (20, 50), B: (40, 50)}})  # A 0.4: low
    one_moderate = values(ind, {2021: {A: (10, 50), B: (30, 50)}, 2023: {A: (25, 50), B: (40, 50)}})  # A 0.5

    assert [
        run(ind, one_low, Target(kind="rule", rule="no_unit_low")).target_reached,
        run(ind, one_moderate, Target(kind="rule", rule="no_unit_low")).target_reached,
        run(ind, one_moderate, Target(kind="rule", rule="all_units_high")).target_reached,
        run(ind, improving(ind), Target(kind="rule", rule="all_units_high")).target_reached,
    ] == [False, True, False, True]


def test_a_suppressed_unit_is_shown_as_fewer_than_n_is_not_judged_but_counts_in_the_combined_sums():
    ind = indicator()
    data = values(
        ind,
        {
            2021: {A: (1, 4), B: (29, 46), NATION: (500, 1000)},
            2023: {A: (0, 4), B: (40, 46), NATION: (550, 1000)},
        },
    )

    outcome = run(ind, data, Target(kind="rule", rule="no_unit_low"), names={A: "A", B: "B"})

    assert outcome.units[0] == UnitOutcome(A, "A", cell(None, None, True), cell(None, None, True))
    assert (outcome.combined_before, outcome.combined_after, outcome.change, outcome.did) == (
        cell("0.6", "high"),
        cell("0.8", "high"),
        D("0.2"),
        D("0.15"),
    )
    assert outcome.target_reached is True  # A's 0/4 is not judged; B's 40/46 is high


def test_rules_with_every_unit_suppressed_cannot_be_judged():
    ind = indicator()
    data = values(ind, {2021: {A: (1, 4)}, 2023: {A: (4, 4)}})

    outcome = run(ind, data, Target(kind="rule", rule="all_units_high"), units=[A])

    assert (outcome.combined_after, outcome.change, outcome.target_reached) == (cell(None, None, True), None, None)


def test_a_suppressed_combined_value_has_no_change_and_no_judged_value_target():
    ind = indicator()
    data = values(ind, {2021: {A: (1, 2), NATION: (5, 10)}, 2023: {A: (2, 3), NATION: (6, 10)}})

    outcome = run(ind, data, Target(value=D("0.5")), units=[A])

    assert (outcome.combined_after, outcome.change, outcome.did, outcome.target_reached) == (
        cell(None, None, True),
        None,
        None,
        None,
    )


def test_without_participating_units_the_nation_stands_alone_and_there_is_no_did():
    ind = indicator()

    outcome = run(ind, improving(ind), Target(value=D("0.55")), units=[])

    assert (
        outcome.nation_only,
        [u.orgnr for u in outcome.units],
        outcome.change,
        outcome.national_change,
        outcome.did,
        outcome.better_than_nation,
        outcome.target_reached,
    ) == (True, [NATION], D("0.05"), D("0.05"), None, None, True)


def test_the_baseline_is_the_last_year_before_the_start_and_the_follow_up_the_last_by_the_target_date():
    ind = indicator()
    rows = {year: {A: (year - 2000, 100), NATION: (500, 1000)} for year in (2019, 2020, 2021, 2022, 2023, 2024)}
    data = values(ind, rows)

    by_target = run(ind, data, Target(target_year=2023), units=[A], start=2022, end=2022)
    by_end = run(ind, data, Target(), units=[A], start=2022, end=2022)
    given = run(ind, data, Target(baseline_year=2019), units=[A], start=2022, end=None)

    assert [(o.baseline_year, o.followup_year) for o in (by_target, by_end, given)] == [
        (2021, 2023),
        (2021, 2022),
        (2019, 2024),
    ]
    assert (by_target.change, given.change) == (D("0.02"), D("0.05"))


def test_missing_data_makes_the_outcome_not_measurable_with_the_reason():
    ind = indicator()
    only_before = values(ind, {2021: {A: (10, 50)}, 2025: {A: (20, 50)}})
    data = improving(ind)

    cases = [
        run(ind, only_before, units=[A], start=2022, end=2023),  # 2025 is after the end
        run(ind, data, start=2021),  # nothing before 2021
        run(ind, data, start=None),
        run(ind, data, Target(baseline_year=2020)),
        run(ind, {}, units=[A]),
    ]

    assert [(o.measurable, o.reason, o.baseline_year, o.followup_year) for o in cases] == [
        (False, NO_FOLLOWUP, 2021, None),
        (False, NO_BASELINE, None, None),
        (False, NO_START_YEAR, None, None),
        (False, NO_BASELINE, 2020, None),
        (False, NO_BASELINE, None, None),
    ]
    assert (cases[0].reason_text, cases[0].units, cases[0].did, cases[0].target_reached) == (
        "There are no data after the baseline year yet.",
        (),
        None,
        None,
    )


def test_a_unit_without_data_in_one_of_the_years_is_shown_empty_and_left_out_of_the_sums():
    ind = indicator()
    data = values(ind, {2021: {A: (20, 50), B: (30, 50)}, 2023: {A: (30, 50)}})

    outcome = run(ind, data, names={A: "A", B: "B"})

    assert (outcome.units[1], outcome.combined_before, outcome.combined_after, outcome.change) == (
        UnitOutcome(B, "B", cell("0.6", "high"), None),
        cell("0.4", "low"),
        cell("0.6", "high"),
        D("0.2"),
    )


def test_the_combined_sums_can_leave_out_nested_units():
    ind = indicator()
    hf, hospital = 983000001, 974000009
    tree = Tree({hospital: hf, hf: NATION, NATION: None}, {})
    data = values(ind, {2021: {hf: (40, 100), hospital: (10, 50)}, 2023: {hf: (70, 100), hospital: (40, 50)}})

    skip = nested_units([hf, hospital], tree)
    outcome = run(ind, data, units=[hf, hospital], combined=[u for u in (hf, hospital) if u not in skip])

    assert (skip, outcome.change) == ({hospital}, D("0.3"))


def test_the_frozen_form_is_json_with_decimals_as_strings_and_reads_back_the_same():
    ind = indicator()
    outcome = run(ind, improving(ind), Target(value=D("0.65")), names={A: "A", B: "B"})

    data = json.loads(json.dumps(to_json(outcome)))

    assert (data["change"], data["national_change"], data["did"], data["combined_after"]["value"]) == (
        "0.3",
        "0.05",
        "0.25",
        "0.7",
    )
    assert (data["target_reached"], data["units"][0]["after"]["level"]) == (True, "high")
    assert from_json(data) == outcome


def test_a_not_measurable_outcome_reads_back_the_same():
    ind = indicator()
    outcome = run(ind, {}, units=[A])

    assert from_json(json.loads(json.dumps(to_json(outcome)))) == outcome
