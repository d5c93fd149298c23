"""Goal attainment exactly as SKDE's hospital viewer computes it (DOMAIN.md)."""

from decimal import Decimal

from .enums import Direction, Level


def goal_attainment(
    value: Decimal | None, green: Decimal | None, yellow: Decimal | None, direction: int | None
) -> str | None:
    if value is None or green is None or direction is None:
        return None
    yellow = green if yellow is None else yellow
    if direction == Direction.HIGHER_IS_BETTER:
        if value >= green:
            return Level.HIGH
        return Level.LOW if value < yellow else Level.MODERATE
    if value <= green:
        return Level.HIGH
    return Level.LOW if value > yellow else Level.MODERATE


def thresholds_consistent(green: Decimal | None, yellow: Decimal | None, direction: int | None) -> bool:
    if green is None or yellow is None or direction is None:
        return True
    return green >= yellow if direction == Direction.HIGHER_IS_BETTER else green <= yellow
