from django.contrib import admin
from django.urls import include, path
from django.views.decorators.cache import cache_page
from django.views.i18n import JavaScriptCatalog

from marketplace.community import views as community_views
from marketplace.core import views as core_views
from marketplace.core.metrics import metrics_view
from marketplace.ledger import webhooks as payment_webhooks

urlpatterns = [
    path("", community_views.home, name="home"),
    path("api/health", core_views.health, name="health"),
    path("api/ready", core_views.ready, name="ready"),
    path("metrics", metrics_view, name="metrics"),
    path("api/payments/<slug:provider>/webhook", payment_webhooks.payment_webhook, name="payment-webhook"),
    path("api/", include("marketplace.webhooks.urls")),
    # gettext() and friends for static/js (the strings of this project's djangojs catalog), cached a day.
    path("jsi18n/", cache_page(60 * 60 * 24)(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("marketplace.accounts.urls")),
    path("", include("marketplace.styles.urls")),
    path("", include("marketplace.generations.urls")),
    path("", include("marketplace.ledger.urls")),
    path("", include("marketplace.community.urls")),
    path("", include("marketplace.notifications.urls")),
    # Every stored file, in every mode and with DEBUG on or off, through the authorising view.
    path("", include("marketplace.media.urls")),
]
