from django.urls import path

from discounts import views

urlpatterns = [
    path("discounts/", views.discount_list, name="discount_list"),
    path("discounts/export.csv", views.discount_export, name="discount_export"),
    path("discounts/<int:pk>/", views.discount_detail, name="discount_detail"),
    path(
        "discounts/<int:pk>/customer-discounts/new/",
        views.customer_discount_create,
        name="discount_customer_create",
    ),
    path(
        "discounts/<int:pk>/customer-discounts/<int:cd_pk>/revoke/",
        views.customer_discount_revoke,
        name="discount_customer_revoke",
    ),
]
