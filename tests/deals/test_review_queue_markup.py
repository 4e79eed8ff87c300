"""The review queue's rows, written out by `{% queue_rows %}`, are the template loop they
replace, byte for byte: every kind of row (taken by me, by another reviewer with and without
a name, by nobody; a conflict, a possible duplicate, both; a refused row; ticked), for a
reviewer who may act and one who may only read, in English and Vietnamese, and the empty
queue with and without filters."""

import pytest
from django.contrib.auth.models import Permission
from django.template import Context, Template
from django.utils import translation

from deals.services import take_for_review
from tests.deals.test_review_queue_views import QUEUE, waiting
from tests.factories import CustomerFactory, DealFactory, UserFactory

pytestmark = pytest.mark.django_db

# The template loop as templates/admin/review_queue.html had it before the tag.
LOOP = """{% load i18n l10n humanize staff_pages %}
      {% url 'admin:deals_deal_changelist' as deals_url %}{% translate "sent" context "submitted on a day" as sent_label %}{% translate "due" context "due on a day" as due_label %}{% translate "Conflicting claim" as conflict_label %}{% translate "Possible duplicate" as duplicate_label %}
      {% localize off %}{# ids in attributes and URLs: no number formatting #}
      {% for row in rows %}{% with deal=row.deal %}
        <tr class="{% cycle 'row1' 'row2' %}{% if row.error %} queue-refused{% endif %}" data-deal="{{ deal.pk }}">
          {% if can_act %}<td><input type="checkbox" name="deal" value="{{ deal.pk }}" id="deal-{{ deal.pk }}"{% if deal.pk in ticked %} checked{% endif %} aria-labelledby="title-{{ deal.pk }}"></td>{% endif %}
          <th scope="row">
            <a href="{{ deals_url }}{{ deal.pk }}/change/" id="title-{{ deal.pk }}">{{ deal.title }}</a>
            {% if row.error %}<div class="queue-row-error" data-row-error>{{ row.error }}</div>{% endif %}
          </th>
          <td>{{ deal.partner.name }}</td>
          <td>{{ deal.customer.name }} <span class="quiet nowrap">({{ deal.customer.tax_code }})</span></td>
          <td class="num">{{ deal.estimated_value|intcomma }}</td>
          <td><span class="queue-age" data-age>{{ row.clock.age }}</span><br><span class="quiet nowrap">{{ sent_label }} {{ deal.submitted_at|default:deal.created_at|date:"SHORT_DATE_FORMAT" }}</span></td>
          <td><span class="sla sla-{{ row.clock.state }}" data-sla="{{ row.clock.state }}">{{ row.clock.state_label }}</span><br><span class="quiet nowrap">{{ due_label }} {{ row.clock.due|date:"SHORT_DATE_FORMAT" }}</span></td>
          <td>
            {% if deal.has_conflict %}<a class="flag flag-conflict" href="{{ deals_url }}{{ deal.pk }}/review/" data-flag="conflict">{{ conflict_label }}</a>{% endif %}
            {% if deal.has_duplicate %}{% if deal.has_conflict %}<br>{% endif %}<a class="flag" href="{% admin_list 'deals_deal' row.company_search %}" data-flag="duplicate">{{ duplicate_label }}</a>{% endif %}
            {% if not deal.has_conflict and not deal.has_duplicate %}<span class="quiet">—</span>{% endif %}
          </td>
          <td data-taken-by>
            {% if deal.review_taken_by_id == request.user.pk %}<strong>{% translate "You" %}</strong>{% if can_act %}<br><button type="submit" name="row_action" value="release:{{ deal.pk }}" class="button" aria-describedby="title-{{ deal.pk }}">{% translate "Give back" %}</button>{% endif %}
            {% elif deal.review_taken_by %}{{ deal.review_taken_by.get_full_name|default:deal.review_taken_by.email }}<br><span class="quiet nowrap">{{ deal.review_taken_at|date:"SHORT_DATETIME_FORMAT" }}</span>{% if can_act %}<br><button type="submit" name="row_action" value="take_over:{{ deal.pk }}" class="button" aria-describedby="title-{{ deal.pk }}">{% translate "Take over" %}</button>{% endif %}
            {% elif can_act %}<button type="submit" name="row_action" value="take:{{ deal.pk }}" class="button" aria-describedby="title-{{ deal.pk }}">{% translate "Take" %}</button>
            {% else %}<span class="quiet">—</span>{% endif %}
          </td>
        </tr>
      {% endwith %}{% empty %}
        <tr><td colspan="{% if can_act %}9{% else %}8{% endif %}">{% if filters.active %}{% translate "No registration waiting for review matches these filters." %}{% else %}{% translate "No registration is waiting for review." %}{% endif %}</td></tr>
      {% endfor %}
      {% endlocalize %}"""


