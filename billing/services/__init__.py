"""Writes of the money loop, one function per state change (docs/architecture.md).

- `accounts.py`: link or request a customer's cloud account, the customer's confirmation,
  staff's approval, and the link following the customer's ownership;
- `credit.py`: the ledger (payments recorded by staff), top-ups and billing's answer to each;
- `tokens.py`: billing's service tokens for the internal API.
"""

from partners.services import follow_ownership


def register_ownership_follower() -> None:
    """Called once by BillingConfig.ready: cloud-account links move with their customer."""
    from billing.services.accounts import follow_customer_owner

    follow_ownership(follow_customer_owner)
