"""POST /api/v1/auth/token/: a login's API token, behind the same lockout as the web login
(django-axes). DRF's view authenticates with its own request object, so the lockout flag axes
sets lands there and Axes' middleware never sees it: this view answers the 429 itself. The token
expires (accounts/tokens.py): asked for again, the same one comes back within its life, a new one after."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from accounts.tokens import token_for

from servicedesk.security import lockout_response


#: The answer: the login's token, for `Authorization: Token <token>`.
TOKEN = inline_serializer("AuthToken", fields={"token": serializers.CharField(
    help_text=_("Send it as “Authorization: Token <token>”; it expires API_TOKEN_MAX_AGE_DAYS days after it was "
                "issued."))})


class AuthTokenApi(ObtainAuthToken):
    # The username and password are the credentials here: a token or session sent along is not read (an
    # expired token still in the Authorization header answered 401 to the one call that renews it), and
    # the schema documents the call as needing no login.
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=AuthTokenSerializer, responses={
        200: OpenApiResponse(TOKEN, description='{"token": "…"}'),
        400: OpenApiResponse(description="Wrong username or password."),
        429: OpenApiResponse(description="Locked out after too many failures (Retry-After: seconds)."),
    })
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except ValidationError:
            if getattr(request, "axes_locked_out", False) or getattr(request._request, "axes_locked_out", False):
                return lockout_response(request._request)
            raise
        return Response({"token": token_for(serializer.validated_data["user"]).key})
