"""Partner pages of the API: /team/tokens/ (and later /team/webhooks/)."""

from django.urls import path

from api import pages

urlpatterns = [
    path("tokens/", pages.token_list, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", pages.token_revoke, name="api_token_revoke"),
]
