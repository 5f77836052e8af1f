"""API tokens that expire (`Authorization: Token …`).

DRF's tokens live until the password changes: a token copied into a script, a log or a former
employee's laptop opened the API for ever. Here a token is good for API_TOKEN_MAX_AGE_DAYS from
when it was issued; after that the API answers 401 saying so, and `POST /api/v1/auth/token/`
(username and password again) issues a new one. Within its life the same token comes back."""

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed


def token_max_age() -> datetime.timedelta:
    return datetime.timedelta(days=settings.API_TOKEN_MAX_AGE_DAYS)


def token_expired(token: Token) -> bool:
    return token.created + token_max_age() <= timezone.now()


def token_for(user) -> Token:
    """The user's token, a new one when theirs has expired."""
    token, created = Token.objects.get_or_create(user=user)
    if not created and token_expired(token):
        token.delete()
        token = Token.objects.create(user=user)
    return token


class ExpiringTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise AuthenticationFailed(_("The token has expired: ask for a new one with your username and "
                                         "password (POST /api/v1/auth/token/)."), code="token_expired")
        return user, token
