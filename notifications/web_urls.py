"""URLs of the web pages' bell and inbox (namespace notifications_web, under /notifications/)."""

from django.urls import path

from notifications import web

app_name = "notifications_web"
urlpatterns = [
    path("", web.inbox, name="inbox"),
    path("bell/", web.bell, name="bell"),
    path("<int:pk>/open/", web.open_notice, name="open"),
]
