from django.urls import path

from billing import views

urlpatterns = [
    path("cloud-accounts/", views.cloud_account_list, name="cloud_account_list"),
    path("cloud-accounts/credit/", views.credit_ledger, name="cloud_account_credit"),
    path("cloud-accounts/top-ups/", views.top_up_list, name="top_up_list"),
    path("cloud-accounts/top-ups/<int:pk>/", views.top_up_detail, name="top_up_detail"),
    path("cloud-accounts/<int:pk>/", views.cloud_account_detail, name="cloud_account_detail"),
    path(
        "cloud-accounts/<int:pk>/cancel/",
        views.cloud_account_cancel,
        name="cloud_account_cancel",
    ),
    path(
        "cloud-accounts/<int:pk>/top-up/", views.cloud_account_top_up, name="cloud_account_top_up"
    ),
    path(
        "cloud-accounts/<int:pk>/resend/",
        views.cloud_account_resend,
        name="cloud_account_resend",
    ),
    path(
        "customers/<int:pk>/cloud-accounts/new/",
        views.cloud_account_request,
        name="cloud_account_request",
    ),
    # The customer's page, outside the partner's login: the token is the credential.
    path(
        "cloud-accounts/confirm/<str:token>/",
        views.cloud_account_confirm,
        name="cloud_account_confirm",
    ),
]
