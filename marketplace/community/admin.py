from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy

from marketplace.community.models import Comment, Follow, Like


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    list_display = ("follower", "following", "created_at")
    search_fields = ("follower__username", "follower__email", "following__username", "following__email")
    date_hierarchy = "created_at"
    list_select_related = ("follower", "following")
    autocomplete_fields = ("follower", "following")


@admin.register(Like)
class LikeAdmin(admin.ModelAdmin):
    list_display = ("user", "generation", "created_at")
    search_fields = ("user__username", "user__email", "generation__prompt")
    date_hierarchy = "created_at"
    list_select_related = ("user", "generation__style")
    autocomplete_fields = ("user", "generation")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("user", "excerpt", "generation", "created_at")
    search_fields = ("body", "user__username", "user__email")
    date_hierarchy = "created_at"
    list_select_related = ("user", "generation__style")
    autocomplete_fields = ("user", "generation")

    @admin.display(description=gettext_lazy("comment"), ordering="body")
    def excerpt(self, obj: Comment) -> str:
        return Truncator(obj.body).chars(80)
