from django.urls import path

from marketplace.community.views import feed, images, pages, reports, social

app_name = "community"

urlpatterns = [
    path("feed/", feed.feed, name="feed"),
    path("artists/<str:username>/", pages.artist, name="artist"),
    path("following/", social.following, name="following"),
    path("images/<int:pk>/", images.image, name="image"),
    path("images/<int:pk>/comments/", images.post_comment, name="comment-post"),
    path("comments/<int:pk>/delete/", images.delete_comment, name="comment-delete"),
    path("images/<int:pk>/like/", social.like, name="like"),
    path("people/<int:pk>/follow/", social.follow, name="follow"),
    path("report/<str:model>/<int:pk>/", reports.report, name="report"),
]
