import itertools

import pytest
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect, ForeignKeyRawIdWidget, RelatedFieldWidgetWrapper
from django.contrib.auth.models import Group
from django.db import connection
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import marketplace.generations.admin as generations_admin
import marketplace.styles.admin as styles_admin
from marketplace.accounts.models import AccountEvent, User
from marketplace.accounts.services import account_event_record
from marketplace.community.models import Comment, Follow, Like, Report
from marketplace.community.moderation import moderation_dismiss
from marketplace.community.services import report_create
from marketplace.core.exceptions import ServiceError
from marketplace.core.testing import credit_tokens, imagefiles
from marketplace.generations.models import Generation
from marketplace.jobs.models import OutboxMessage
from marketplace.ledger.models import Payment
from marketplace.notifications.models import Notification, NotificationEvent, NotificationSetting
from marketplace.styles.models import Style, Tag, TrainingImage
from marketplace.styles.services import style_soft_delete, style_update

REGISTERED = sorted(model._meta.label for model in admin.site._registry)
OURS = [label for label in REGISTERED if label.split(".")[0] in {
    "accounts", "styles", "generations", "ledger", "community", "notifications", "jobs",
}]


@pytest.fixture
def make_rows(make_user, make_style, make_generation):
    """Saves one row of every model the admin shows; returns them keyed by model label."""
    counter = itertools.count(1)

    def make():
        n = next(counter)
        user, artist = make_user(display_name=f"Ada {n}"), make_user(role=User.Role.ARTIST)
        tag = Tag.objects.create(name=f"ink{n}")
        style = make_style(artist=artist, tags=[tag.name])
        generation = make_generation(
            user=user, style=style, visibility=Generation.Visibility.PUBLIC, status=Generation.Status.COMPLETED
        )
        generation.tags.add(tag)
        payment = Payment.objects.create(
            user=user, provider="test", pack="small", tokens=100, amount_cents=499, idempotency_key=f"pay-{n}"
        )
        entry = credit_tokens(user, 100, f"pay-{n}", reason="Token pack", payment=payment)
        app = SocialApp.objects.create(provider="google", name=f"Google {n}", client_id=f"id-{n}", secret="secret")
        account = SocialAccount.objects.create(user=user, provider="google", uid=f"uid-{n}")
        return {
            "accounts.User": user,
            "accounts.AccountEvent": account_event_record(
                user=artist, kind=AccountEvent.Kind.BECAME_ARTIST, detail=artist.public_name, ip="203.0.113.9"
            ),
            "auth.Group": Group.objects.create(name=f"Moderators {n}"),
            "account.EmailAddress": EmailAddress.objects.create(
                user=user, email=user.email, verified=True, primary=True
            ),
            "socialaccount.SocialApp": app,
            "socialaccount.SocialAccount": account,
            "socialaccount.SocialToken": SocialToken.objects.create(app=app, account=account, token="token"),
            "styles.Tag": tag,
            "styles.Style": style,
            "styles.TrainingImage": TrainingImage.objects.create(
                style=style, image=imagefiles.png_upload(size=(8, 6)), position=1
            ),
            "generations.Generation": generation,
            "ledger.Payment": payment,
            "ledger.LedgerEntry": entry,
            "community.Follow": Follow.objects.create(follower=user, following=artist),
            "community.Like": Like.objects.create(user=artist, generation=generation),
            "community.Comment": Comment.objects.create(user=artist, generation=generation, body="Lovely light"),
            "notifications.Notification": Notification.objects.create(
                recipient=artist, actor=user, kind=Notification.Kind.FOLLOW, message="Ada followed you"
            ),
            "jobs.OutboxMessage": OutboxMessage.objects.create(queue="generation", payload={"id": n}, attempts=2),
            "community.Report": report_create(reporter=user, target=style, reason=Report.Reason.STOLEN),
            "community.ModerationAction": moderation_dismiss(
                moderator=make_user(is_staff=True), target=style, reason="Not stolen: the artist's own set"
            ),
            "notifications.NotificationEvent": NotificationEvent.objects.create(key=f"demo:{n}"),
            "notifications.NotificationSetting": NotificationSetting.objects.create(
                user=user, kind=Notification.Kind.LIKE, in_app=False
            ),
        }

    return make


@pytest.fixture
def rows(make_rows):
    return make_rows()


def changelist_url(opts) -> str:
    """The model's list of rows; for reports, the list of every report (the default page is the grouped queue)."""
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    return f"{url}?view=all" if opts.label == "community.Report" else url


def test_every_registered_model_has_a_row_in_these_tests(rows):
    assert sorted(rows) == REGISTERED


