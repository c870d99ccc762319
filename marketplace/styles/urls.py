from django.urls import path

from marketplace.styles import views

app_name = "styles"

urlpatterns = [
    path("styles/", views.catalog, name="catalog"),
    path("styles/<slug:slug>/", views.detail, name="detail"),
    path("studio/", views.studio, name="studio"),
]
