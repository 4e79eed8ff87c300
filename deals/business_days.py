"""Vietnamese business days: the clock of the review promise.

A business day is a weekday that is not a public holiday in Vietnam (Tết included, with the
days the government moves), taken from the `holidays` library, and not one of the extra days
off staff keep in admin (`DayOff`). A Saturday the government makes a working day in exchange
for a bridge day counts as a business day.

A registration submitted on day `d` is due on the SLA-th business day after `d`
(`REVIEW_SLA_BUSINESS_DAYS`, default 3): submitted on a Monday, due on Thursday. Until then
it is on time, on that day it is due today, after it overdue. Its age is the number of
business days after `d` up to today.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from django.conf import settings
from django.db.models import TextChoices
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SlaState(TextChoices):
    ON_TIME = "on_time", _("On time")
    DUE_TODAY = "due_today", _("Due today")
    OVERDUE = "overdue", _("Overdue")


@lru_cache(maxsize=64)
def _public(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(holidays, weekend days made working days) of one year in Vietnam."""
    calendar = holidays.country_holidays("VN", years=year)
    workdays = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return frozenset(calendar), workdays


@dataclass(frozen=True)
class Calendar:
    """Business days with the staff's extra days off."""

    extra: frozenset[date] = frozenset()

    def is_business_day(self, day: date) -> bool:
        if day in self.extra:
            return False
        public, workdays = _public(day.year)
        if day in workdays:
            return True
        return day.weekday() < 5 and day not in public and day not in self.extra

    def _days(self, first: date, last: date) -> tuple[set[date], set[date]]:
        """Weekdays off and working weekend days in first..last inclusive."""
        off, working = set(self.extra), set()
        for year in range(first.year, last.year + 1):
            public, workdays = _public(year)
            off |= public
            working |= workdays
        off = {day for day in off if first <= day <= last and day.weekday() < 5}
        working = {day for day in working - self.extra if first <= day <= last}
        return off, working

    def count(self, start: date, end: date) -> int:
        """Business days after `start` up to and including `end` (0 when end <= start)."""
        if end <= start:
            return 0
        first = start + timedelta(days=1)
        off, working = self._days(first, end)
        return _weekdays(first, end) - len(off) + len(working)

    def add(self, start: date, days: int) -> date:
        """The `days`-th business day after `start`."""
        day = start
        while days > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                days -= 1
        return day

    def back(self, end: date, days: int) -> date:
        """The `days`-th business day counting back from `end` (`end` itself the first, when
        it is one)."""
        day = end
        while True:
            if self.is_business_day(day):
                days -= 1
                if days <= 0:
                    return day
            day -= timedelta(days=1)


def _weekdays(first: date, last: date) -> int:
    """Monday to Friday days in first..last inclusive."""
    total = (last - first).days + 1
    weeks, rest = divmod(total, 7)
    start = first.weekday()
    return weeks * 5 + sum(1 for i in range(rest) if (start + i) % 7 < 5)


def calendar() -> Calendar:
    """The calendar with the extra days off staff keep in admin (one small query)."""
    from deals.models import DayOff

    return Calendar(extra=frozenset(DayOff.objects.values_list("day", flat=True)))


def sla_days() -> int:
    return settings.REVIEW_SLA_BUSINESS_DAYS


def local_day(moment: datetime) -> date:
    return timezone.localdate(moment)


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


@dataclass(frozen=True)
class Clock:
    """One registration against the promise, as of `today`."""

    age: int
    due: date
    state: str

    @property
    def state_label(self):
        return SlaState(self.state).label


def clock(cal: Calendar, submitted: datetime, today: date, sla: int | None = None) -> Clock:
    sla = sla_days() if sla is None else sla
    day = local_day(submitted)
    due = cal.add(day, sla)
    if today < due:
        state = SlaState.ON_TIME
    elif today == due:
        state = SlaState.DUE_TODAY
    else:
        state = SlaState.OVERDUE
    return Clock(age=cal.count(day, today), due=due, state=state)


def overdue_before(cal: Calendar, today: date, sla: int | None = None) -> datetime:
    """The moment before which a submission is overdue on `today`: a registration is overdue
    when its due day lies before today, that is when at least `sla` business days passed
    between its submission day and yesterday."""
    sla = sla_days() if sla is None else sla
    return midnight(cal.back(today - timedelta(days=1), sla))


def within(cal: Calendar, submitted: date, reviewed: date, sla: int | None = None) -> bool:
    """Whether a review on `reviewed` kept the promise for a submission on `submitted`."""
    sla = sla_days() if sla is None else sla
    return reviewed <= cal.add(submitted, sla)
