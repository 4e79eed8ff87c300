"""The API's rate limit, and the IETF httpapi draft's headers that tell a client where it
stands (draft-ietf-httpapi-ratelimit-headers):

    RateLimit-Policy: "default";q=300;w=60     300 requests in any 60 seconds, per token
    RateLimit: "default";r=287;t=41            287 left; the oldest counted request leaves
                                               the window in 41 s (a request comes back then)

Both come from the same counter as the 429 and its `Retry-After` (DRF's sliding window in the
shared cache): on a 429, `r=0` and `t` equals `Retry-After`.
"""

import math

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

POLICY = "default"


def policy_header() -> str:
    """`RateLimit-Policy` for API_RATE_LIMIT (also sent on answers no token was counted for)."""
    num, duration = SimpleRateThrottle.parse_rate(None, settings.API_RATE_LIMIT)
    return f'"{POLICY}";q={num};w={duration}'


class TokenRateThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per token, counted in the shared cache (Redis in production),
    so every app server counts against the same budget."""

    scope = "token"
    history: list | None = None

    def get_rate(self):
        # Read on every request (not once at import) so a setting change applies.
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if token is None:
            return None  # refused by authentication anyway
        return self.cache_format % {"scope": self.scope, "ident": token.pk}

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def peek(self, request, view) -> None:
        """Read the token's window without counting a request (an answer given before the
        throttle ran: a body too large, a token that lost its rights)."""
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return
        self.now = self.timer()
        self.history = [t for t in self.cache.get(self.key, []) if t > self.now - self.duration]

    def headers(self) -> dict[str, str]:
        """`RateLimit-Policy` and, once the token's window was read, `RateLimit`."""
        headers = {"RateLimit-Policy": f'"{POLICY}";q={self.num_requests};w={self.duration}'}
        if self.history is None:
            return headers
        remaining = max(0, self.num_requests - len(self.history))
        # The oldest request still counted leaves the window (and frees one) after `reset` s.
        reset = self.duration - (self.now - self.history[-1]) if self.history else 0
        reset = max(1 if remaining == 0 else 0, math.ceil(reset))  # as Retry-After on a 429
        headers["RateLimit"] = f'"{POLICY}";r={remaining};t={reset}'
        return headers
