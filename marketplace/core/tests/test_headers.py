"""Security headers as a scanner (securityheaders.com) reads them, under the production settings.

The production settings are config/settings.py evaluated with DEBUG off and a production environment (the
same one test_project.py runs `check --deploy` with); their security keys are applied to this test process.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.urls import reverse

from marketplace.core.tests.test_project import PRODUCTION_ENV
from marketplace.generations.models import Generation

HTTPS = {"secure": True, "headers": {"X-Forwarded-Proto": "https"}}
HTMX = {"HX-Request": "true"}
# What production reads from the environment, besides PRODUCTION_ENV, that changes the policy.
POLICY_INPUTS = ("GOOGLE_CLIENT_ID", "MEDIA_SERVE", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL",
                 "AWS_S3_REGION_NAME")


def production_settings(**env: str) -> dict:
    with pytest.MonkeyPatch.context() as environment:
        for name in POLICY_INPUTS:
            environment.delenv(name, raising=False)
        for name, value in {**PRODUCTION_ENV, **env}.items():
            environment.setenv(name, value)
        return runpy.run_path(str(Path(django_settings.BASE_DIR) / "config" / "settings.py"))


def directives(header: str) -> dict[str, list[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


@pytest.fixture
def production(settings):
    """This process answers with production's security settings (and its MIDDLEWARE)."""
    values = production_settings()
    for name, value in values.items():
        if name.startswith("SECURE_") or name in {"X_FRAME_OPTIONS", "MIDDLEWARE", "SESSION_COOKIE_SECURE",
                                                  "CSRF_COOKIE_SECURE"}:
            setattr(settings, name, value)
    return values


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_production_enforces_the_policy_with_every_directive(client, production, db):
    response = client.get(reverse("styles:catalog"), **HTTPS)
    assert response.status_code == 200
    assert "Content-Security-Policy-Report-Only" not in response
    policy = directives(response["Content-Security-Policy"])
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }


def test_development_only_reports_the_same_policy(client, db):
    response = client.get(reverse("styles:catalog"))
    assert "Content-Security-Policy" not in response
    assert directives(response["Content-Security-Policy-Report-Only"])["script-src"] == ["'self'"]


