"""Token authentication that reads the token once per request."""

from rest_framework import authentication

CHECKED = "_api_token_authentication"


class TokenAuthentication(authentication.TokenAuthentication):
    """DRF's token authentication, reusing the answer the conditional-GET middleware found.

    ApiConditionalGetMiddleware checks a request's credentials before the view
    to answer If-None-Match; the view would otherwise look the token up again.
    """

    def authenticate(self, request):
        django_request = getattr(request, "_request", request)
        checked = getattr(django_request, CHECKED, None)
        if checked is not None:
            return checked
        result = super().authenticate(request)
        setattr(django_request, CHECKED, result)
        return result
