from django.urls import path

from statements import views

urlpatterns = [
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/confirm/", views.statement_confirm, name="statement_confirm"),
    path("statements/<int:pk>/dispute/", views.statement_dispute, name="statement_dispute"),
    path("statements/<int:pk>/messages/", views.statement_message, name="statement_message"),
    path("statements/<int:pk>/csv/", views.statement_csv, name="statement_csv"),
    path("statements/<int:pk>/pdf/", views.statement_pdf, name="statement_pdf"),
    path(
        "statements/e-invoices/<int:pk>/<str:kind>/",
        views.einvoice_download,
        name="statement_einvoice",
    ),
]
