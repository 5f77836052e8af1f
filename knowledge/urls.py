from django.urls import path

from knowledge.apis import ArticleDetailApi, ArticleListApi, SuggestApi

urlpatterns = [
    path("articles/", ArticleListApi.as_view(), name="knowledge-articles"),
    path("articles/<slug:slug>/", ArticleDetailApi.as_view(), name="knowledge-article"),
    path("suggest/", SuggestApi.as_view(), name="knowledge-suggest"),
]
