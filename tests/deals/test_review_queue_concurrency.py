"""Two reviewers pressing Take on one registration at the same moment, on real PostgreSQL
with a connection each: exactly one has it, the other is told who."""

import threading
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import connection

from deals.models import Deal
from deals.services import take_for_review
from notifications.models import Activity
from tests.factories import DealFactory, UserFactory
from tests.postgres import THREADS, needs_postgres

pytestmark = needs_postgres(THREADS)

ROUNDS = 10
REVIEWERS = 4


def test_of_reviewers_taking_one_registration_at_once_exactly_one_has_it(alpha, alice):
    reviewers = [UserFactory(email=f"r{i}@vngcloud.test", is_staff=True) for i in range(REVIEWERS)]
    for _ in range(ROUNDS):
        deal = DealFactory(partner=alpha, created_by=alice)
        barrier = threading.Barrier(REVIEWERS)
        outcomes, lock = [], threading.Lock()

        def press(user, pk=deal.pk, barrier=barrier, outcomes=outcomes, lock=lock):
            try:
                fresh = Deal.objects.get(pk=pk)
                barrier.wait(timeout=10)
                take_for_review(fresh, by=user)
                result = ("ok", user.pk)
            except ValidationError as error:
                result = (error.code, None)
            except Exception as error:  # reported by the assertion, not lost in the thread
                result = (repr(error), None)
            finally:
                connection.close()
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=press, args=(user,)) for user in reviewers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        codes = Counter(code for code, _user in outcomes)
        assert codes == {"ok": 1, "taken": REVIEWERS - 1}
        winner = next(user for code, user in outcomes if code == "ok")
        deal.refresh_from_db()
        assert deal.review_taken_by_id == winner
        assert Activity.objects.filter(action="review.taken", object_id=str(deal.pk)).count() == 1
