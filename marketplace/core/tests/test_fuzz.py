"""No input makes the site answer 5xx (issue 13): arbitrary text at every page's parameters, form fields and
htmx headers, arbitrary JSON at the worker API and the payment webhook.

The pages come from the URLconf. The parameters a page reads come from the code, two ways: the names its
module reads (`request.GET.get("x")`, `request.POST["x"]`, `"x" in request.GET`, `params.get("x")`) plus the
fields of the forms and FilterSets it holds, and the names one real request to the page actually looks up
in its QueryDicts (so a form bound to request.GET, or a helper reading a param, is covered without a list
to keep up to date). test_every_page_is_fuzzed fails when a page is added that the fuzz cannot reach.

FUZZ_EXAMPLES (default 15) sets the examples per page; e.g. FUZZ_EXAMPLES=200 for a long local run.
"""

from __future__ import annotations

import inspect
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlsplit

import django_filters
import pytest
from django import forms
from django.core.cache import cache
from django.db import transaction
from django.http import QueryDict
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, URLPattern, URLResolver, get_resolver, resolve, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.jobs.signing import GENERATION, TRAINING, job_token
from marketplace.ledger.payments import DemoPaymentProvider
from worker.signing import signed_headers

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
# Each test seeds its objects once and runs an inner @given function that takes no fixture; every example
# makes its own client and is rolled back. No deadline: a request's time on a shared CI machine varies, and
# drawing many 5,000-character values is slow by design (too_slow).
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Staff-only screens (Django's admin) are outside the fuzz. Unnamed patterns (allauth's /accounts/social/
# aliases, the generations/<pk>/ redirect) are views the fuzz already reaches under their named address.
SKIPPED_PREFIXES = ("admin/",)

# --- What the fuzz throws -----------------------------------------------------------------------------------

NASTY = [
    "", " ", "0", "-1", "1.5", "1e309", "NaN", "inf", "9" * 40, "²", "١٢", "٣", "𝟙", "Ⅻ", "¾", "\x00", "a\x00b",
    "%", "%00", "%ff", "\n", "\r\n", "\t", "\ufeff", "\u202e", "../..", "//evil.example/x", "http://[", "http://[::1",
    "javascript:alert(1)", "<script>alert(1)</script>", "' OR 1=1 --", "{{ 7*7 }}", '{"a": [1, {"b": null}]}',
    "[]", "null", "true", "x" * 5000, "🎨" * 300, ",,,", ", ,x,", "newest", "popular", "-price", "table",
]
# Digits that str.isdigit() or str.isdecimal() accept and an id field does not.
UNICODE_DIGITS = ["²", "³", "¹", "١", "١٢", "٣4", "۴", "߀", "५", "𝟙", "①", "Ⅻ", "¾", "〇", "１２"]
weird_text = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(UNICODE_DIGITS),
    st.text(max_size=12).map(lambda text: text + "\x00"),
    st.text(max_size=40),  # any code point but surrogates
    st.text(st.characters(categories=["Nd", "No", "Nl", "Cc", "Zs", "Mn"]), max_size=12),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.lists(st.sampled_from(NASTY + UNICODE_DIGITS), min_size=1, max_size=4).map("".join),
)


def seeded_value(seed: Seed) -> st.SearchStrategy[str]:
    """Real values (an existing id, tag, slug) mixed in, so that valid and invalid inputs meet."""
    return st.one_of(
        st.sampled_from([str(seed.style.pk), str(seed.generation.pk), seed.style.slug, "ink", "1:1", "1", "starter"]),
        st.uuids().map(str),  # a form's submission key
    )


def values(seed: Seed) -> st.SearchStrategy[list[str]]:
    return st.lists(st.one_of(weird_text, seeded_value(seed)), min_size=1, max_size=3)


