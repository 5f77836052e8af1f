"""URLs of the console case page (inside the console namespace, under /console/cases/)."""

from django.urls import path

from cases.web.case_page import actions, views

urlpatterns = [
    path("<str:number>/", views.case_page, name="case"),
    path("<str:number>/part/<slug:part>/", views.case_part, name="case_part"),
    path("<str:number>/version/", views.case_version_poll, name="case_version"),
    path("<str:number>/articles/", views.case_articles, name="case_articles"),
    path("<str:number>/transitions/<slug:name>/", actions.transition, name="case_transition"),
    path("<str:number>/messages/", actions.message, name="case_message"),
    path("<str:number>/assign/", actions.assign, name="case_assign"),
    path("<str:number>/priority/", actions.priority, name="case_priority"),
    path("<str:number>/calls/", actions.call, name="case_call"),
]
