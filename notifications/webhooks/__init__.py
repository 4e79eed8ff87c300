"""Webhooks: a delivery channel beside e-mail and the bell.

- `models`: the partner's endpoints and the log of each delivery;
- `events`: the API's names of the outbox's kinds and an event's JSON (the catalogue);
- `transport`: which URLs may receive webhooks (vetting), signing, and the POST itself;
- `deliveries`: one delivery per (event, endpoint), claimed, sent, retried, swept;
- `services` / `selectors`: endpoint management and the partner's reads;
- `admin`: the staff's view of endpoints and deliveries.
"""
