from django.urls import path

from memoria.alerts import views

app_name = "alerts"

base = "o/<slug:slug>/alerts/"

urlpatterns = [
    path(base, views.alert_list, name="list"),
    path(base + "new/", views.alert_new, name="new"),
    path(base + "<int:urgent_alert_id>/", views.alert_detail, name="alert"),
    path(base + "templates/", views.template_list, name="templates"),
    path(base + "templates/new/", views.template_new, name="template_new"),
    path(base + "templates/<int:template_id>/", views.template_edit, name="template_edit"),
    path(base + "channels/", views.channel_list, name="channels"),
    path(base + "channels/new/<slug:kind>/", views.channel_new, name="channel_new"),
    path(base + "channels/<int:channel_id>/", views.channel_edit, name="channel"),
    path(base + "channels/<int:channel_id>/test/", views.channel_test, name="channel_test"),
    # The personal link in each urgent alert: no sign-in, the token is the key.
    path("alerts/received/<str:token>/", views.acknowledge, name="acknowledge"),
]