# The address htmx reports: on this site with odd queries, elsewhere, or no URL at all ("http://[" cannot be split).
current_urls = st.one_of(
    weird_text,
    st.sampled_from(["http://[", "http://[::1/wallet/", "http://testserver:99999/", "http://testserver/wallet/?page=2"]),
    st.lists(weird_text, max_size=3).map(lambda parts: "http://testserver/wallet/?" + "&".join(parts)),
)
# A plain request, or an htmx one (sometimes with odd headers of its own).
htmx_headers = st.one_of(
    st.just({}),
    st.fixed_dictionaries({"HX-Request": st.just("true")}, optional={
        "HX-Current-URL": current_urls, "HX-Target": weird_text, "HX-Trigger": weird_text,
        "HX-Boosted": st.just("true"),
    }),
)

# --- The objects pages are about ----------------------------------------------------------------------------


@dataclass
class Seed:
    artist: object
    fan: object
    style: object
    generation: object
    image: object
    comment: object
    notification: object


def seed_objects() -> Seed:
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from marketplace.accounts.models import User
    from marketplace.community.models import Comment
    from marketplace.community.services import counters_recount
    from marketplace.core.testing import credit_tokens, imagefiles
    from marketplace.generations.models import Generation
    from marketplace.notifications.models import Notification
    from marketplace.styles.models import Style, Tag, TrainingImage

    artist = User.objects.create_user(username="mira", email="mira@example.com", password="correct-horse-battery",
                                      display_name="Mira", role=User.Role.ARTIST)
    fan = User.objects.create_user(username="ada", email="ada@example.com", password="correct-horse-battery")
    credit_tokens(artist, 100)
    style = Style.objects.create(
        artist=artist, name="Ink Wash", slug="ink-wash", price_per_generation=5, commercial_use=True,
        credit_required=False, training_status=Style.Status.COMPLETED, trained_at=timezone.now(),
    )
    style.model_path.save(f"style-{style.pk}.json", ContentFile(b'{"kind": "atelier-reference-signature"}'))
    style.tags.add(Tag.objects.get_or_create(name="ink")[0])
    image = TrainingImage(style=style, width=64, height=64)
    image.image.save("t.png", ContentFile(imagefiles.png((64, 64))), save=True)
    generation = Generation.objects.create(user=artist, style=style, prompt="a fox", aspect_ratio="1:1", seed=1,
                                           cost=5, visibility=Generation.Visibility.PUBLIC)
    comment = Comment.objects.create(user=fan, generation=generation, body="lovely")
    counters_recount(Generation.objects.filter(pk=generation.pk))  # written past the services, as seeds are
    notification = Notification.objects.create(recipient=artist, kind=Notification.Kind.values[0], message="hi")
    return Seed(artist, fan, style, generation, image, comment, notification)


def path_values(name: str, seed: Seed) -> dict[str, str]:
    """A real value for every path parameter of every page (test_every_page_is_fuzzed keeps this complete)."""
    pk = {
        "styles": seed.style.pk, "generations": seed.generation.pk, "notifications": seed.notification.pk,
        "community:comment-delete": seed.comment.pk, "community:follow": seed.fan.pk,
    }
    chosen = pk.get(name, pk.get(name.partition(":")[0], seed.generation.pk))
    return {
        "pk": chosen, "slug": seed.style.slug, "username": seed.artist.username, "model": "generation",
        "style_id": seed.style.pk, "image_id": seed.image.pk, "generation_id": seed.generation.pk,
        "provider": "demo", "key": "abc", "uidb36": "1", "name": seed.image.image.name,
    }


# --- The pages, from the URLconf ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    callback: object
    params: tuple[str, ...]


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            params = tuple(entry.pattern.regex.groupindex)
            yield Route(name, prefix + str(entry.pattern), entry.callback, params)


def site_routes() -> list[Route]:
    seen, routes = set(), []
    for route in _walk(get_resolver().url_patterns):
        if route.pattern.startswith(SKIPPED_PREFIXES) or route.name in seen:
            continue
        seen.add(route.name)
        routes.append(route)
    return routes


ROUTES = site_routes()
PAGES = [r for r in ROUTES if not r.pattern.startswith("api/")]

# --- The parameters, from the code ---------------------------------------------------------------------------

READS = re.compile(
    r"""(?:GET|POST|params|data)\.(?:get|getlist)\(\s*["'](\w+)["']"""
    r"""|(?:GET|POST)\[\s*["'](\w+)["']\s*\]"""
    r"""|["'](\w+)["']\s+in\s+request\.(?:GET|POST)"""
)


