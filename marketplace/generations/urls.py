from django.urls import path
from django.views.generic import RedirectView

from marketplace.generations import views

app_name = "generations"

urlpatterns = [
    path("generate/", views.generate, name="generate"),
    path("generate/cost/", views.cost, name="cost"),
    path("generations/", views.mine, name="mine"),
    # The image's page moved to community:image; links already sent (notifications, bookmarks) follow it.
    path("generations/<int:pk>/", RedirectView.as_view(pattern_name="community:image", permanent=True)),
    path("generations/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("generations/<int:pk>/visibility/", views.visibility, name="visibility"),
    path("generations/<int:pk>/delete/", views.delete, name="delete"),
]
