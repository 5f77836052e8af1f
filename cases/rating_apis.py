"""The rating link's API, public (no login, throttled per address):
`GET /api/v1/ratings/{token}/` what is being rated and whether it is already;
`POST /api/v1/ratings/{token}/` {score 1–5, comment} → 201, once (409 after), 410 when the link
expired, 404 when it was tampered with."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import SatisfactionRating
from cases.services.ratings import case_for_rating, rating_submit
from servicedesk.shared_cache import SharedAnonRateThrottle


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 5})
class ScoreField(serializers.JSONField):
    """A score as sent, checked by the service (cases.services.ratings): a whole number from 1 to 5 (a form
    sends its digits as text); documented as the integer it is, not as any JSON value."""


class RatingInput(serializers.Serializer):
    score = ScoreField(help_text="1 to 5")
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class RatingTargetSerializer(serializers.Serializer):
    number = serializers.CharField()
    subject = serializers.CharField()
    kind = serializers.CharField()
    rated = serializers.BooleanField()


class RatingSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.number")

    class Meta:
        model = SatisfactionRating
        fields = ["case", "score", "comment", "created_at"]
        read_only_fields = fields


#: What a rating link may also answer (servicedesk/api_schema.py documents 400/404/409).
LINK_ANSWERS = {
    410: OpenApiResponse(OpenApiTypes.OBJECT, description="The rating link has expired."),
    429: OpenApiResponse(OpenApiTypes.OBJECT, description="Too many requests from this address; wait a minute."),
}


class RatingApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [SharedAnonRateThrottle]

    @extend_schema(responses={200: RatingTargetSerializer, **LINK_ANSWERS})
    def get(self, request, token: str):
        case = case_for_rating(token)
        rated = SatisfactionRating.objects.filter(case=case).exists()
        return Response(RatingTargetSerializer({"number": case.number, "subject": case.subject, "kind": case.kind,
                                                "rated": rated}).data)

    @extend_schema(request=RatingInput, responses={201: RatingSerializer, **LINK_ANSWERS})
    def post(self, request, token: str):
        case_for_rating(token)  # a bad link is told as such before the input is looked at
        data = RatingInput(data=request.data)
        data.is_valid(raise_exception=True)
        rating = rating_submit(token=token, score=data.validated_data["score"],
                               comment=data.validated_data["comment"])
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)
