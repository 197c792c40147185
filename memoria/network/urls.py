from django.urls import path

from memoria.network import agreement_views, figures_views, views

app_name = "network"

base = "o/<slug:slug>/network/"
referrals = base + "referrals/"
referral = referrals + "<int:referral_id>/"
agreements = base + "agreements/"
agreement = agreements + "<int:agreement_id>/"

urlpatterns = [
    path(base, views.directory, name="directory"),
    path(base + "profile/", views.profile_edit, name="profile_edit"),
    path(base + "organizations/<slug:partner>/", views.partner, name="partner"),
    path(base + "figures/", figures_views.network_figures, name="figures"),
    path(referrals, views.referral_list, name="referrals"),
    path(referrals + "report/", views.referral_report, name="report"),
    path(referrals + "new/case/<int:event_id>/", views.referral_new_case, name="new_case"),
    path(referrals + "new/person/<int:person_id>/", views.referral_new_person, name="new_person"),
    path(referral, views.referral_detail, name="referral"),
    path(referral + "answer/", views.referral_answer, name="answer"),
    path(referral + "progress/", views.referral_progress, name="progress"),
    path(referral + "close/", views.referral_close, name="close"),
    path(referral + "follow-up/", views.referral_follow_up, name="follow_up"),
    path(agreements, agreement_views.agreement_list, name="agreements"),
    path(agreements + "new/", agreement_views.agreement_new, name="agreement_new"),
    path(agreement, agreement_views.agreement_detail, name="agreement"),
    path(agreement + "answer/", agreement_views.agreement_answer, name="agreement_answer"),
    path(agreement + "revoke/", agreement_views.agreement_revoke, name="agreement_revoke"),
    path(
        agreements + "remote/new/",
        agreement_views.remote_agreement_new,
        name="remote_agreement_new",
    ),
    path(
        agreements + "remote/<int:agreement_id>/",
        agreement_views.remote_agreement_detail,
        name="remote_agreement",
    ),
    path(
        agreements + "remote/<int:agreement_id>/revoke/",
        agreement_views.remote_agreement_revoke,
        name="remote_agreement_revoke",
    ),
]
