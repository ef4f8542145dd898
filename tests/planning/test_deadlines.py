"""Due dates of erasure requests: month ends, leap years, extensions, standings and metrics."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.planning.deadlines import (
    Regime,
    RequestSpec,
    Standing,
    add_months,
    due_date,
    extension_problem,
    latest_extension,
    metrics,
    progress,
)

GDPR, CCPA, CUSTOM = Regime.GDPR, Regime.CCPA, Regime.CUSTOM


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 15), date(2026, 2, 15)),  # same day next month
        (date(2026, 1, 31), date(2026, 2, 28)),  # no 31 Feb: the month's last day
        (date(2028, 1, 31), date(2028, 2, 29)),  # a leap year
        (date(2028, 1, 29), date(2028, 2, 29)),
        (date(2027, 1, 29), date(2027, 2, 28)),
        (date(2026, 3, 31), date(2026, 4, 30)),
        (date(2026, 2, 28), date(2026, 3, 28)),  # not the month's end: the same day
        (date(2026, 12, 31), date(2027, 1, 31)),  # across the year
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_gdpr_due_date_is_the_same_day_next_month_or_its_last_day(
    received: date, due: date
) -> None:
    assert due_date(received, GDPR) == due


def test_ccpa_is_45_calendar_days_and_custom_its_due_days() -> None:
    assert due_date(date(2026, 1, 1), CCPA) == date(2026, 2, 15)
    assert due_date(date(2028, 2, 1), CCPA) == date(2028, 3, 17)  # 29 days in February 2028
    assert due_date(date(2026, 1, 1), CUSTOM, 10) == date(2026, 1, 11)


def test_the_longest_extension_is_the_laws() -> None:
    # due 28 February, +2 months: 28 April, earlier than 3 months from receipt (30 April)
    assert latest_extension(date(2026, 1, 31), GDPR) == date(2026, 4, 28)
    assert latest_extension(date(2026, 1, 15), GDPR) == date(2026, 4, 15)
    assert latest_extension(date(2026, 1, 1), CCPA) == date(2026, 4, 1)  # 90 days
    assert latest_extension(date(2026, 1, 1), CUSTOM) is None


def test_an_extension_must_be_after_the_due_date_and_within_the_law() -> None:
    received = date(2026, 1, 31)
    assert extension_problem(received, GDPR, date(2026, 4, 28)) is None
    assert extension_problem(received, GDPR, date(2026, 2, 28)) == (
        "2026-02-28 is not after the due date 2026-02-28: an extension must end "
        "later than the date it extends"
    )
    assert extension_problem(received, GDPR, date(2026, 5, 1)) == (
        "2026-05-01 is later than the law allows: gdpr lets a request be "
        "extended by two further months, to 2026-04-28 at the latest"
    )
    assert "another 45 days, to 2026-04-01" in str(
        extension_problem(date(2026, 1, 1), CCPA, date(2026, 4, 2))
    )
    assert extension_problem(date(2026, 1, 1), CUSTOM, date(2030, 1, 1), 30) is None


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(9990, 1, 1)), st.integers(0, 24))
def test_add_months_lands_on_the_same_day_or_the_months_last(start: date, months: int) -> None:
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    last = calendar.monthrange(end.year, end.month)[1]
    assert end.day == min(start.day, last)


@given(st.dates(min_value=date(1901, 1, 1), max_value=date(9990, 1, 1)))
def test_gdpr_due_date_is_28_to_31_days_and_never_before_ccpas_within_a_day(
    received: date,
) -> None:
    days = (due_date(received, GDPR) - received).days
    assert 28 <= days <= 31
    assert due_date(received, GDPR) < due_date(received, CCPA)
    latest = latest_extension(received, GDPR)
    # the earlier of due + 2 months and receipt + 3 months: 87 days from 31 January (not leap)
    assert latest is not None and 87 <= (latest - received).days <= 92


def _spec(received: date, regime: Regime = GDPR, **kw: object) -> RequestSpec:
    return RequestSpec.model_validate({"id": "R", "received": received, "regime": regime, **kw})


def test_standing_from_the_jobs_and_the_day() -> None:
    today = date(2026, 9, 21)
    received = today - timedelta(days=25)  # due 2026-09-27: 6 days left
    assert progress(_spec(received), [None], today).standing is Standing.DUE_SOON
    assert progress(_spec(received), [None], today, warn_days=5).standing is Standing.OPEN
    late = progress(_spec(today - timedelta(days=40)), [today, None], today)
    assert (late.standing, late.days_left, late.completed_jobs) == (Standing.OVERDUE, -9, 1)
    assert progress(_spec(today - timedelta(days=40)), [], today).standing is Standing.OVERDUE
    done = progress(_spec(received), [date(2026, 9, 1), date(2026, 9, 5)], today)
    assert (done.standing, done.completed, done.days_to_complete) == (
        Standing.ON_TIME,
        date(2026, 9, 5),
        9,
    )
    extended = _spec(date(2026, 1, 31), extended_until=date(2026, 3, 31), reason="complex")
    assert progress(extended, [date(2026, 3, 1)], today).standing is Standing.ON_TIME
    assert progress(_spec(date(2026, 1, 31)), [date(2026, 3, 1)], today).standing is Standing.LATE


def test_due_today_is_zero_days_left() -> None:
    found = progress(_spec(date(2026, 8, 21)), [None], date(2026, 9, 21))
    assert (found.days_left, found.standing) == (0, Standing.DUE_SOON)
    assert "due today" in found.line()


def test_metrics_per_regime_match_hand_computed_figures() -> None:
    today = date(2026, 12, 31)
    found = [
        # gdpr: 10, 20, 40 days (the last late: due 2026-02-01), one open
        progress(_spec(date(2026, 1, 1)), [date(2026, 1, 11)], today),
        progress(_spec(date(2026, 1, 1)), [date(2026, 1, 5), date(2026, 1, 21)], today),
        progress(_spec(date(2026, 1, 1)), [date(2026, 2, 10)], today),
        progress(_spec(date(2026, 12, 20)), [None], today),
        # ccpa: 45 days (on time, the due date itself) and 46 (late)
        progress(_spec(date(2026, 3, 1), CCPA), [date(2026, 4, 15)], today),
        progress(_spec(date(2026, 3, 1), CCPA), [date(2026, 4, 16)], today),
        # received before --since: left out
        progress(_spec(date(2025, 12, 31), CCPA), [date(2026, 1, 1)], today),
    ]
    gdpr, ccpa, custom = metrics(found, since=date(2026, 1, 1))
    assert gdpr.model_dump() == {
        "regime": GDPR,
        "received": 4,
        "completed": 3,
        "on_time": 2,
        "late": 1,
        "open": 1,
        "median_days": 20.0,
        "mean_days": 23.3,
    }
    assert (ccpa.received, ccpa.on_time, ccpa.late, ccpa.median_days, ccpa.mean_days) == (
        2,
        1,
        1,
        45.5,
        45.5,
    )
    assert (custom.received, custom.median_days, custom.mean_days) == (0, None, None)