def _unwrap(callback):
    view_class = getattr(callback, "view_class", None)
    return view_class or inspect.unwrap(callback)


def params_in_code(callback) -> set[str]:
    """Names the view's module reads from a QueryDict, and the fields of its forms and FilterSets."""
    target = _unwrap(callback)
    module = inspect.getmodule(target)
    names: set[str] = set()
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        source = ""
    for match in READS.finditer(source):
        names.update(filter(None, match.groups()))
    holders = list(vars(module).values()) if module else []
    holders.append(getattr(target, "form_class", None))
    for thing in holders:
        if inspect.isclass(thing) and issubclass(thing, forms.BaseForm):
            names.update(thing.base_fields)
        if inspect.isclass(thing) and issubclass(thing, django_filters.FilterSet):
            names.update(thing.base_filters)
    return names


@contextmanager
def recording_reads():
    """Every key looked up in any QueryDict (request.GET, request.POST, their copies) while inside."""
    read: set[str] = set()
    originals = {name: getattr(QueryDict, name) for name in ("__getitem__", "get", "getlist", "__contains__")}

    def recorder(name):
        original = originals[name]

        def method(self, key, *args, **kwargs):
            if isinstance(key, str):
                read.add(key)
            return original(self, key, *args, **kwargs)

        return method

    for name in originals:
        setattr(QueryDict, name, recorder(name))
    try:
        yield read
    finally:
        for name, original in originals.items():
            setattr(QueryDict, name, original)


