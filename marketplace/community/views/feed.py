from django.contrib.auth.views import redirect_to_login
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRedirect

from marketplace.community.feed import FeedTagsForm, Tab, artists_to_follow, feed_page
from marketplace.core.htmx import render_page
from marketplace.core.pagecache import anonymous_cache_page
from marketplace.core.types import HtmxHttpRequest


@require_safe
@anonymous_cache_page
def feed(request: HtmxHttpRequest):
    """Public images by tab (latest, following, top this week), filtered by prompt tags, 20 at a time.

    htmx asks for `feed` (tabs, filter and list) when a tab or the filter changes, and for `feed-page`
    (the next cards and the "More" link) when the last card scrolls into view.
    """
    tab = Tab(request.GET["tab"]) if request.GET.get("tab") in Tab.values else Tab.LATEST
    if tab == Tab.FOLLOWING and not request.user.is_authenticated:
        to_login = redirect_to_login(request.get_full_path())
        # htmx would follow a plain redirect and swap the login page into the feed; send the browser there.
        return HttpResponseClientRedirect(to_login.url) if request.htmx else to_login
    tags = FeedTagsForm(request.GET)
    cursor = request.GET.get("cursor")
    page = feed_page(tab=tab, viewer=request.user, tags=tags, cursor=cursor)
    suggestions = []
    if tab == Tab.FOLLOWING and page.is_first and not page.object_list:
        suggestions = artists_to_follow(viewer=request.user)
    context = {"tab": tab, "tabs": Tab, "tags_form": tags, "page": page, "suggestions": suggestions}
    fragment = "feed-page" if cursor else "feed"
    return render_page(request, "community/feed.html", context, fragment=fragment)
