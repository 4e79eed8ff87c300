"""Test personas, named as the people they stand for.

- alice: admin of partner Alpha (has a contract, deals, customers)
- sam:   a member (not admin) of Alpha
- bob:   admin of partner Beta, who must never see Alpha's data
- staff: VNG Cloud staff (superuser), no partner
- nobody: a logged-in user without any partner
"""

import sqlite3
from functools import partial

import pytest
from django.core.cache import cache
from django.test import testcases
from django.utils import translation

from tests.factories import (
    ContractFactory,
    DealFactory,
    MembershipFactory,
    PartnerFactory,
    ProductFactory,
    UserFactory,
)
from tests.settings_for_tests import EVERY_TEST


# tryfirst: pytest-xdist names the groups in the tests' ids in its own hook of this name,
# which pluggy calls before a conftest's (the plugin registered last runs first).
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """How pytest-xdist shares the tests out (`make test`: -n auto --dist loadgroup): a file's
    tests stay together on one worker, so its module fixtures (a second Django process, a
    worker, a seeded database) are built once; but the browser flows at each size go to their
    own group, as do the parts of a file that names the parameter splitting it
    (XDIST_SPLIT_BY: the staff pages' walk), so no long file keeps one core busy while the
    other waits."""
    for item in items:
        # A module may name a group it shares with others (XDIST_GROUP: the bench scripts).
        group = getattr(item.module, "XDIST_GROUP", None) or item.nodeid.split("::")[0]
        params = getattr(item, "callspec", None) and item.callspec.params
        if params and "ui" in params:
            group += "|" + params["ui"][0]  # the viewport: desktop or phone
        split = getattr(item.module, "XDIST_SPLIT_BY", None)  # a parameter that splits a file
        if params and split in params:
            group += f"|{params[split]}"
        # xdist adds "@group" to the test's id and reads the group after the last "@": so
        # no "@" (nor "]") in a group's name.
        item.add_marker(pytest.mark.xdist_group(group))
    # xdist hands the groups out in the order collected: the longest first (the bench
    # scripts, then the browser flows), so no long group starts last and leaves one core
    # working alone at the end. A file moves as a whole (its module fixtures are built once)
    # and keeps its place among the files of its tier.
    tiers: dict[str, int] = {}
    for item in items:
        path = item.nodeid.split("::")[0]
        tiers[path] = min(tiers.get(path, 3), _tier(item))
    items.sort(key=lambda item: tiers[item.nodeid.split("::")[0]])


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's, absent with -p no:xdist
def pytest_xdist_node_collection_finished(node, ids):
    """Each test's group is named in the id a pytest-xdist worker sends (`--dist loadgroup`):
    when none is (pytest 9.2 beside pytest-xdist 3.8), the groups are silently ignored and a
    file's tests go to both workers, each building the file's module fixtures. Stop instead."""
    if node.config.getvalue("dist") == "loadgroup" and ids and not any("@" in i for i in ids):
        pytest.exit(
            f"pytest-xdist put none of the {len(ids)} tests in a group: a pytest it does not "
            "support (pyproject.toml pins pytest below 9.2)",
            returncode=3,
        )


def _tier(item) -> int:
    if getattr(item.module, "XDIST_GROUP", None) == "bench-scripts":
        return 0
    if "browser" in item.keywords:
        return 1
    return 2 if "slow" in item.keywords else 3


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    """The test database starts as a copy of the migrated template (tests/migrated.py: a
    SQLite file, or a PostgreSQL template database) instead of applying every migration in
    each test process."""
    from django.core import management
    from django.db import connections

    from tests import migrated

    real = management.call_command

    def call_command(name, *args, **kwargs):
        connection = connections[kwargs.get("database", "default")]
        if name != "migrate" or connection.introspection.table_names():
            return real(name, *args, **kwargs)  # not a new, empty test database
        if connection.vendor == "sqlite" and connection.is_in_memory_db():
            copied = migrated.restore_into(connection)
            result = real(name, *args, **kwargs)  # applies what the copy lacks, if anything
            if not copied:
                migrated.save_from(connection)
            return result
        if connection.vendor == "postgresql":
            cloned = migrated.clone_into(connection)
            result = real(name, *args, **kwargs)  # as on SQLite
            if not cloned:
                migrated.save_as_template(connection)
            return result
        return real(name, *args, **kwargs)

    management.call_command = call_command  # Django's create_test_db imports it when called
    flush = testcases.call_command
    testcases.call_command = partial(_flush_to_snapshot, flush)
    yield
    management.call_command = real
    testcases.call_command = flush


