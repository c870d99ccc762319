from django.urls import path

from marketplace.generations import views

app_name = "generations"

urlpatterns = [
    path("generate/", views.generate, name="generate"),
    path("generate/cost/", views.cost, name="cost"),
    path("generations/", views.mine, name="mine"),
    path("generations/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("generations/<int:pk>/visibility/", views.visibility, name="visibility"),
    path("generations/<int:pk>/delete/", views.delete, name="delete"),
]
