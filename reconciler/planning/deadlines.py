"""Erasure requests and their legal deadlines: due dates, extensions, days left, and whether a
request is open, done on time or late. Pure: dates in, values out; "today" is a parameter (the
runtime's clock, a fake one in tests).

The regimes and how their due date is computed:

- `gdpr`: GDPR Art. 12(3): "without undue delay and in any event within one month of receipt of
  the request", extendable "by two further months where necessary". A period in months ends on
  the same day of the month as the day it started from; where that month has no such day, on
  its last day (Regulation (EEC, Euratom) No 1182/71 of 3 June 1971, Art. 3(2)(c), which the
  EDPB's Guidelines 01/2022 on the right of access apply to Art. 12(3)). So 15 Jan -> 15 Feb,
  31 Jan -> 28 Feb (29 in a leap year), 31 Mar -> 30 Apr. The longest extension is two months
  after the due date, by the same rule, counted from the receipt: receipt + 3 months.
- `ccpa`: Cal. Civ. Code §1798.130(a)(2) and CCPA Regulations §7021(b): "no later than 45
  calendar days after receipt", extendable once by another 45 calendar days (90 in all from
  receipt) with notice.
- `custom`: `dueDays` calendar days from receipt; no extension limit (the team's own policy).

1182/71 Art. 3(4) moves a period's last day off a weekend or public holiday to the next working
day; that depends on a member state's holidays and is not applied here: the date shown is the
earlier, safe one.

An `extendedUntil` replaces the due date: it must be after the due date and no later than the
regime's longest extension (`extension_problem`).

A request is done when every job of it COMPLETED (as recorded); its completion date is the last
job's. An open request is `OVERDUE` past its due date, `DUE_SOON` within `warn_days` of it
(the due date included: 0 days left), else `OPEN`.
"""

from __future__ import annotations

import calendar
import statistics
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from enum import StrEnum

from reconciler.diagnostics import Location
from reconciler.models import Frozen


class Regime(StrEnum):
    GDPR = "gdpr"
    CCPA = "ccpa"
    CUSTOM = "custom"


CCPA_DAYS = 45
CCPA_EXTENSION_DAYS = 45
GDPR_MONTHS = 1
GDPR_EXTENSION_MONTHS = 2
DEFAULT_WARN_DAYS = 7

# The law each regime's due date comes from, as docs and outputs name it.
LEGAL_BASIS = {
    Regime.GDPR: "GDPR Art. 12(3): one month from receipt (+2 months with notice)",
    Regime.CCPA: "CCPA §1798.130(a)(2), Regs §7021(b): 45 days from receipt (+45 with notice)",
    Regime.CUSTOM: "the team's own policy: dueDays from receipt",
}


