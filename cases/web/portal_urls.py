"""URLs of the portal pages (namespace portal): the client portal (cases/web/portal/)."""

from django.urls import path

from cases.web.portal import case_views, submit, views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("cases/", views.case_list, name="cases"),
    path("cases/<str:number>/", case_views.case_page, name="case"),
    path("cases/<str:number>/messages/", case_views.case_messages, name="case_messages"),
    path("cases/<str:number>/reply/", case_views.reply, name="reply"),
    path("cases/<str:number>/step/", case_views.step, name="step"),
    path("cases/<str:number>/rate/", case_views.rate, name="rate"),
    path("cases/<str:number>/attachments/<int:pk>/", case_views.attachment, name="attachment"),
    path("submit/", submit.submit, name="submit"),
    path("submit/<slug:kind>/", submit.submit, name="submit"),
    path("knowledge/", views.knowledge, name="knowledge"),
    path("knowledge/suggest/", views.suggest, name="suggest"),
    path("knowledge/<slug:slug>/", views.article, name="article"),
]
