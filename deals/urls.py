from django.urls import path

from deals import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("deals/", views.deal_list, name="deal_list"),
    path("deals/export.csv", views.deal_export, name="deal_export"),
    path("reports/", views.report_page, name="reports"),
    path("deals/new/", views.deal_register, name="deal_register"),
    path("deals/<int:pk>/", views.deal_detail, name="deal_detail"),
    path("deals/<int:pk>/edit/", views.deal_resubmit, name="deal_resubmit"),
    path("deals/<int:pk>/stage/", views.stage_update, name="deal_stage"),
    path("deals/<int:pk>/notes/", views.note_add, name="deal_note_add"),
    path("deals/<int:pk>/attachments/", views.attachment_add, name="deal_attachment_add"),
    path(
        "deals/<int:deal_pk>/attachments/<int:pk>/",
        views.attachment_download,
        name="attachment_download",
    ),
    path(
        "deals/<int:deal_pk>/attachments/<int:pk>/thumbnail/",
        views.attachment_thumbnail,
        name="attachment_thumbnail",
    ),
]
