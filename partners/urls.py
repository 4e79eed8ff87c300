from django.urls import path

from partners import views

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/export.csv", views.customer_export, name="customer_export"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
]
