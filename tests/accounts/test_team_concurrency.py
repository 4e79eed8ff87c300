"""Two admins removing each other at the same moment, on real PostgreSQL connections."""

import threading

import pytest
from django.db import connection

from accounts import services
from partners.models import Membership, User
from tests.postgres import THREADS, needs_postgres

pytestmark = needs_postgres(THREADS)

ROUNDS = 10


def race(*changes):
    barrier = threading.Barrier(len(changes))
    outcomes = []
    lock = threading.Lock()

    def run(change):
        try:
            barrier.wait(timeout=10)
            change()
            result = "ok"
        except services.TeamError:
            result = "refused"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(change,)) for change in changes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.parametrize("how", ["demote", "deactivate", "one_of_each"])
def test_two_admins_removing_each_other_leave_one_admin(alpha, alice, sam, how):
    for _round in range(ROUNDS):
        Membership.objects.filter(partner=alpha).update(role="admin")
        User.objects.filter(pk__in=[alice.pk, sam.pk]).update(is_active=True)
        a, s = Membership.objects.get(user=alice), Membership.objects.get(user=sam)

        def demote(target, by):
            return lambda: services.change_role(membership=target, role="member", by=by)

        def deactivate(target, by):
            return lambda: services.deactivate_user(membership=target, by=by)

        first, second = {
            "demote": (demote, demote),
            "deactivate": (deactivate, deactivate),
            "one_of_each": (demote, deactivate),
        }[how]
        outcomes = race(first(s, alice), second(a, sam))

        assert outcomes == ["ok", "refused"]
        active_admins = Membership.objects.filter(
            partner=alpha, role="admin", user__is_active=True
        ).count()
        assert active_admins == 1
