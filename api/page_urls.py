"""Partner pages of the API: /team/tokens/ and /team/webhooks/."""

from django.urls import path

from api import pages

urlpatterns = [
    path("tokens/", pages.token_list, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", pages.token_revoke, name="api_token_revoke"),
    path("webhooks/", pages.webhook_list, name="api_webhooks"),
    path("webhooks/<int:pk>/delete/", pages.webhook_delete, name="api_webhook_delete"),
    path("webhooks/<int:pk>/rotate/", pages.webhook_rotate, name="api_webhook_rotate"),
    path("webhooks/<int:pk>/test/", pages.webhook_test, name="api_webhook_test"),
    path("webhooks/<int:pk>/pause/", pages.webhook_pause, name="api_webhook_pause"),
    path(
        "webhooks/deliveries/<int:pk>/redeliver/",
        pages.webhook_redeliver,
        name="api_webhook_redeliver",
    ),
]
