from django.urls import path

from discounts import views

urlpatterns = [
    path("discounts/", views.discount_list, name="discount_list"),
    path("discounts/<int:pk>/", views.discount_detail, name="discount_detail"),
]
