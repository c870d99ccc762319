"""The application's URLs plus `bench/bare/`: what a request costs with no database and no template."""

from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    return HttpResponse("ok")


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("config.urls")),
]
