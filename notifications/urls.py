from django.urls import path

from notifications.apis import InboxApi, InboxReadAllApi, InboxReadApi, PreferenceApi

urlpatterns = [
    path("notifications/", InboxApi.as_view(), name="notifications"),
    path("notifications/preferences/", PreferenceApi.as_view(), name="notification-preferences"),
    path("notifications/read-all/", InboxReadAllApi.as_view(), name="notifications-read-all"),
    path("notifications/<int:pk>/read/", InboxReadApi.as_view(), name="notification-read"),
]
