"""What the scripts in static/js say to people goes through Django's JavaScript catalog, like the templates."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

JS = Path(settings.BASE_DIR) / "static" / "js"
# A string literal that reads like a sentence for a person: a capital letter, then a space somewhere.
SENTENCE = re.compile(r"""(?<![\w.])(["'])([A-Z][^"'\n]* [^"'\n]*)\1""")


def test_the_catalog_is_served_as_javascript_and_cached(client):
    response = client.get(reverse("javascript-catalog"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/javascript")
    body = response.content.decode()
    assert "django.gettext = function" in body and "django.interpolate = function" in body
    assert "max-age=86400" in response["Cache-Control"]


def test_the_upload_page_loads_the_catalog_before_its_script(client, artist):
    client.force_login(artist)
    html = client.get(reverse("styles:new")).content.decode()
    catalog, script = html.find(f'<script src="{reverse("javascript-catalog")}" defer>'), html.find("js/upload")
    assert 0 < catalog < script


def test_no_script_says_a_sentence_past_gettext():
    found = []
    for path in sorted(JS.glob("*.js")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//", 1)[0]
            for match in SENTENCE.finditer(code):
                if not re.search(r"n?gettext\(\s*$", code[: match.start()]) and "gettext(" not in code[: match.start()]:
                    found.append(f"{path.name}:{number}: {match.group(0)}")
    assert not found, "\n".join(found)
