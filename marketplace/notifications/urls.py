from django.urls import path

from marketplace.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all/", views.mark_all_read, name="mark-all-read"),
    path("notifications/<int:pk>/read/", views.mark_read, name="mark-read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="open"),
    path("notifications/bell/", views.bell, name="bell"),
    path("notifications/settings/", views.notification_settings, name="settings"),
]