def test_production_sends_the_headers_a_scanner_looks_for(client, production, db):
    response = client.get(reverse("home"), **HTTPS)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert directives(response["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]
    features = dict(item.strip().split("=") for item in response["Permissions-Policy"].split(","))
    for feature in ("camera", "microphone", "geolocation", "payment", "usb", "display-capture"):
        assert features[feature] == "()"


def test_google_sign_in_may_leave_through_a_form_when_configured():
    assert production_settings()["SECURE_CSP"]["form-action"] == ["'self'"]
    with_google = production_settings(GOOGLE_CLIENT_ID="client-id.apps.googleusercontent.com")
    assert with_google["SECURE_CSP"]["form-action"] == ["'self'", "https://accounts.google.com"]


def test_images_may_come_from_the_bucket_when_media_is_served_from_s3():
    endpoint = production_settings(
        MEDIA_SERVE="s3", AWS_STORAGE_BUCKET_NAME="art", AWS_S3_ENDPOINT_URL="http://s3.example:9000"
    )
    assert endpoint["SECURE_CSP"]["img-src"] == [
        "'self'", "data:", "blob:", "http://s3.example:9000", "http://art.s3.example:9000"
    ]
    aws = production_settings(MEDIA_SERVE="s3", AWS_STORAGE_BUCKET_NAME="art", AWS_S3_REGION_NAME="eu-west-1")
    assert aws["SECURE_CSP"]["img-src"] == [
        "'self'", "data:", "blob:", "https://art.s3.amazonaws.com", "https://art.s3.eu-west-1.amazonaws.com"
    ]


def test_media_may_be_embedded_only_by_atelier_itself(client, production, make_generation, png_bytes):
    generation = make_generation(status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC)
    generation.image.save("fox.png", ContentFile(png_bytes(), name="fox.png"), save=True)
    response = client.get(generation.image.url, **HTTPS)
    assert response.status_code == 200
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["Cache-Control"] == "private, no-cache"  # the media view's own, kept
    page = client.get(reverse("home"), **HTTPS)
    assert "Cross-Origin-Resource-Policy" not in page


def test_a_signed_in_page_is_private_and_an_anonymous_one_is_not(client, production, user):
    anonymous = client.get(reverse("styles:catalog"), **HTTPS)
    assert "private" not in anonymous.get("Cache-Control", "")
    client.force_login(user)
    for name in ("styles:catalog", "ledger:wallet", "notifications:list"):
        response = client.get(reverse(name), **HTTPS)
        assert response.status_code == 200
        assert response["Cache-Control"] == "private", name


def test_a_view_that_chose_its_cache_control_keeps_it(client, production, user):
    client.force_login(user)
    response = client.get(reverse("account_login"), **HTTPS)  # allauth's never_cache
    assert "no-cache" in response["Cache-Control"] and response["Cache-Control"] != "private"


def test_static_files_are_never_marked_private(client, settings, user):
    settings.WHITENOISE_USE_FINDERS = True  # served from static/ as under make run, without collectstatic
    client.force_login(user)
    response = client.get(settings.STATIC_URL + "css/atelier.css")
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")
    assert "HX-Request" not in response.get("Vary", "")
    assert "Permissions-Policy" not in response  # WhiteNoise answered before the headers middleware


def vary(response) -> set[str]:
    return {item.strip().lower() for item in response.get("Vary", "").split(",")}


def test_every_fragment_varies_on_hx_request(client, production, user, make_generation, trained_style, artist):
    client.force_login(user)
    pending = make_generation(style=trained_style, status=Generation.Status.PROCESSING)
    answers = {
        "job card": client.get(reverse("community:image", args=[pending.pk]), headers=HTMX, secure=True),
        "generate form": client.get(reverse("generations:generate"), headers=HTMX, secure=True),
        "price": client.get(reverse("generations:cost"), {"style": trained_style.pk}, headers=HTMX, secure=True),
    }
    assert answers["job card"].templates[0].name == "generations/_job_card.html"
    client.force_login(artist)
    training = trained_style.__class__.objects.filter(pk=trained_style.pk)
    training.update(training_status="training")
    answers["training status"] = client.get(reverse("styles:status", args=[trained_style.pk]), headers=HTMX,
                                            secure=True)
    answers["upload form (422)"] = client.post(reverse("styles:new"), {"name": ""}, headers=HTMX, secure=True)
    for what, response in answers.items():
        assert response.status_code in {200, 422}, what
        assert "hx-request" in vary(response), what
    assert answers["upload form (422)"].status_code == 422


def test_a_json_answer_gets_no_html_vary(client, production, db):
    response = client.get(reverse("health"), **HTTPS)  # JSON whether the services are up or not
    assert response["Content-Type"].startswith("application/json")
    assert "hx-request" not in vary(response)


# --- No inline code in any template: the policy above would block it. -----------------------------------

TEMPLATES_DIR = Path(django_settings.BASE_DIR) / "templates"
INLINE = {
    "an inline <script>": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "a <style> element": re.compile(r"<style\b", re.I),
    "a style attribute": re.compile(r"\sstyle\s*=", re.I),
    "an on* handler": re.compile(r"\son[a-z]+\s*=", re.I),
    "hx-on": re.compile(r"\b(?:data-)?hx-on\b", re.I),
    "a js:/javascript: value": re.compile(r"[\"'\s](?:js|javascript):", re.I),
    "hx-vars (evaluated)": re.compile(r"\bhx-vars\b", re.I),
    "an hx-trigger [filter] (evaluated)": re.compile(r"hx-trigger=\"[^\"]*[\w-]\[", re.I),
}


TEMPLATE_TAGS = re.compile(r"{%.*?%}|{#.*?#}", re.S)  # `{% include ... with style=s %}` is no attribute


def inline_code(text: str) -> list[str]:
    markup = TEMPLATE_TAGS.sub("", text)
    return [what for what, pattern in INLINE.items() if pattern.search(markup)]


@pytest.mark.parametrize(
    "sample, found",
    [
        ('<script src="/static/x.js" defer></script>', []),
        ('<script type="application/json">{}</script>', []),
        ("<script>alert(1)</script>", ["an inline <script>"]),
        ('<p class="x" style="color: red">', ["a style attribute"]),
        ('<button onclick="go()">', ["an on* handler"]),
        ('<form hx-on::config-request="x">', ["hx-on"]),
        ('<input hx-vals="js:{q: this.value}">', ["a js:/javascript: value"]),
        ('<form hx-trigger="change[target.checked]">', ["an hx-trigger [filter] (evaluated)"]),
        ('<form hx-trigger="change target:[name=\'a\']">', []),
        ('{% include "card.html" with style=s %}', []),
        ('{% if x %}<b style="x">{% endif %}', ["a style attribute"]),
    ],
)
def test_the_inline_code_check_finds_what_it_looks_for(sample, found):
    assert inline_code(sample) == found


def test_no_template_holds_inline_script_style_or_handlers():
    offenders = {
        str(path.relative_to(TEMPLATES_DIR)): found
        for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        if (found := inline_code(path.read_text()))
    }
    assert offenders == {}


def test_no_python_code_writes_evaluated_htmx_attributes():
    # Widget attrs (styles.filters.TAG_SUGGEST_ATTRS) reach the pages as well as templates do.
    offenders = [
        str(path)
        for path in Path(django_settings.BASE_DIR, "marketplace").rglob("*.py")
        if "tests" not in path.parts and re.search(r"\"(?:js|javascript):|hx-on|hx-vars", path.read_text())
    ]
    assert offenders == []



def test_no_template_comment_spans_lines():
    # Django's {# #} ends at the line: a two-line one is printed on the page ({% comment %} spans lines).
    offenders = [
        f"{path.relative_to(TEMPLATES_DIR)}:{number}"
        for path in sorted(TEMPLATES_DIR.rglob("*.html"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert offenders == []