def add_months(start: date, months: int) -> date:
    """The same day `months` months after `start`, or the last day of that month when it is
    shorter (Regulation 1182/71 Art. 3(2)(c))."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def due_date(received: date, regime: Regime, due_days: int | None = None) -> date:
    """The date the answer is due by, before any extension."""
    if regime is Regime.GDPR:
        return add_months(received, GDPR_MONTHS)
    if regime is Regime.CCPA:
        return received + timedelta(days=CCPA_DAYS)
    if due_days is None:
        raise ValueError("a custom regime needs dueDays")
    return received + timedelta(days=due_days)


def latest_extension(received: date, regime: Regime) -> date | None:
    """The latest date the law lets an extension reach (None: no limit, `custom`). GDPR: two
    further months after the one-month due date, or three months from receipt, whichever is
    earlier (they differ at month ends: received 31 January, due 28 February, 28 April), as
    everywhere here the earlier, safe date."""
    if regime is Regime.GDPR:
        due = add_months(received, GDPR_MONTHS)
        return min(
            add_months(due, GDPR_EXTENSION_MONTHS),
            add_months(received, GDPR_MONTHS + GDPR_EXTENSION_MONTHS),
        )
    if regime is Regime.CCPA:
        return received + timedelta(days=CCPA_DAYS + CCPA_EXTENSION_DAYS)
    return None


def extension_problem(
    received: date, regime: Regime, extended_until: date, due_days: int | None = None
) -> str | None:
    """What is wrong with extending the request to `extended_until` (None: nothing)."""
    due = due_date(received, regime, due_days)
    if extended_until <= due:
        return (
            f"{extended_until.isoformat()} is not after the due date "
            f"{due.isoformat()}: an extension must end later than the date it extends"
        )
    latest = latest_extension(received, regime)
    if latest is not None and extended_until > latest:
        law = "two further months" if regime is Regime.GDPR else "another 45 days"
        return (
            f"{extended_until.isoformat()} is later than the law allows: "
            f"{regime.value} lets a request be extended by {law}, to {latest.isoformat()} "
            "at the latest"
        )
    return None


class RequestSpec(Frozen):
    """An erasure request as declared (a `Request` manifest document)."""

    id: str
    received: date
    regime: Regime
    due_days: int | None = None  # custom only
    extended_until: date | None = None
    reason: str | None = None  # why it was extended
    source: Location | None = None  # where the manifests declare it

    @property
    def due(self) -> date:
        """The date the answer is due by: the extension where there is one."""
        return self.extended_until or due_date(self.received, self.regime, self.due_days)


class Standing(StrEnum):
    OPEN = "open"
    DUE_SOON = "due soon"
    OVERDUE = "overdue"
    ON_TIME = "completed on time"
    LATE = "completed late"


class RequestProgress(Frozen):
    """A request's standing on a given day: its due date, days left, its jobs."""

    spec: RequestSpec
    jobs: int  # jobs tagged with the request
    completed_jobs: int
    completed: date | None  # the last job's completion, when every job COMPLETED
    days_left: int  # due date minus today (negative: overdue by that many days)
    standing: Standing

    @property
    def done(self) -> bool:
        return self.completed is not None

    @property
    def days_to_complete(self) -> int | None:
        return (self.completed - self.spec.received).days if self.completed else None

    def line(self) -> str:
        """`PRIV-1 (gdpr): due 2026-02-28, 3 days left, 1 of 2 jobs COMPLETED`."""
        spec = self.spec
        extended = f" (extended: {spec.reason})" if spec.extended_until else ""
        head = f"{spec.id} ({spec.regime.value}): due {spec.due.isoformat()}{extended}"
        if self.completed is not None:
            return f"{head}, {self.standing.value} on {self.completed.isoformat()}"
        jobs = f"{self.completed_jobs} of {self.jobs} jobs COMPLETED"
        return f"{head}, {days_phrase(self.days_left)}, {jobs}"


def days_phrase(days_left: int) -> str:
    if days_left < 0:
        return f"overdue by {-days_left} day{'s' if days_left != -1 else ''}"
    if days_left == 0:
        return "due today"
    return f"{days_left} day{'s' if days_left != 1 else ''} left"


def progress(
    spec: RequestSpec,
    completions: Sequence[date | None],
    today: date,
    warn_days: int = DEFAULT_WARN_DAYS,
) -> RequestProgress:
    """The request's standing on `today`, from its jobs' completion dates (None: a job not
    COMPLETED). A request with no job is open: nothing has been deleted for it yet."""
    done = [when for when in completions if when is not None]
    completed = max(done) if completions and len(done) == len(completions) else None
    days_left = (spec.due - today).days
    if completed is not None:
        standing = Standing.ON_TIME if completed <= spec.due else Standing.LATE
    elif days_left < 0:
        standing = Standing.OVERDUE
    elif days_left <= warn_days:
        standing = Standing.DUE_SOON
    else:
        standing = Standing.OPEN
    return RequestProgress(
        spec=spec,
        jobs=len(completions),
        completed_jobs=len(done),
        completed=completed,
        days_left=days_left,
        standing=standing,
    )


class RegimeMetrics(Frozen):
    """CCPA Regs §7102(a)'s figures for one regime: requests received, completed (on time,
    late), and the median and mean days from receipt to completion."""

    regime: Regime
    received: int
    completed: int
    on_time: int
    late: int
    open: int
    median_days: float | None
    mean_days: float | None


class MetricsReport(Frozen):
    """The figures per regime and each request they count (`report --metrics`)."""

    generated: datetime
    since: date | None
    state_location: str
    regimes: tuple[RegimeMetrics, ...]
    requests: tuple[RequestProgress, ...]


def metrics(requests: Iterable[RequestProgress], since: date | None = None) -> list[RegimeMetrics]:
    """Per regime (in `Regime`'s order, every regime listed), the requests received on or
    after `since`."""
    chosen = [r for r in requests if since is None or r.spec.received >= since]
    found = []
    for regime in Regime:
        mine = [r for r in chosen if r.spec.regime is regime]
        days = [d for r in mine if (d := r.days_to_complete) is not None]
        found.append(
            RegimeMetrics(
                regime=regime,
                received=len(mine),
                completed=len(days),
                on_time=sum(1 for r in mine if r.standing is Standing.ON_TIME),
                late=sum(1 for r in mine if r.standing is Standing.LATE),
                open=sum(1 for r in mine if not r.done),
                median_days=float(statistics.median(days)) if days else None,
                mean_days=round(statistics.fmean(days), 1) if days else None,
            )
        )
    return found
