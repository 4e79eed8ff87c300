"""Two beat processes drafting the same month at the same moment, on real PostgreSQL with a
connection each: every partner's statement exists once, with its lines once."""

import threading

from django.db import connection

from statements.models import Statement, StatementLine
from statements.services.drafting import draft_statements
from tests.postgres import needs_postgres
from tests.statements.conftest import OCTOBER, month_of, send

pytestmark = needs_postgres("SQLite's in-memory test database is not shared between threads")


def test_two_beats_draft_each_statement_exactly_once(alpha, account, october_discounts, vserver):
    send(month_of("acc-0001", "vserver", 100_000))
    barrier = threading.Barrier(2)
    outcomes, lock = [], threading.Lock()

    def beat():
        try:
            barrier.wait(timeout=10)
            result = draft_statements(OCTOBER)
        except Exception as error:  # reported by the assertion, not lost in the thread
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=beat) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == [0, 1]
    statement = Statement.objects.get(partner=alpha, month=OCTOBER)
    assert StatementLine.objects.filter(statement=statement).count() == 2
    assert statement.total == 262_000


def test_consumption_stored_while_the_month_is_drafted_is_never_lost(alpha, account, vserver):
    """Billing's batch is uncommitted when the beat drafts: the beat waits for it (the month's
    lock) and its draft counts the batch."""
    import time

    from django.db import transaction

    send(month_of("acc-0001", "vserver", 1000, days=10))  # committed: the beat sees Alpha
    stored, drafting = threading.Event(), threading.Event()
    outcomes = []

    def billing():
        try:
            with transaction.atomic():
                send(month_of("acc-0001", "vserver", 1000)[10:])  # the 11th to the 31st
                stored.set()
                drafting.wait(timeout=10)
                time.sleep(0.5)  # the beat is (most likely) waiting on the lock by now
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connection.close()

    def beat():
        try:
            stored.wait(timeout=10)
            drafting.set()
            outcomes.append(draft_statements(OCTOBER))
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=billing), threading.Thread(target=beat)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes == [1]
    assert Statement.objects.get(partner=alpha, month=OCTOBER).consumption == 31 * 1000
