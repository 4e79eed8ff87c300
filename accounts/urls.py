from django.urls import path

from accounts import security, team

urlpatterns = [
    # /team/tokens/ and /team/webhooks/ belong to the api app.
    path("team/", team.team, name="team"),
    path("team/invite/", team.team_invite, name="team_invite"),
    path("team/activity/", team.team_activity, name="team_activity"),
    path("team/activity/export.csv", team.team_activity_export, name="team_activity_export"),
    path("team/two-factor/", team.team_two_factor, name="team_two_factor"),
    path("team/<int:user_id>/role/", team.team_role, name="team_role"),
    path("team/<int:user_id>/deactivate/", team.team_deactivate, name="team_deactivate"),
    path("team/<int:user_id>/reactivate/", team.team_reactivate, name="team_reactivate"),
    path(
        "team/invitations/<int:pk>/revoke/",
        team.team_revoke_invitation,
        name="team_revoke_invitation",
    ),
    path("accounts/security/", security.security, name="account_security"),
    path("accounts/session/", security.session_check, name="account_session"),
    path(
        "accounts/security/sign-out-elsewhere/",
        security.sign_out_elsewhere,
        name="account_sign_out_elsewhere",
    ),
    path("accounts/invitation/<str:token>/", team.invitation_accept, name="invitation_accept"),
]
