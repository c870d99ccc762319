import pytest

from marketplace.core.exceptions import NotAllowed, ServiceError
from marketplace.styles.services import style_soft_delete, style_update

pytestmark = pytest.mark.django_db


def update(style, by, **overrides):
    fields = {
        "name": style.name, "description": style.description, "tags": ["ink"], "price_per_generation": 5,
        "commercial_use": True, "credit_required": False,
    }
    return style_update(style=style, by=by, **{**fields, **overrides})


def tag_names(style):
    return sorted(style.tags.values_list("name", flat=True))


def test_a_stranger_is_refused_with_a_service_error(make_user, style):
    with pytest.raises(NotAllowed) as refused:
        update(style, make_user(), name="Hijacked")

    assert isinstance(refused.value, ServiceError)
    assert refused.value.code == "forbidden"
    style.refresh_from_db()
    assert style.name == "Ink Wash"


def test_staff_may_edit_someone_elses_style(make_user, style):
    update(style, make_user(is_staff=True), name="Ink Wash II")

    style.refresh_from_db()
    assert style.name == "Ink Wash II"


def test_tags_are_normalised_and_counted_once(artist, style):
    # Eleven entries, ten tags once normalised: allowed.
    tags = [f"Tag {n}" for n in range(10)] + ["  TAG   0 "]

    update(style, artist, tags=tags)

    assert tag_names(style) == sorted(f"tag {n}" for n in range(10))


def test_eleven_tags_are_refused(artist, style):
    with pytest.raises(ServiceError, match="at most 10 tags"):
        update(style, artist, tags=[f"tag{n}" for n in range(11)])

    assert tag_names(style) == ["ink", "monochrome"]


def test_a_tag_longer_than_the_tag_limit_is_refused(artist, style):
    with pytest.raises(ServiceError, match="at most 50 characters"):
        update(style, artist, tags=["x" * 51])

    assert tag_names(style) == ["ink", "monochrome"]


def test_a_style_deleted_meanwhile_is_refused_and_unchanged(artist, style):
    stale = type(style).objects.get(pk=style.pk)
    style_soft_delete(style=style, by=artist)

    with pytest.raises(ServiceError, match="was deleted"):
        update(stale, artist, name="Renamed")

    style.refresh_from_db()
    assert style.name == "Ink Wash"
