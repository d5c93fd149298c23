"""registries.goal: goal attainment exactly as SKDE's hospital viewer computes it (DOMAIN.md).

Kept with the lifecycle suite's other pure-function tests; tests/registries is owned by the importer work.
"""

from decimal import Decimal as D

import pytest

from registries.goal import goal_attainment, thresholds_consistent

LOWER, HIGHER = 0, 1


@pytest.mark.parametrize(
    ("value", "level"),
    [
        # The tonsil registry's "contact with health services due to pain": lower is better, green 15 %, yellow 25 %.
        (D("0.08"), "high"),
        (D("0.22"), "moderate"),  # the national figure for 2020
        (D("0.38"), "low"),
        (D("0.15"), "high"),  # exactly at green
        (D("0.150001"), "moderate"),
        (D("0.25"), "moderate"),  # exactly at yellow
        (D("0.250001"), "low"),
        (D("0"), "high"),
        (D("1"), "low"),
    ],
)
def test_tonsil_example_lower_is_better(value, level):
    assert goal_attainment(value, D("0.15"), D("0.25"), LOWER) == level


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (D("0.95"), "high"),
        (D("0.90"), "high"),  # exactly at green
        (D("0.899999"), "moderate"),
        (D("0.80"), "moderate"),  # exactly at yellow
        (D("0.799999"), "low"),
        (D("0"), "low"),
    ],
)
def test_higher_is_better(value, level):
    assert goal_attainment(value, D("0.90"), D("0.80"), HIGHER) == level


@pytest.mark.parametrize(
    ("value", "direction", "level"),
    [
        (D("0.90"), HIGHER, "high"),
        (D("0.899999"), HIGHER, "low"),
        (D("0.90"), LOWER, "high"),
        (D("0.900001"), LOWER, "low"),
    ],
)
def test_yellow_defaults_to_green_so_there_is_no_moderate_band(value, direction, level):
    assert goal_attainment(value, D("0.90"), None, direction) == level


@pytest.mark.parametrize(
    ("value", "green", "yellow", "direction"),
    [
        (D("0.5"), None, D("0.25"), LOWER),
        (D("0.5"), D("0.15"), D("0.25"), None),
        (None, D("0.15"), D("0.25"), LOWER),
    ],
)
def test_no_level_without_value_green_or_direction(value, green, yellow, direction):
    assert goal_attainment(value, green, yellow, direction) is None


@pytest.mark.parametrize(
    ("green", "yellow", "direction", "consistent"),
    [
        (D("0.15"), D("0.25"), LOWER, True),
        (D("0.25"), D("0.15"), LOWER, False),
        (D("0.90"), D("0.80"), HIGHER, True),
        (D("0.80"), D("0.90"), HIGHER, False),
        (D("0.5"), D("0.5"), LOWER, True),
        (D("0.5"), D("0.5"), HIGHER, True),
        (D("0.5"), None, HIGHER, True),
        (None, None, LOWER, True),
        (D("0.5"), D("0.6"), None, True),
    ],
)
def test_thresholds_consistent(green, yellow, direction, consistent):
    assert thresholds_consistent(green, yellow, direction) is consistent
