from django.urls import path

from marketplace.community import views

app_name = "community"

urlpatterns = [
    path("feed/", views.feed, name="feed"),
    path("artists/<str:username>/", views.artist, name="artist"),
]
