from django.urls import path

from marketplace.styles import studio, views

app_name = "styles"

urlpatterns = [
    path("styles/", views.catalog, name="catalog"),
    path("styles/<slug:slug>/", views.detail, name="detail"),
    path("studio/", studio.studio, name="studio"),
]
