"""Rate limits read from settings at request time, so that deployments and tests can set them."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle


class AnonymousThrottle(AnonRateThrottle):
    """Limit anonymous clients per IP address (API_ANON_THROTTLE_RATE)."""

    def get_rate(self):
        return settings.API_ANON_THROTTLE_RATE


class TokenEndpointThrottle(SimpleRateThrottle):
    """Limit password guessing at the token endpoint per IP (API_TOKEN_THROTTLE_RATE)."""

    scope = "token"

    def get_rate(self):
        return settings.API_TOKEN_THROTTLE_RATE

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
