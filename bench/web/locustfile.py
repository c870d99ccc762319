"""What people do on Atelier, for Locust: visitors browsing, signed-in buyers generating, and a bare baseline.

Driven by bench/web/run.py and by the CI smoke load (marketplace/core/tests/test_smoke_load.py). Pick the
user classes on the command line (`AnonymousUser`, `SignedInUser`, `BareUser`). Environment:

- BENCH_WEB_TARGETS: a JSON file with the seeded URLs' variable parts (bench/web/seed_scale.py `targets()`):
  slugs, busiest_slug, tags, most_liked_path, image_paths, artist_paths, usernames, deep_catalog_cursor,
  deep_feed_cursor. Signed-in users log in as `<username>@bench.invalid` with BENCH_WEB_PASSWORD
  (default "bench-password"), the seed's addresses and password.
- BENCH_WEB_WAIT: think time between tasks in seconds, "0" (closed loop: capacity), "1" or "1-3".
- BENCH_WEB_POLLS: how many times a job card is polled (every 2 s, as the page does) before giving up.

Requests are made the way the browser makes them: htmx requests carry `HX-Request: true` (and, for a
POST, `X-CSRFToken` from the csrftoken cookie, as static/js/atelier.js does); the feed's infinite scroll
follows the "More" URL each fragment returns. Each request is named for the results table; a signed-in
user's page views are named apart ("... (signed in)") because they are not served from the page cache.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
from urllib.parse import urljoin

import gevent
from locust import between, constant, tag
from locust.contrib.fasthttp import FastHttpUser
from locust.user import task

low, _, high = os.environ.get("BENCH_WEB_WAIT", "0").partition("-")
THINK = between(float(low), float(high)) if high else constant(float(low))
PASSWORD = os.environ.get("BENCH_WEB_PASSWORD", "bench-password")
EMAIL = "{username}@bench.invalid"
POLLS = int(os.environ.get("BENCH_WEB_POLLS", "15"))
POLL_SECONDS = 2  # the job card's hx-trigger="every 2s"
# "More" fragments fetched after a feed's first page, as a reader scrolls (0: the first page only, for run.py's
# single-page capacity passes, which pick a task by its tag: `locust --tags feed`).
SCROLL_PAGES = int(os.environ.get("BENCH_WEB_SCROLL_PAGES", "3"))
FINISHED = 286  # htmx's "stop polling": the job is over

# The feed fragment's "More" link (templates/community/feed.html, partial feed-page).
MORE = re.compile(r'class="load-more">\s*<a href="([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
GENERATE_FORM = re.compile(r'<form id="generate-form".*?</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
JOB_CARD = re.compile(r'id="job-\d+"[^>]*?hx-get="([^"]+)"', re.S)

_targets: dict | None = None


def targets() -> dict:
    global _targets
    if _targets is None:
        with open(os.environ["BENCH_WEB_TARGETS"]) as file:
            _targets = json.load(file)
    return _targets


class BareUser(FastHttpUser):
    """No database, no template: what a request costs this server at least (bench/web/urls.py)."""

    wait_time = THINK

    @task
    def bare(self):
        self.client.get("/bench/bare/", name="bare")


class Browsing(FastHttpUser):
    """The public pages, weighted as a visitor moves through them: style and image pages most."""

    abstract = True
    wait_time = THINK
    suffix = ""

    def name(self, page: str) -> str:
        return page + self.suffix

    def tags(self, count: int) -> str:
        return ",".join(random.sample(targets()["tags"], count))

    def fragment(self, url: str, name: str):
        """A GET as htmx makes it: the server answers with the partial only."""
        return self.client.get(url, name=name, headers={"HX-Request": "true"})

    @task(3)
    def home(self):
        self.client.get("/", name=self.name("home"))

    @tag("catalog")
    @task(3)
    def catalog(self):
        self.client.get("/styles/", name=self.name("catalog"))

    @task(2)
    def catalog_tags_all(self):
        self.client.get(f"/styles/?tags={self.tags(2)}", name=self.name("catalog ?tags= (all of 2)"))

    @task(1)
    def catalog_tags_any_not(self):
        self.client.get(
            f"/styles/?tags_any={self.tags(3)}&tags_not={self.tags(1)}",
            name=self.name("catalog ?tags_any=&tags_not="),
        )

    @task(1)
    def catalog_popular(self):
        self.client.get("/styles/?sort=popular", name=self.name("catalog ?sort=popular"))

    @task(1)
    def catalog_deep(self):
        self.client.get(f"/styles/?cursor={targets()['deep_catalog_cursor']}", name=self.name("catalog deep cursor"))

    @task(4)
    def style(self):
        self.client.get(f"/styles/{random.choice(targets()['slugs'])}/", name=self.name("style"))

    @task(1)
    def style_busiest(self):
        self.client.get(f"/styles/{targets()['busiest_slug']}/", name=self.name("style (busiest)"))

    @tag("feed")
    @task(3)
    def feed_scroll(self):
        """The feed, then the next pages as the last card scrolls into view (hx-trigger="revealed")."""
        response = self.client.get("/feed/", name=self.name("feed"))
        for _ in range(SCROLL_PAGES):
            more = MORE.search(response.text or "")
            if not more:
                return
            response = self.fragment(urljoin("/feed/", html.unescape(more.group(1))), self.name("feed more (htmx)"))

    @task(1)
    def feed_deep(self):
        """A reader far down the feed: a deep cursor, then one more page from there."""
        url = f"/feed/?cursor={targets()['deep_feed_cursor']}"
        response = self.fragment(url, self.name("feed deep (htmx)"))
        more = MORE.search(response.text or "")
        if more:
            self.fragment(urljoin("/feed/", html.unescape(more.group(1))), self.name("feed deep (htmx)"))

    @task(4)
    def image(self):
        self.client.get(random.choice(targets()["image_paths"]), name=self.name("image"))

    @task(1)
    def image_most_liked(self):
        self.client.get(targets()["most_liked_path"], name=self.name("image (most liked)"))

    @task(2)
    def artist(self):
        self.client.get(random.choice(targets()["artist_paths"]), name=self.name("artist"))


class AnonymousUser(Browsing):
    """A visitor who is not signed in: every page may come from the anonymous page cache."""

    weight = 3  # in a mixed run, three visitors browse for each buyer signed in


class SignedInUser(Browsing):
    """A buyer: logs in through the login form, browses, generates and watches the job, likes, comments."""

    weight = 1
    suffix = " (signed in)"

    def on_start(self):
        """allauth's form, as a person fills it in: its CSRF token, then a POST that redirects home."""
        username = random.choice(targets()["usernames"])
        page = self.client.get("/accounts/login/", name="login form")
        token = CSRF_FIELD.search(page.text or "")
        with self.client.post(
            "/accounts/login/", name="login", allow_redirects=False, catch_response=True,
            data={"login": EMAIL.format(username=username), "password": PASSWORD,
                  "csrfmiddlewaretoken": token.group(1) if token else ""},
        ) as response:
            if response.status_code != 302:
                response.failure(f"login as {username} answered {response.status_code}, not a redirect")

    def csrf(self) -> str:
        return next((cookie.value for cookie in self.client.cookiejar if cookie.name == "csrftoken"), "")

    def htmx_post(self, url: str, data: dict, name: str, **kwargs):
        headers = {"HX-Request": "true", "X-CSRFToken": self.csrf()}
        return self.client.post(url, data=data, name=name, headers=headers, **kwargs)

    @task(2)
    def generate(self):
        """The style page's form, posted by htmx; then its job card, polled every 2 s until the job is over."""
        page = self.client.get(f"/styles/{random.choice(targets()['slugs'])}/", name=self.name("style"))
        form = GENERATE_FORM.search(page.text or "")
        if not form or "<button" not in form.group(0):
            return  # no form (the style cannot be generated) or no button (balance too low): a person leaves
        data = dict(HIDDEN.findall(form.group(0)))
        data.update(tags=f"a fox, snow, {random.choice(targets()['tags'])}", aspect_ratio="1:1", seed="")
        with self.htmx_post("/generate/", data, "generate POST (htmx)", catch_response=True) as response:
            card = JOB_CARD.search(response.text or "")
            if response.status_code != 200 or not card:
                response.failure(f"generate answered {response.status_code} without a job card")
                return
        url = html.unescape(card.group(1))
        for _ in range(POLLS):
            gevent.sleep(POLL_SECONDS)
            with self.client.get(url, name="job card poll (htmx)", headers={"HX-Request": "true"},
                                 catch_response=True) as poll:
                if poll.status_code == FINISHED:
                    poll.success()  # Locust takes a status it has no name for as an error
                    return

    @task(2)
    def like_unlike(self):
        path = random.choice(targets()["image_paths"])
        self.htmx_post(f"{path}like/", {"like": "1"}, "like (htmx)")
        self.htmx_post(f"{path}like/", {"like": "0"}, "unlike (htmx)")

    @task(1)
    def comment(self):
        body = f"Lovely light in this one ({random.randrange(10**6)})."
        self.htmx_post(f"{random.choice(targets()['image_paths'])}comments/", {"body": body}, "comment (htmx)")

    @task(1)
    def notifications(self):
        self.client.get("/notifications/", name="notifications")

    @task(1)
    def wallet(self):
        self.client.get("/wallet/", name="wallet")
