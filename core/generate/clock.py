"""The generator's fixed clock. Every generated timestamp derives from these constants (never from the time of
the run), so the same seed gives the same rows whenever it runs: ten years of calls up to a fixed "now"."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")
FIRST_YEAR = 2017
LAST_YEAR = 2026
START = datetime(FIRST_YEAR - 1, 12, 1, 9, tzinfo=OSLO)
# Where the generated history stops: later events stay in the future, so the newest calls are still open or in
# review and the newest projects are running.
NOW = datetime(LAST_YEAR, 11, 1, 12, tzinfo=OSLO)


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=OSLO)


def days(n: float) -> timedelta:
    return timedelta(days=n)
