"""/team/activity/: a partner admin reads their own organisation's activity log (and CSV);
members are refused; another partner's entries never show, while they exist."""

import csv
import io

import pytest

from accounts import services as team
from api.services import create_api_token
from deals.services import approve_deal, change_stage
from notifications.models import Activity
from tests.factories import DealFactory, MembershipFactory

pytestmark = pytest.mark.django_db

URL = "/team/activity/"


@pytest.fixture
def history(alice, sam, bob, staff, alpha, beta):
    """Entries for both partners: Alpha's team, a review by staff, Beta's own changes."""
    team.change_role(membership=sam.membership, role="admin", by=alice)
    deal = DealFactory(partner=alpha, created_by=alice, title="Alpha secret deal")
    approve_deal(deal, by=staff)
    change_stage(deal, "qualified", by=sam)
    create_api_token(partner=beta, by=bob, name="Beta ERP", access="read")
    beta_deal = DealFactory(partner=beta, created_by=bob, title="Beta secret deal")
    approve_deal(beta_deal, by=staff)
    return deal


def actions(response):
    return [row["entry"].action for row in response.context["rows"]]


def test_an_admin_reads_their_organisations_log_newest_first(alice_client, history, staff):
    response = alice_client.get(URL)

    assert response.status_code == 200
    assert actions(response) == ["deal.stage_changed", "deal.approved", "team.role_changed"]
    html = response.content.decode()
    assert f"{staff} (VNG Cloud)" in html
    assert "Beta" not in html  # Beta's entries exist (see below) and never show
    assert Activity.objects.filter(partner__name__startswith="Beta").count() == 2


def test_the_log_shows_before_and_after_in_words(alice_client, history):
    html = alice_client.get(URL).content.decode()

    assert "Role: Member → Admin" in html
    assert "Prospect → Qualified" in html
    assert f'href="/deals/{history.pk}/"' in html


def test_filters_by_kind_and_person(alice_client, history, alice, sam):
    assert actions(alice_client.get(URL, {"action": "team.role_changed"})) == ["team.role_changed"]
    assert actions(alice_client.get(URL, {"actor": sam.pk})) == ["deal.stage_changed"]
    assert actions(alice_client.get(URL, {"actor": "staff"})) == ["deal.approved"]
    # Another partner's person is not a choice: the filter is ignored, nothing leaks.
    bob_id = Activity.objects.get(action="api.token_created").actor_id
    assert actions(alice_client.get(URL, {"actor": bob_id})) == actions(alice_client.get(URL))


def test_pages_by_cursor(alice_client, alice, sam, settings):
    for _ in range(14):  # 28 entries: more than a page of 25
        team.change_role(membership=sam.membership, role="admin", by=alice)
        team.change_role(membership=sam.membership, role="member", by=alice)

    first = alice_client.get(URL)
    second = alice_client.get(URL, {"cursor": first.context["page"].next_cursor})

    ids = [row["entry"].pk for row in first.context["rows"] + second.context["rows"]]
    assert len(ids) == 28 == len(set(ids))
    assert ids == sorted(ids, reverse=True)


def test_csv_has_the_filtered_log(alice_client, history):
    response = alice_client.get("/team/activity/export.csv", {"action": "deal.approved"})

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["When", "Who", "Via", "What", "Object", "Changes", "Details"]
    assert [row[3] for row in rows[1:]] == ["Approved a registration"]
    assert rows[1][4] == "Alpha secret deal"


def test_csv_of_everything_has_no_other_partners_entries(alice_client, history):
    response = alice_client.get("/team/activity/export.csv")

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Alpha secret deal" in text
    assert "Beta" not in text


def test_members_are_refused(client, alpha, history):
    member = MembershipFactory(partner=alpha, role="member").user
    client.force_login(member)

    assert client.get(URL).status_code == 403
    assert client.get("/team/activity/export.csv").status_code == 403


def test_the_team_page_links_to_the_log(alice_client):
    assert 'href="/team/activity/"' in alice_client.get("/team/").content.decode()


def test_post_is_not_allowed(alice_client):
    assert alice_client.post(URL).status_code == 405