@pytest.mark.parametrize("label", REGISTERED)
def test_changelist_and_change_page_open(admin_client, rows, label):
    obj = rows[label]
    opts = obj._meta
    change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])

    changelist = admin_client.get(changelist_url(opts))
    change = admin_client.get(change_url)

    assert changelist.status_code == 200
    assert change_url in changelist.content.decode()
    assert change.status_code == 200


@pytest.mark.parametrize("label", OURS)
def test_changelist_queries_do_not_grow_with_rows(admin_client, make_rows, label):
    opts = make_rows()[label]._meta
    url = changelist_url(opts)
    admin_client.get(url)  # warm the session and content-type caches

    with CaptureQueriesContext(connection) as one_row:
        admin_client.get(url)
    make_rows(), make_rows()
    with CaptureQueriesContext(connection) as three_rows:
        page = admin_client.get(url)

    assert page.context["cl"].result_count >= 3
    assert len(three_rows) == len(one_row)


def _is_lookup_widget(widget) -> bool:
    if isinstance(widget, RelatedFieldWidgetWrapper):
        widget = widget.widget
    return isinstance(widget, (ForeignKeyRawIdWidget, AutocompleteSelect))


@pytest.mark.parametrize("label", OURS)
def test_editable_foreign_keys_use_lookup_widgets_not_full_selects(admin_user, rows, label):
    obj = rows[label]
    model_admin = admin.site._registry[type(obj)]
    request = RequestFactory().get("/")
    request.user = admin_user
    # (form, the inline's own foreign key to the parent, which the formset fills in itself)
    forms = [(model_admin.get_form(request, obj), None)] if model_admin.has_change_permission(request, obj) else []
    forms += [
        (formset.form, formset.fk.name)
        for formset, inline in model_admin.get_formsets_with_inlines(request, obj)
        if inline.has_change_permission(request, obj) or inline.has_add_permission(request, obj)
    ]

    choosers = [
        (form.__name__, name)
        for form, parent_fk in forms
        for name, field in form.base_fields.items()
        if isinstance(field, ModelChoiceField) and not isinstance(field, ModelMultipleChoiceField)
        and name != parent_fk and not _is_lookup_widget(field.widget)
    ]

    assert choosers == []


def test_style_change_saves_moderation_fields_but_not_training_fields(admin_client, style):
    url = reverse("admin:styles_style_change", args=[style.pk])
    response = admin_client.post(url, {
        "name": "Ink Wash II", "description": "Calmer", "tag_names": "ink, monochrome", "price_per_generation": 7,
        "commercial_use": "", "credit_required": "on", "training_status": Style.Status.FAILED,
        "training_progress": 3, "deleted_at": "2020-01-01 00:00:00", "slug": "hijacked",
        "training_images-TOTAL_FORMS": 0, "training_images-INITIAL_FORMS": 0,
    })

    assert response.status_code == 302
    style.refresh_from_db()
    assert (style.name, style.description, style.price_per_generation) == ("Ink Wash II", "Calmer", 7)
    assert (style.commercial_use, style.credit_required) == (False, True)
    assert style.training_status == Style.Status.COMPLETED
    assert style.training_progress == 0
    assert style.deleted_at is None
    assert style.slug != "hijacked"


def test_style_cannot_be_added_or_hard_deleted(admin_client, style):
    assert admin_client.get(reverse("admin:styles_style_add")).status_code == 403
    assert admin_client.post(reverse("admin:styles_style_delete", args=[style.pk]), {"post": "yes"}).status_code == 403
    assert Style.objects.filter(pk=style.pk).exists()


def test_soft_delete_action_hides_styles_and_keeps_the_first_deletion_time(admin_client, make_style):
    live, gone = make_style(name="Live"), make_style(name="Gone")
    admin_client.post(
        reverse("admin:styles_style_changelist"), {"action": "soft_delete", "_selected_action": [gone.pk]}
    )
    gone.refresh_from_db()
    first_deleted_at = gone.deleted_at

    response = admin_client.post(
        reverse("admin:styles_style_changelist"),
        {"action": "soft_delete", "_selected_action": [live.pk, gone.pk]},
        follow=True,
    )

    live.refresh_from_db()
    gone.refresh_from_db()
    assert first_deleted_at is not None
    assert gone.deleted_at == first_deleted_at
    assert live.deleted_at is not None
    assert set(Style.objects.live()) == set()
    assert "Soft-deleted 1 style." in response.content.decode()


