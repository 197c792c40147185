from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from memoria.accounts import twofactor_views, views
from memoria.accounts.twofactor_views import TwoFactorLoginView

app_name = "accounts"

urlpatterns = [
    # The password step of sign-in, then the second step (memoria.accounts.twofactor).
    path("accounts/login/", TwoFactorLoginView.as_view(), name="login"),
    path("accounts/two-factor/", twofactor_views.two_factor, name="two_factor"),
    path("accounts/two-factor/setup/", twofactor_views.two_factor_setup, name="two_factor_setup"),
    path("accounts/confirm/", twofactor_views.reauth, name="reauth"),
    path("accounts/", views.account, name="account"),
    path(
        "accounts/two-factor/recovery-codes/",
        twofactor_views.recovery_codes,
        name="recovery_codes",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="accounts/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "accounts/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/email/password_reset.txt",
            subject_template_name="accounts/email/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "accounts/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/complete/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
    path("invitations/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("o/<slug:slug>/", views.dashboard, name="dashboard"),
    path("o/<slug:slug>/members/", views.members, name="members"),
    path("o/<slug:slug>/members/invite/", views.invite, name="invite"),
    path("o/<slug:slug>/members/<int:member_id>/", views.change_member, name="change_member"),
    path(
        "o/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("o/<slug:slug>/settings/", views.organization_settings, name="organization_settings"),
]
