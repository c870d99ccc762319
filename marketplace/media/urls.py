from django.conf import settings
from django.urls import re_path

from marketplace.media import views

app_name = "media"

urlpatterns = [
    re_path(rf"^{settings.MEDIA_URL.strip('/')}/(?P<name>.+)$", views.media, name="file"),
]
