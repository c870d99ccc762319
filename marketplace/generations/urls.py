from django.urls import path

from marketplace.generations import views

app_name = "generations"

urlpatterns = [
    path("generations/<int:pk>/", views.detail, name="detail"),
]
