"""Vietnamese business days and the review promise (deals.business_days)."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from deals.business_days import Calendar, SlaState, calendar, clock, overdue_before, within
from deals.models import DayOff

pytestmark = pytest.mark.django_db

PLAIN = Calendar()
MON, TUE, WED, THU, FRI, SAT = (date(2026, 12, 7) + timedelta(days=i) for i in range(6))


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def test_business_days_count_weekdays_after_the_submission_day():
    assert PLAIN.count(MON, MON) == 0
    assert PLAIN.count(MON, FRI) == 4
    assert PLAIN.count(FRI, FRI + timedelta(days=3)) == 1  # the weekend does not count
    assert PLAIN.count(FRI, MON) == 0


def test_tet_is_not_a_business_day():
    # Tết 2027: Thursday 4 to Wednesday 10 February are public holidays.
    before_tet = date(2027, 2, 3)
    assert [PLAIN.is_business_day(before_tet + timedelta(days=i)) for i in range(1, 9)] == [
        False,
        False,
        False,
        False,
        False,
        False,
        False,
        True,
    ]
    assert PLAIN.count(before_tet, date(2027, 2, 11)) == 1
    # Submitted the day before Tết: due three business days after it, on Monday 15.
    assert PLAIN.add(before_tet, 3) == date(2027, 2, 15)


def test_a_saturday_the_government_makes_a_working_day_counts():
    # 2026: Monday 31 August is a day off, worked on Saturday 22 August instead.
    assert PLAIN.is_business_day(date(2026, 8, 22)) is True
    assert PLAIN.is_business_day(date(2026, 8, 31)) is False
    assert PLAIN.count(date(2026, 8, 21), date(2026, 8, 24)) == 2


def test_a_day_off_staff_add_stops_the_clock():
    assert calendar().count(MON, FRI) == 4
    DayOff.objects.create(day=THU, name="Company trip")

    cal = calendar()

    assert cal.is_business_day(THU) is False
    assert cal.count(MON, FRI) == 3
    assert cal.add(MON, 3) == FRI


def test_the_promise_states_on_time_due_today_overdue():
    states = {today: clock(PLAIN, at(MON), today, sla=3) for today in (MON, WED, THU, FRI, SAT)}

    assert [states[day].state for day in (MON, WED, THU, FRI, SAT)] == [
        SlaState.ON_TIME,
        SlaState.ON_TIME,
        SlaState.DUE_TODAY,
        SlaState.OVERDUE,
        SlaState.OVERDUE,  # due on Thursday, still waiting on Saturday
    ]
    assert [states[day].age for day in (MON, WED, THU, FRI, SAT)] == [0, 2, 3, 4, 4]
    assert states[MON].due == THU


def test_the_promise_counts_from_the_setting(settings):
    settings.REVIEW_SLA_BUSINESS_DAYS = 1

    assert clock(PLAIN, at(MON), WED).state == SlaState.OVERDUE
    assert within(PLAIN, MON, TUE) is True
    assert within(PLAIN, MON, WED) is False


def test_the_overdue_cutoff_agrees_with_each_registrations_clock():
    """The queue's SQL filter (submitted before the cutoff) and the row's state agree on every
    pair of days around Tết, with a staff day off in the middle."""
    cal = Calendar(extra=frozenset({date(2027, 1, 20)}))
    first = date(2027, 1, 10)
    for offset in range(50):
        today = first + timedelta(days=offset)
        cutoff = overdue_before(cal, today, sla=3)
        for back in range(15):
            submitted = at(today - timedelta(days=back), hour=back % 24)
            state = clock(cal, submitted, today, sla=3).state
            assert (submitted < cutoff) == (state == SlaState.OVERDUE), (today, submitted)


def test_staff_add_a_day_off_in_admin(client, staff):
    client.force_login(staff)

    response = client.post(
        "/admin/deals/dayoff/add/", {"day": THU.isoformat(), "name": "Company trip"}
    )

    assert response.status_code == 302
    assert list(DayOff.objects.values_list("day", "name")) == [(THU, "Company trip")]
    assert calendar().count(MON, FRI) == 3