# The database after a transactional test's first flush (per SQLite in-memory database):
# later flushes copy it back (milliseconds) instead of deleting every table's rows and making
# the content types and permissions again (post_migrate), about 0.1-0.2 s after each of the
# hundred-odd live-server tests.
_FLUSHED: dict = {}


def _flush_to_snapshot(real, name, *args, **kwargs):
    """Django's TransactionTestCase calls this (as `call_command`) to empty the database after
    a test: emptied the first time, then the emptied database copied back."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connections

    alias = kwargs.get("database", "default")
    connection = connections[alias]
    whole = not (kwargs.get("inhibit_post_migrate") or kwargs.get("allow_cascade"))
    if (
        name != "flush"
        or not whole
        or kwargs.get("reset_sequences")
        or connection.vendor != "sqlite"
        or not connection.is_in_memory_db()
    ):
        return real(name, *args, **kwargs)
    if alias in _FLUSHED:
        connection.ensure_connection()
        _FLUSHED[alias].backup(connection.connection)
        ContentType.objects.clear_cache()  # the copy's content types, as a flush makes anew
        return None
    result = real(name, *args, **kwargs)
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    connection.connection.backup(copy)
    _FLUSHED[alias] = copy
    return result


@pytest.fixture(autouse=True)
def _plain_static_and_local_media(settings, tmp_path):
    # No collectstatic in tests; files go to a throwaway folder.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    if "FileSystemStorage" in settings.STORAGES["default"]["BACKEND"]:
        settings.MEDIA_ROOT = str(tmp_path / "media")
    for name, value in EVERY_TEST.items():
        setattr(settings, name, value)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Sign-in limits and used 2FA codes live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _english(client, settings):
    """Tests read English text; the Vietnamese UI has its own tests (tests/test_i18n.py).

    The portal defaults to Vietnamese, so tests pick English the way a user does: with the
    language cookie (pages) and an active language (service messages).
    """
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def alpha(db):
    partner = PartnerFactory(name="Alpha Cloud Solutions")
    ContractFactory(partner=partner)
    return partner


@pytest.fixture
def beta(db):
    partner = PartnerFactory(name="Beta Integration JSC")
    ContractFactory(partner=partner)
    return partner


@pytest.fixture
def alice(alpha):
    return MembershipFactory(partner=alpha, user__email="alice@alpha.test", role="admin").user


@pytest.fixture
def sam(alpha):
    return MembershipFactory(partner=alpha, user__email="sam@alpha.test", role="member").user


@pytest.fixture
def bob(beta):
    return MembershipFactory(partner=beta, user__email="bob@beta.test", role="admin").user


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@vngcloud.test", is_staff=True, is_superuser=True)


@pytest.fixture
def nobody(db):
    return UserFactory(email="nobody@example.test")


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


@pytest.fixture
def alpha_deal(alpha, alice):
    """An approved, open Alpha deal in negotiation."""
    return DealFactory(partner=alpha, created_by=alice, approved=True, stage="negotiation")


@pytest.fixture
def beta_deal(beta, bob):
    return DealFactory(partner=beta, created_by=bob, approved=True, stage="proposal")


@pytest.fixture
def vserver(db):
    return ProductFactory(code="vserver", name="vServer")


@pytest.fixture
def vstorage(db):
    return ProductFactory(code="vstorage", name="vStorage")