def both(response):
    context = Context({**response.context_data, "request": response.wsgi_request})
    loop = Template(LOOP).render(context)
    tag = Template("{% load staff_pages %}{% queue_rows %}").render(context)
    # The loop's own lines around the rows (the url, translate and localize tags).
    return loop.removeprefix("\n      \n      \n      ").removesuffix("\n      "), tag


@pytest.fixture
def queue(staff, alpha, beta, alice, bob):
    lan = UserFactory(
        email="lan@vngcloud.test", first_name="Lan", last_name="Trần <b>", is_staff=True
    )
    nameless = UserFactory(email="x&y@vngcloud.test", first_name="", last_name="", is_staff=True)
    mine = waiting(alpha, alice, days_ago=30, title='Máy chủ "A" & <B>', estimated_value=1234567890)
    take_for_review(mine, by=staff)
    theirs = waiting(beta, bob, days_ago=9)
    take_for_review(theirs, by=lan)
    unnamed = waiting(beta, bob, days_ago=4)
    take_for_review(unnamed, by=nameless)
    conflicted = waiting(beta, bob, days_ago=3)
    DealFactory(partner=alpha, created_by=alice, approved=True, customer=conflicted.customer)
    twin = waiting(
        alpha,
        alice,
        days_ago=1,
        customer=CustomerFactory(tax_code=conflicted.customer.tax_code + "-001"),
    )
    waiting(alpha, alice, days_ago=0)
    return {"mine": mine, "theirs": theirs, "twin": twin, "lan": lan}


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_rows_are_the_loops_markup(client, staff, queue, language):
    client.force_login(staff)
    with translation.override(language):
        response = client.get(QUEUE, HTTP_ACCEPT_LANGUAGE=language)
        loop, tag = both(response)
    assert tag.count("<tr ") == 6 and "flag-conflict" in tag and 'data-flag="duplicate"' in tag
    assert loop == tag


def test_a_refused_and_ticked_row_is_the_loops_markup(client, staff, queue):
    client.force_login(queue["lan"])
    queue["lan"].user_permissions.add(
        *Permission.objects.filter(codename__in=["view_deal", "change_deal"])
    )
    response = client.post(
        QUEUE,
        {"action": "reject", "deal": [queue["mine"].pk, queue["twin"].pk], "reason": "Trùng."},
    )
    loop, tag = both(response)
    assert "queue-refused" in tag and " checked " in tag
    assert loop == tag


def test_a_reader_sees_the_loops_markup(client, queue):
    reader = UserFactory(email="reader@vngcloud.test", is_staff=True)
    reader.user_permissions.add(Permission.objects.get(codename="view_deal"))
    client.force_login(reader)
    loop, tag = both(client.get(QUEUE))
    assert "<button" not in tag and 'type="checkbox"' not in tag
    assert loop == tag


@pytest.mark.parametrize("params", [{}, {"overdue": "1"}])
def test_the_empty_queue_is_the_loops_markup(staff_client_empty, params):
    loop, tag = both(staff_client_empty.get(QUEUE, params))
    assert "No registration" in tag
    assert loop == tag


@pytest.fixture
def staff_client_empty(client, staff):
    client.force_login(staff)
    return client
