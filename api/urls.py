from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api.docs import api_docs
from api.views import deals, discounts, events, webhooks
from api.views.base import not_found

app_name = "api"

urlpatterns = [
    path("v1/deals/", deals.DealList.as_view(), name="deal_list"),
    path("v1/deals/<int:pk>/", deals.DealDetail.as_view(), name="deal_detail"),
    path("v1/deals/<int:pk>/stage/", deals.DealStage.as_view(), name="deal_stage"),
    path("v1/deals/<int:pk>/notes/", deals.DealNotes.as_view(), name="deal_notes"),
    path(
        "v1/deals/<int:pk>/attachments/",
        deals.DealAttachments.as_view(),
        name="deal_attachments",
    ),
    path(
        "v1/deals/<int:deal_pk>/attachments/<int:pk>/",
        deals.AttachmentDetail.as_view(),
        name="attachment_detail",
    ),
    path("v1/discounts/", discounts.DiscountList.as_view(), name="discount_list"),
    path("v1/discounts/<int:pk>/", discounts.DiscountDetail.as_view(), name="discount_detail"),
    path(
        "v1/discounts/<int:pk>/customer-discounts/",
        discounts.CustomerDiscountList.as_view(),
        name="customer_discount_list",
    ),
    path(
        "v1/discounts/<int:pk>/customer-discounts/<int:cd_pk>/",
        discounts.CustomerDiscountDetail.as_view(),
        name="customer_discount_detail",
    ),
    path(
        "v1/discounts/<int:pk>/customer-discounts/<int:cd_pk>/revoke/",
        discounts.CustomerDiscountRevoke.as_view(),
        name="customer_discount_revoke",
    ),
    path("v1/customers/", discounts.CustomerList.as_view(), name="customer_list"),
    path("v1/customers/<int:pk>/", discounts.CustomerDetail.as_view(), name="customer_detail"),
    path("v1/products/", discounts.ProductList.as_view(), name="product_list"),
    path("v1/events/", events.EventList.as_view(), name="event_list"),
    path("v1/webhook-endpoints/", webhooks.WebhookEndpointList.as_view(), name="webhook_list"),
    path(
        "v1/webhook-endpoints/<int:pk>/",
        webhooks.WebhookEndpointDetail.as_view(),
        name="webhook_detail",
    ),
    path(
        "v1/webhook-endpoints/<int:pk>/rotate-secret/",
        webhooks.WebhookEndpointRotate.as_view(),
        name="webhook_rotate",
    ),
    path(
        "v1/webhook-endpoints/<int:pk>/test/",
        webhooks.WebhookEndpointTest.as_view(),
        name="webhook_test",
    ),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs/", api_docs, name="docs"),
    re_path(r"^.*$", not_found),
]
