from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class TokenRateThrottle(SimpleRateThrottle):
    """API_RATE_LIMIT requests per token, counted in the shared cache (Redis in production),
    so every app server counts against the same budget."""

    scope = "token"

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
