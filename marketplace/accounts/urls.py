from django.urls import path

from marketplace.accounts import views

app_name = "accounts"

urlpatterns = [
    path("account/profile/", views.profile, name="profile"),
    path("account/profile/edit/", views.profile_edit, name="profile-edit"),
]
