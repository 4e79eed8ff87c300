import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory


@pytest.fixture
def reviewer(db, settings):
    """A staff member in the reviewers group (hears of registrations and conflicts)."""
    user = UserFactory(email="reviewer@vngcloud.test", is_staff=True)
    user.groups.add(Group.objects.get_or_create(name=settings.NOTIFICATION_REVIEWERS_GROUP)[0])
    return user


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run a block and the after-commit hand-offs it queued (in-process, no broker)."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run
