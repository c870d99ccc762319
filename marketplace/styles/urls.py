from django.urls import path

from marketplace.styles import studio, views

app_name = "styles"

urlpatterns = [
    path("styles/", views.catalog, name="catalog"),
    path("styles/<slug:slug>/", views.detail, name="detail"),
    path("tags/", views.tags, name="tags"),
    path("tags/suggest/", views.tag_suggest, name="tag-suggest"),
    path("styles/artists/suggest/", views.artist_suggest, name="artist-suggest"),
    path("studio/", studio.studio, name="studio"),
    path("studio/become-artist/", studio.become_artist, name="become-artist"),
    path("studio/new/", studio.style_new, name="new"),
    path("studio/styles/<int:pk>/", studio.style_status, name="status"),
    path("studio/styles/<int:pk>/edit/", studio.style_edit, name="edit"),
    path("studio/styles/<int:pk>/delete/", studio.style_remove, name="delete"),
]
