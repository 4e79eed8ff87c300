from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from api.docs import api_docs
from api.views import batch, billing, deals, discounts, events, internal, statements, webhooks
from api.views.base import not_found

app_name = "api"

# Billing's schema: only the internal operations (the partners' schema leaves them out).
INTERNAL_SCHEMA = {
    "TITLE": "VNG Cloud Partner Portal: billing's internal API",
    "DESCRIPTION": "Billing reads pending top-ups and applies or fails each, with a service "
    "token made by VNG Cloud staff in admin.",
    "SCHEMA_PATH_PREFIX": "/api/internal/v1",
    "PREPROCESSING_HOOKS": ["api.docs.internal_only"],
}

urlpatterns = [
    path("v1/deals/", deals.DealList.as_view(), name="deal_list"),
    path("v1/deals/batch/", batch.DealBatch.as_view(), name="deal_batch"),
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
    path("v1/cloud-accounts/", billing.CloudAccountList.as_view(), name="cloud_account_list"),
    path(
        "v1/cloud-accounts/<int:pk>/",
        billing.CloudAccountDetail.as_view(),
        name="cloud_account_detail",
    ),
    path(
        "v1/cloud-accounts/<int:pk>/top-ups/",
        billing.CloudAccountTopUps.as_view(),
        name="cloud_account_top_ups",
    ),
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
    path("v1/statements/", statements.StatementList.as_view(), name="statement_list"),
    path("v1/statements/<int:pk>/", statements.StatementDetail.as_view(), name="statement_detail"),
    path(
        "v1/statements/<int:pk>/lines/", statements.StatementLines.as_view(), name="statement_lines"
    ),
    path("v1/statements/<int:pk>/pdf/", statements.StatementPDF.as_view(), name="statement_pdf"),
    path(
        "v1/e-invoices/<int:pk>/<str:kind>/",
        statements.EInvoiceFile.as_view(),
        name="einvoice_file",
    ),
    # Billing's internal API: service tokens only (api.views.internal).
    path(
        "internal/v1/consumption/",
        statements.ConsumptionBatch.as_view(),
        name="internal_consumption",
    ),
    path("internal/v1/e-invoices/", statements.EInvoiceCreate.as_view(), name="internal_einvoices"),
    path("internal/v1/top-ups/", internal.TopUpQueue.as_view(), name="internal_top_ups"),
    path(
        "internal/v1/top-ups/<int:pk>/",
        internal.TopUpDetail.as_view(),
        name="internal_top_up",
    ),
    path(
        "internal/v1/top-ups/<int:pk>/apply/",
        internal.TopUpApply.as_view(),
        name="internal_top_up_apply",
    ),
    path(
        "internal/v1/top-ups/<int:pk>/fail/",
        internal.TopUpFail.as_view(),
        name="internal_top_up_fail",
    ),
    path(
        "internal/v1/schema/",
        SpectacularAPIView.as_view(custom_settings=INTERNAL_SCHEMA),
        name="internal_schema",
    ),
    path("v1/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("v1/docs/", api_docs, name="docs"),
    re_path(r"^.*$", not_found),
]
