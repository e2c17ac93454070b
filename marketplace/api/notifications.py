"""A person's notifications (takedowns of assets they licensed)."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from common.errors import NotFound
from marketplace.api import docs
from marketplace.models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "asset_id", "message", "created_at", "read_at"]


@extend_schema(tags=["accounts"])
class NotificationListView(ListAPIView):
    serializer_class = NotificationSerializer

    def get_queryset(self):
        return Notification.objects.filter(user=self.request.user)

    @extend_schema(
        summary="Your notifications, newest first",
        responses={200: NotificationSerializer(many=True), 401: docs.UNAUTHENTICATED},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["accounts"])
class NotificationReadView(APIView):
    @extend_schema(
        summary="Mark a notification read",
        request=None,
        responses={200: NotificationSerializer, 401: docs.UNAUTHENTICATED, 404: docs.NOT_FOUND},
    )
    def post(self, request, pk: int):
        notification = Notification.objects.filter(pk=pk, user=request.user).first()
        if notification is None:
            raise NotFound("No notification of yours has this id.")
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
        return Response(NotificationSerializer(notification).data)
