from django.urls import path

from memoria.places import views

app_name = "places"

urlpatterns = [
    path(
        "places/states/<str:code>/municipalities.json",
        views.state_municipalities,
        name="state_municipalities",
    ),
    path("places/municipalities/search.json", views.search_municipalities, name="search"),
]
