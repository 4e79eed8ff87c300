from django.urls import path

from partners import team, views

urlpatterns = [
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/export.csv", views.customer_export, name="customer_export"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    # /team/tokens/ and /team/webhooks/ belong to the api app.
    path("team/", team.team, name="team"),
    path("team/invite/", team.team_invite, name="team_invite"),
    path("team/two-factor/", team.team_two_factor, name="team_two_factor"),
    path("team/<int:user_id>/role/", team.team_role, name="team_role"),
    path("team/<int:user_id>/deactivate/", team.team_deactivate, name="team_deactivate"),
    path("team/<int:user_id>/reactivate/", team.team_reactivate, name="team_reactivate"),
    path(
        "team/invitations/<int:pk>/revoke/",
        team.team_revoke_invitation,
        name="team_revoke_invitation",
    ),
]
