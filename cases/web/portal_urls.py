"""URLs of the portal pages (namespace portal): the client portal (cases/web/portal/)."""

from django.urls import path, re_path

from cases.web.portal import account, case_views, submit, views

app_name = "portal"
CASE = r"^cases/(?P<number>[A-Za-z0-9-]{1,20})/"  # what a case number can be, so nothing else reaches the database
urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="cases"),
    re_path(r"^accounts/(?P<account_no>[A-Za-z0-9_.-]{1,32})/$", account.account_page, name="account"),
    re_path(CASE + r"$", case_views.case_page, name="case"),
    re_path(CASE + r"messages/$", case_views.case_messages, name="case_messages"),
    re_path(CASE + r"reply/$", case_views.reply, name="reply"),
    re_path(CASE + r"step/$", case_views.step, name="step"),
    re_path(CASE + r"rate/$", case_views.rate, name="rate"),
    re_path(CASE + r"attachments/(?P<pk>[0-9]{1,18})/$", case_views.attachment, name="attachment"),
    path("submit/", submit.submit, name="submit"),
    path("submit/<slug:kind>/", submit.submit, name="submit"),
    path("settings/", views.preferences, name="preferences"),
    path("knowledge/", views.knowledge, name="knowledge"),
    path("knowledge/suggest/", views.suggest, name="suggest"),
    path("knowledge/<slug:slug>/", views.article, name="article"),
]
