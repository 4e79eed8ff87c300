"""Prints `CONTRACT_TOKEN=<secret>`: a read-and-write API token of the demo partner admin
(alpha@example.com), for scripts/api_contract_check.sh.

Run with `manage.py shell -c "exec(open('scripts/contract/make_token.py').read())"` after
`seed_demo`.
"""

from api.services import create_api_token
from partners.models import Membership

membership = Membership.objects.select_related("partner", "user").get(
    user__email="alpha@example.com"
)
_token, secret = create_api_token(
    partner=membership.partner, by=membership.user, name="contract check", access="read_write"
)
print(f"CONTRACT_TOKEN={secret}")