def test_soft_delete_is_offered_on_the_style_change_page(admin_client, style):
    url = reverse("admin:styles_style_change", args=[style.pk])
    assert 'value="soft_delete"' in admin_client.get(url).content.decode()

    response = admin_client.post(url, {"CHANGE_FORM-action": "soft_delete", "_selected_action": [style.pk]})

    assert response.status_code == 302
    style.refresh_from_db()
    assert style.deleted_at is not None


def style_form(**overrides):
    data = {
        "name": "Ink Wash", "description": "", "tag_names": "ink, monochrome", "price_per_generation": 5,
        "commercial_use": "on", "credit_required": "",
        "training_images-TOTAL_FORMS": 0, "training_images-INITIAL_FORMS": 0,
    }
    data.update(overrides)
    return data


def tag_names(style):
    return sorted(style.tags.values_list("name", flat=True))


def test_style_change_page_shows_the_tags_as_text(admin_client, style):
    page = admin_client.get(reverse("admin:styles_style_change", args=[style.pk])).content.decode()

    assert 'value="ink, monochrome"' in page
    assert "styletag_set" not in page  # no raw inline that writes tags past the service


def test_style_admin_saves_valid_edits_through_the_service(admin_client, admin_user, style, monkeypatch):
    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return style_update(**kwargs)

    monkeypatch.setattr(styles_admin, "style_update", spy)
    response = admin_client.post(
        reverse("admin:styles_style_change", args=[style.pk]),
        style_form(name="Ink Wash II", tag_names="ink, wash", price_per_generation=9, credit_required="on"),
    )

    assert response.status_code == 302
    assert [(call["style"].pk, call["by"]) for call in calls] == [(style.pk, admin_user)]
    style.refresh_from_db()
    assert (style.name, style.price_per_generation, style.commercial_use, style.credit_required) == (
        "Ink Wash II", 9, True, True,
    )
    assert tag_names(style) == ["ink", "wash"]


def test_style_admin_refuses_eleven_tags_and_saves_nothing(admin_client, style):
    eleven = ", ".join(f"tag{n}" for n in range(11))
    response = admin_client.post(
        reverse("admin:styles_style_change", args=[style.pk]), style_form(name="Renamed", tag_names=eleven)
    )

    assert response.status_code == 200
    assert "Use at most 10 tags." in response.content.decode()
    style.refresh_from_db()
    assert style.name == "Ink Wash"
    assert tag_names(style) == ["ink", "monochrome"]
    assert not Tag.objects.filter(name__startswith="tag").exists()