def logged_in(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def page_url(route: Route, seed: Seed, overrides: dict[str, str] | None = None) -> str:
    real = path_values(route.name, seed)
    kwargs = {name: real[name] for name in route.params}
    if overrides:
        try:
            return reverse(route.name, kwargs=kwargs | overrides)
        except NoReverseMatch:  # the converter refuses the text: the resolver would 404 it, no view to fuzz
            pass
    return reverse(route.name, kwargs=kwargs)


class PageForms(HTMLParser):
    """The forms of a page, as {action: {field: first value}}: what a browser would post to each address."""

    def __init__(self, page_path: str):
        super().__init__()
        self.page_path = page_path
        self.forms: dict[str, dict[str, str]] = {}
        self._fields: dict[str, str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "form":
            action = urlsplit(attrs.get("action") or self.page_path).path
            self._fields = self.forms.setdefault(action, {})
        elif self._fields is None or not name:
            return
        elif tag in ("input", "textarea") and attrs.get("type") not in ("checkbox", "radio", "file"):
            self._fields.setdefault(name, attrs.get("value") or "")
        elif tag == "input" and "checked" in attrs:
            self._fields.setdefault(name, attrs.get("value") or "on")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and attrs.get("value"):
            self._fields.setdefault(self._select, attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "form":
            self._fields = None


def forms_on_the_site(seed: Seed) -> dict[str, dict[str, str]]:
    """Every form the pages show the artist (who sees the most), by the route name of the address it posts to."""
    by_route: dict[str, dict[str, str]] = {}
    client = logged_in(seed.artist)
    for route in PAGES:
        url = page_url(route, seed)
        with rolled_back():
            page = client.get(url)
        if page.status_code != 200 or page.streaming or "html" not in page.get("Content-Type", ""):
            continue
        parser = PageForms(url)
        parser.feed(page.content.decode(errors="replace"))
        for action, fields in parser.forms.items():
            try:
                name = resolve(action)
            except Resolver404:
                continue
            by_route.setdefault(f"{name.namespace}:{name.url_name}" if name.namespace else name.url_name, fields)
    return by_route


@dataclass
class Reads:
    names: list[str]  # the parameters the page's code names or looked up
    methods: list[str]  # the methods it answers (a 405 to the artist is nothing to fuzz)
    login_required: bool  # a visitor is only sent to the login page: fuzzing one is fuzzing that redirect


def params_read(route: Route, seed: Seed) -> Reads:
    """What one plain GET and POST to the page, as a visitor and as the artist, looked up, and the names
    its code reads."""
    url, login = page_url(route, seed), reverse("account_login")
    answers = {}
    with recording_reads() as read, rolled_back():
        for user in (None, seed.artist):
            client = logged_in(user)
            get = client.get(url)
            client.get(url, headers={"HX-Request": "true"})
            post = client.post(url, headers={"HX-Request": "true"})
            answers[user] = (get, post)
    ignored = {"csrfmiddlewaretoken"}
    methods = [m for m, answer in zip(("get", "post"), answers[seed.artist], strict=True) if answer.status_code != 405]
    login_required = all(a.status_code == 302 and a["Location"].startswith(login) for a in answers[None])
    return Reads(sorted((params_in_code(route.callback) | read) - ignored), methods or ["get", "post"], login_required)


@contextmanager
def rolled_back():
    """Each example starts from the same seeded objects: what it changed (a deleted style) is undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
    cache.clear()  # rate-limit counters too, so a later example is not refused with 429 before it is read


def assert_no_server_error(response, what: str) -> None:
    if response.streaming:
        b"".join(response.streaming_content)  # a CSV that fails half-way fails here
    error = response.exc_info[1] if getattr(response, "exc_info", None) else None
    assert response.status_code < 500, f"{response.status_code} for {what}: {error!r}"


# --- The tests ----------------------------------------------------------------------------------------------


def test_every_page_is_fuzzed(db):
    """Every named page of the URLconf is in the fuzz, with a real value for each of its path parameters."""
    assert len(PAGES) > 40
    seed = seed_objects()
    for route in ROUTES:
        missing = set(route.params) - set(path_values(route.name, seed))
        assert not missing, f"{route.name} has path parameters the fuzz does not fill: {missing}"
        assert page_url(route, seed)
    names = {route.name for route in PAGES}
    for page in ("styles:catalog", "styles:tag-suggest", "generations:generate", "generations:cost",
                 "ledger:wallet", "ledger:buy", "community:artist", "community:feed", "account_login"):
        assert page in names


def test_parameters_come_from_the_code(db):
    seed = seed_objects()
    catalog = next(r for r in PAGES if r.name == "styles:catalog")
    generate = next(r for r in PAGES if r.name == "generations:generate")
    assert {"q", "tags", "tags_any", "artist_id", "price_min", "sort", "cursor", "page", "view"} <= set(
        params_read(catalog, seed).names
    )
    assert {"remix", "style", "tags", "aspect_ratio", "seed", "fixed_style"} <= set(
        params_read(generate, seed).names
    )
    buy = params_read(next(r for r in PAGES if r.name == "ledger:buy"), seed)
    assert buy.methods == ["post"] and buy.login_required
    assert not params_read(catalog, seed).login_required
    forms_posted = forms_on_the_site(seed)
    assert forms_posted["generations:generate"]["style"] == str(seed.style.pk)
    assert "quoted_cost" in forms_posted["generations:generate"]  # read through a constant: found on the page
    assert {"pack", "submission"} <= set(forms_posted["ledger:buy"])
    assert {"display_name", "bio"} <= set(forms_posted["accounts:profile-edit"])


# Sign-in with Google as deployed (the tests' settings have no client id).
GOOGLE_CONFIGURED = {"google": {"APPS": [{"client_id": "test-client-id", "secret": "test-secret", "key": ""}]}}


def some_of(names, strategy) -> st.SearchStrategy[dict]:
    """Any of `names` (often all at once: a request fills every field of a form) mapped to drawn values."""
    if not names:
        return st.just({})
    return st.dictionaries(st.sampled_from(names), strategy, max_size=len(names))


@pytest.mark.parametrize("route", PAGES, ids=lambda r: r.name)
def test_no_page_answers_5xx_to_any_input(db, route, settings):
    settings.SOCIALACCOUNT_PROVIDERS = GOOGLE_CONFIGURED
    seed = seed_objects()
    shown = forms_on_the_site(seed).get(route.name, {})
    reads = params_read(route, seed)
    names = sorted(set(reads.names) | set(shown) - {"csrfmiddlewaretoken"})
    users = {"artist": seed.artist, "fan": seed.fan} | ({} if reads.login_required else {"anonymous": None})

    @FUZZ
    @given(
        who=st.sampled_from(sorted(users)),
        method=st.sampled_from(reads.methods),
        query=some_of(names, values(seed)),
        extra=st.dictionaries(st.text(max_size=8), st.lists(weird_text, max_size=2), max_size=2),
        path=some_of(route.params, weird_text),
        headers=htmx_headers,
        from_page=st.booleans(),
    )
    def check(who, method, query, extra, path, headers, from_page):
        # From the page's own forms with a few fields changed, or from nothing but the drawn fields.
        data = (shown if from_page else {}) | extra | query
        with rolled_back():
            client = logged_in(users[who])
            url = page_url(route, seed, path)
            response = getattr(client, method)(url, data, headers=headers)
            assert_no_server_error(response, f"{method.upper()} {url} as {who} with {data!r} and {headers!r}")

    check()


def json_values():
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), weird_text)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(weird_text, inner,
                                                                                             max_size=4), max_leaves=12)


def worker_body():
    shaped = st.fixed_dictionaries({}, optional={
        "status": st.one_of(st.sampled_from(["training", "completed", "failed", "running", "succeeded"]), weird_text),
        "progress": json_values(), "error": json_values(), "message": json_values(), "seed": json_values(),
        "model": json_values(), "image": json_values(),
    })
    as_json = st.one_of(shaped, json_values()).map(lambda value: json.dumps(value).encode())
    return st.one_of(as_json, st.binary(max_size=200), st.sampled_from([b"", b"{", b"[" * 10000 + b"]" * 10000]))


WORKER_SECRET = "whsec_" + "c2lnbmluZy1zZWNyZXQtZm9yLXRlc3Rz"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name.startswith("webhooks:")], ids=lambda r: r.name)
def test_the_worker_api_answers_json_4xx_to_any_body(db, route, settings):
    settings.WORKER_WEBHOOK_SECRETS = [WORKER_SECRET]
    settings.WORKER_ACCEPT_BEARER = False
    seed = seed_objects()
    tokens = {
        "training": job_token(kind=TRAINING, job_id=seed.style.pk, style_id=seed.style.pk),
        "generation": job_token(kind=GENERATION, job_id=seed.generation.pk, style_id=seed.style.pk),
        "junk": "x.y.z",
    }

    @FUZZ
    @given(method=st.sampled_from(["get", "patch", "put", "post"]), body=worker_body(),
           token=st.sampled_from(sorted(tokens)), content_type=st.sampled_from(["application/json", "text/plain"]))
    def check(method, body, token, content_type):
        headers = signed_headers(WORKER_SECRET, body) | {"Atelier-Job-Token": tokens[token]}
        with rolled_back():
            url = page_url(route, seed)
            client = Client(raise_request_exception=False)
            if method == "get":
                response = client.get(url, headers=headers)
            else:
                response = getattr(client, method)(url, data=body, content_type=content_type, headers=headers)
            assert_no_server_error(response, f"{method.upper()} {url} with {body[:300]!r}")
            if response.status_code >= 400:  # docs/worker-protocol.md: every error is JSON with a code
                assert response["Content-Type"] == "application/json", response.content[:300]

    check()


def test_the_payment_webhook_answers_4xx_to_any_event(db, settings):
    settings.PAYMENT_WEBHOOK_SECRET = "whsec_test"
    url = reverse("payment-webhook", kwargs={"provider": "demo"})
    events = st.one_of(json_values(), st.fixed_dictionaries({
        "id": json_values(), "type": st.one_of(st.sampled_from(["payment.succeeded", "payment.failed"]), json_values()),
        "data": st.one_of(json_values(), st.fixed_dictionaries({}, optional={
            "reference": json_values(), "amount_cents": json_values(), "currency": json_values(),
            "failure_message": json_values(),
        })),
    }))

    @FUZZ
    @given(event=events, signed=st.booleans(), raw=st.binary(max_size=100))
    def check(event, signed, raw):
        body, headers = DemoPaymentProvider.signed_event(event) if signed else (raw, {})
        with rolled_back():
            response = Client(raise_request_exception=False).post(
                url, data=body, content_type="application/json", headers=headers
            )
            assert_no_server_error(response, f"POST {url} with {body[:300]!r}")

    check()