@pytest.mark.parametrize("price", [0, 1001])
def test_style_admin_refuses_a_price_out_of_bounds(admin_client, style, price):
    response = admin_client.post(
        reverse("admin:styles_style_change", args=[style.pk]),
        style_form(name="Renamed", price_per_generation=price),
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The price must be between 1 and 1000 tokens." in page
    assert "style_price_in_bounds" not in page  # the service's words, not the database constraint's
    style.refresh_from_db()
    assert (style.name, style.price_per_generation) == ("Ink Wash", 5)


def test_style_admin_normalises_tags_as_the_service_does(admin_client, style, make_style):
    raw = "Ink Wash , ink  wash,SUMI-E,, "
    twin = make_style(name="Twin")
    style_update(
        style=twin, by=twin.artist, name="Twin", description="", tags=raw.split(","), price_per_generation=5,
        commercial_use=True, credit_required=False,
    )

    response = admin_client.post(reverse("admin:styles_style_change", args=[style.pk]), style_form(tag_names=raw))

    assert response.status_code == 302
    assert tag_names(style) == tag_names(twin) == ["ink wash", "sumi-e"]


def test_style_deleted_between_check_and_save_is_refused_and_nothing_is_kept(admin_client, style, monkeypatch):
    real_check = styles_admin.style_validate_update

    def check_then_lose_the_race(**kwargs):
        tags = real_check(**kwargs)
        style_soft_delete(style=style, by=style.artist)  # another staff member, just after the form's check
        return tags

    monkeypatch.setattr(styles_admin, "style_validate_update", check_then_lose_the_race)
    url = reverse("admin:styles_style_change", args=[style.pk])
    response = admin_client.post(url, style_form(name="Renamed", tag_names="new"), follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert [(m.level, m.message) for m in response.context["messages"]] == [
        (messages.ERROR, "This style was deleted; it can no longer be changed.")
    ]
    style.refresh_from_db()
    assert style.name == "Ink Wash"
    assert tag_names(style) == ["ink", "monochrome"]


def test_a_deleted_style_is_view_only(admin_client, make_style):
    gone = make_style(name="Gone", deleted_at="2024-01-01T00:00:00Z")
    url = reverse("admin:styles_style_change", args=[gone.pk])

    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, style_form(name="Back")).status_code == 403
    gone.refresh_from_db()
    assert gone.name == "Gone"


def generation_form(**overrides):
    data = {
        "visibility": Generation.Visibility.PUBLIC, "status": Generation.Status.COMPLETED, "cost": 1, "seed": 7,
        "generationtag_set-TOTAL_FORMS": 0, "generationtag_set-INITIAL_FORMS": 0,
    }
    data.update(overrides)
    return data


def test_generation_change_form_cannot_publish_a_queued_image(admin_client, make_generation):
    generation = make_generation()

    response = admin_client.post(
        reverse("admin:generations_generation_change", args=[generation.pk]), generation_form()
    )

    assert response.status_code == 403
    generation.refresh_from_db()
    assert generation.visibility == Generation.Visibility.PRIVATE
    assert (generation.status, generation.cost, generation.seed) == (Generation.Status.QUEUED, 5, 42)


def test_admin_cannot_publish_someone_elses_private_image(admin_client, make_generation):
    generation = make_generation(status=Generation.Status.COMPLETED)
    change_url = reverse("admin:generations_generation_change", args=[generation.pk])
    changelist_url = reverse("admin:generations_generation_changelist")

    page = admin_client.get(change_url).content.decode()
    listing = admin_client.get(changelist_url).content.decode()
    posted = admin_client.post(change_url, generation_form())
    admin_client.post(change_url, {"CHANGE_FORM-action": "publish", "_selected_action": [generation.pk]})
    admin_client.post(changelist_url, {"action": "publish", "_selected_action": [generation.pk]})

    assert 'name="visibility"' not in page  # shown, not editable
    for html in (page, listing):
        assert 'value="withdraw"' in html
        assert "publish" not in html.lower()
    assert posted.status_code == 403
    generation.refresh_from_db()
    assert generation.visibility == Generation.Visibility.PRIVATE


def test_withdraw_action_takes_public_images_out_of_the_feed(admin_client, make_user, make_generation):
    public = [
        make_generation(user=make_user(), status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC)
        for _ in range(2)
    ]
    private = make_generation(status=Generation.Status.COMPLETED)

    response = admin_client.post(
        reverse("admin:generations_generation_changelist"),
        {"action": "withdraw", "_selected_action": [g.pk for g in [*public, private]]},
        follow=True,
    )

    assert "Withdrew 2 images from the feed." in response.content.decode()
    assert set(Generation.objects.values_list("visibility", flat=True)) == {Generation.Visibility.PRIVATE}


def test_withdraw_is_offered_on_the_generation_change_page(admin_client, make_generation):
    generation = make_generation(status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC)
    url = reverse("admin:generations_generation_change", args=[generation.pk])

    response = admin_client.post(url, {"CHANGE_FORM-action": "withdraw", "_selected_action": [generation.pk]})

    assert response.status_code == 302
    generation.refresh_from_db()
    assert generation.visibility == Generation.Visibility.PRIVATE


def test_a_refused_withdrawal_is_shown_as_an_error(admin_client, make_generation, monkeypatch):
    generation = make_generation(status=Generation.Status.COMPLETED, visibility=Generation.Visibility.PUBLIC)

    def refuse(**kwargs):
        raise ServiceError("Not this one.")

    monkeypatch.setattr(generations_admin, "generation_withdraw", refuse)
    response = admin_client.post(
        reverse("admin:generations_generation_changelist"),
        {"action": "withdraw", "_selected_action": [generation.pk]},
        follow=True,
    )

    assert [(m.level, m.message) for m in response.context["messages"]] == [
        (messages.ERROR, "Not this one."), (messages.INFO, "Withdrew 0 images from the feed."),
    ]
    generation.refresh_from_db()
    assert generation.visibility == Generation.Visibility.PUBLIC


@pytest.mark.parametrize("url_name", ["admin:jobs_outboxmessage_change", "admin:jobs_outboxmessage_delete"])
def test_outbox_messages_are_read_only(admin_client, url_name):
    message = OutboxMessage.objects.create(queue="training", payload={"style": 1})

    response = admin_client.post(reverse(url_name, args=[message.pk]), {"queue": "other", "post": "yes"})

    assert response.status_code == 403
    message.refresh_from_db()
    assert message.queue == "training"


def test_staff_can_add_a_user_who_starts_with_no_tokens(admin_client):
    response = admin_client.post(reverse("admin:accounts_user_add"), {
        "username": "newcomer", "usable_password": "true",
        "password1": "a-long-unusual-passphrase", "password2": "a-long-unusual-passphrase",
    })

    assert response.status_code == 302
    assert User.objects.get(username="newcomer").token_balance == 0
