"""Write the demo marketplace into the database, once.

Every row is found by a natural key before it is created (email, style
slug, generation (user, style, seed), like/follow/comment tuples,
notification dedupe_key), so running the seed again creates nothing.
Pictures are only drawn for rows that are new.

The demo tells the truth: what a person can check in the app holds. The
pending style is uploaded through style_create, so its training message
waits in the outbox and the worker trains it once Atelier runs. Each demo
image is charged, drawn by the worker's own renderer from its style's
learnt signature (so a remix with its seed gives the same bytes), and
completed through the generation services, which pay the artist.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from marketplace.accounts.models import User
from marketplace.accounts.services import user_grant_welcome_bonus
from marketplace.community.models import Comment, Follow, Like
from marketplace.community.services import comment_create, follow_toggle, like_toggle
from marketplace.core.demo import art, content
from marketplace.generations.models import Generation
from marketplace.generations.pricing import generation_cost
from marketplace.generations.services import generation_report, generation_set_visibility, generation_store_image
from marketplace.ledger.models import LedgerEntry
from marketplace.ledger.services import ledger_debit
from marketplace.notifications.models import Notification, NotificationEvent
from marketplace.styles.models import Style, Tag, TrainingImage
from marketplace.styles.services import style_create
from worker.engines import TrainingParams, load_engine
from worker.protocol import ASPECT_RATIOS as SIZES

TRAINING_IMAGES_PER_STYLE = 10
JOINED_DAYS_AGO = 31  # before the first demo style was trained


def _backdate(obj, when: datetime, **extra) -> None:
    # created_at is auto_now_add, so a past date can only be written after the insert.
    type(obj).objects.filter(pk=obj.pk).update(created_at=when, **extra)


def _backdate_ledger(entries, when: datetime) -> None:
    # Ledger rows are append-only and their amounts and balances stay as the ledger wrote them. Only
    # the date of a row this seed has just written, in this transaction, is moved to when its history
    # happened, so the wallet and the earnings chart read like the images they belong to.
    entries.update(created_at=when)


def _store(field_file, name: str, data: bytes, *, save: bool) -> None:
    # An ImageField only reads width/height from content that has a name.
    field_file.save(name, ContentFile(data, name=name), save=save)


def _user(spec: content.DemoUser, joined: datetime, created: Counter) -> User:
    user = User.objects.filter(email__iexact=spec.email).first()
    made = user is None
    if made:
        fields = {"display_name": spec.display_name, "bio": spec.bio}
        if spec.staff:
            user = User.objects.create_superuser(spec.username, spec.email, content.PASSWORD, **fields)
        else:
            role = User.Role.ARTIST if spec.artist else User.Role.USER
            user = User.objects.create_user(spec.username, spec.email, content.PASSWORD, role=role, **fields)
        if spec.avatar_palette:
            picture = art.avatar(initials=spec.initials, palette=spec.avatar_palette, seed=spec.username)
            _store(user.avatar, f"{spec.username}.jpg", art.to_jpeg(picture), save=True)
        created["users"] += 1
    EmailAddress.objects.get_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})
    bonus = user_grant_welcome_bonus(user=user)
    if made:
        User.objects.filter(pk=user.pk).update(date_joined=joined)
        _backdate_ledger(LedgerEntry.objects.filter(pk=bonus.pk), joined)
    return user


def _tags(names) -> list[Tag]:
    return [Tag.objects.get_or_create(name=name)[0] for name in names]


def _training_set(spec: content.DemoStyle, index: int):
    for position in range(TRAINING_IMAGES_PER_STYLE):
        yield position, art.draw(spec.recipe, palette=spec.palette, seed=index * 100 + position)


def _upload(spec: content.DemoStyle, index: int, artist: User, created: Counter) -> Style:
    """The artist uploads this set now, through the studio's own service.

    style_create writes the training message to the outbox with the style, so
    it waits in the queue like any upload and the worker trains it once
    Atelier runs (under make run, the embedded worker, moments after start).
    Not backdated: a style that had waited weeks would be failed by the
    stalled-training sweep. The slug style_create derives from the name is
    the seed's natural key, so the next run finds it and uploads nothing.
    """
    files = [
        SimpleUploadedFile(f"{spec.slug}-{position:02d}.jpg", art.to_jpeg(picture), content_type="image/jpeg")
        for position, picture in _training_set(spec, index)
    ]
    style = style_create(
        artist=artist, name=spec.name, description=spec.description, tags=list(spec.tags),
        price_per_generation=spec.price, commercial_use=spec.commercial_use, credit_required=spec.credit_required,
        files=files,
    )
    created["styles"] += 1
    created["training images"] += len(files)
    return style


def _style(spec: content.DemoStyle, index: int, artist: User, now: datetime, created: Counter) -> Style:
    style = Style.objects.filter(slug=spec.slug).first()
    if style is not None:
        return style
    if spec.status == Style.Status.PENDING:
        return _upload(spec, index, artist, created)
    started = now - timedelta(days=30 - 2 * index)
    done = spec.status == Style.Status.COMPLETED
    style = Style.objects.create(
        artist=artist, slug=spec.slug, name=spec.name, description=spec.description,
        price_per_generation=spec.price, commercial_use=spec.commercial_use, credit_required=spec.credit_required,
        training_status=spec.status, failure_reason=spec.failure_reason,
        training_progress={"completed": 100, "failed": 40}.get(spec.status, 0),
        training_started_at=started,
        trained_at=started + timedelta(minutes=25) if done else None,
    )
    _backdate(style, started - timedelta(minutes=5))
    style.tags.add(*_tags(spec.tags))
    encoded = []
    for position, picture in _training_set(spec, index):
        image = TrainingImage(style=style, position=position, width=picture.width, height=picture.height)
        name = f"{spec.slug}-{position:02d}.jpg"
        encoded.append(art.to_jpeg(picture))
        _store(image.image, name, encoded[-1], save=False)
        _store(image.thumbnail, name, art.to_jpeg(picture, max_side=art.THUMBNAIL_SIZE), save=False)
        image.save()
    if done:
        # What the reference engine would have learnt from this set, so demo styles can generate.
        artefact = load_engine("reference").train(encoded, TrainingParams(), progress=lambda percent: None)
        _store(style.model_path, f"style-{style.pk}.json", artefact.data, save=False)
        Style.objects.filter(pk=style.pk).update(model_path=style.model_path.name)  # keeps the backdated times
    created["styles"] += 1
    created["training images"] += TRAINING_IMAGES_PER_STYLE
    return style


def _artefact(style: Style, cache: dict[int, bytes]) -> bytes:
    if style.pk not in cache:
        with style.model_path.open("rb") as artefact:
            cache[style.pk] = artefact.read()
    return cache[style.pk]


def _generation(*, user: User, style: Style, spec: content.DemoStyle, subject: tuple[str, ...], number: int,
                when: datetime, artefacts: dict[int, bytes], created: Counter) -> Generation:
    """One image as a buyer would have made it: charged, drawn, completed (the artist paid), published.

    Not generation_submit: that would also queue the job for the worker, while here the picture is
    drawn in process by the worker's reference engine, from the same inputs a remix sends it.
    """
    seed = 7000 + number * 101
    generation = Generation.objects.filter(user=user, style=style, seed=seed).first()
    if generation is not None:
        return generation
    aspect_ratio = content.ASPECT_RATIOS[number % len(content.ASPECT_RATIOS)]
    prompt_tags = [*subject, spec.tags[0]]
    generation = Generation.objects.create(
        user=user, style=style, seed=seed, prompt=", ".join(prompt_tags), aspect_ratio=aspect_ratio,
        cost=generation_cost(price_per_generation=style.price_per_generation, aspect_ratio=aspect_ratio),
    )
    generation.tags.add(*_tags(prompt_tags))
    # The charge generation_submit makes, under the same idempotency key.
    ledger_debit(
        user_id=user.pk, amount=generation.cost, generation=generation, idempotency_key=f"generation:{generation.pk}",
        reason=_("Generation with %(style)s") % {"style": style.name},
    )
    generation_report(generation_id=generation.pk, status=Generation.Status.PROCESSING)
    png = load_engine("reference").generate(_artefact(style, artefacts), prompt_tags, *SIZES[aspect_ratio], seed)
    generation_store_image(generation_id=generation.pk, data=png)
    generation_report(generation_id=generation.pk, status=Generation.Status.COMPLETED)  # pays the artist
    generation_set_visibility(user=user, generation_id=generation.pk, public=True)
    finished = when + timedelta(seconds=25 + number % 20)
    _backdate(generation, when, started_at=when + timedelta(seconds=3), finished_at=finished, updated_at=finished)
    _backdate_ledger(generation.ledger_entries.filter(kind=LedgerEntry.Kind.CONSUME), when)
    _backdate_ledger(generation.ledger_entries.filter(kind=LedgerEntry.Kind.EARN), finished)
    generation.refresh_from_db()
    created["generations"] += 1
    return generation


def _community(users: list[User], artists: list[User], generations: list[Generation], created: Counter) -> None:
    for number, generation in enumerate(generations):
        for rank, user in enumerate(users):
            # Roughly three in five people like any picture, a different three each time.
            if user != generation.user and (number * 7 + rank * 3) % 5 < 3:
                # Through the service, so owners get the grouped "… and 2 others liked" notices once.
                is_new = not Like.objects.filter(user=user, generation=generation).exists()
                like_toggle(user=user, generation_id=generation.pk, like=True)
                created["likes"] += is_new
        if number % 3 == 2:
            continue
        commenter = next(u for u in users[number % len(users):] + users if u != generation.user)
        body = content.COMMENTS[number % len(content.COMMENTS)]
        thread = [(commenter, body)] + ([(generation.user, content.OWNER_REPLY)] if number % 4 == 0 else [])
        for minutes, (author, text) in enumerate(thread, start=1):
            comment = Comment.objects.filter(user=author, generation=generation, body=text).first()
            if comment is None:
                comment = comment_create(user=author, generation_id=generation.pk, body=text)
                _backdate(comment, generation.finished_at + timedelta(minutes=minutes * 17))
                created["comments"] += 1
    for follower in users:
        followed = artists if not follower.is_artist else [artists[(artists.index(follower) + 1) % len(artists)]]
        for artist in followed:
            is_new = not Follow.objects.filter(follower=follower, following=artist).exists()
            follow_toggle(follower=follower, following_id=artist.pk, follow=True)
            created["follows"] += is_new


def _notify(spec: content.DemoStyle, style: Style, index: int, created: Counter) -> None:
    if spec.status == Style.Status.PENDING:
        return  # uploaded for real: the training pipeline tells the artist how it went, once
    if style.training_status == Style.Status.COMPLETED:
        kind, link = Notification.Kind.TRAINING_COMPLETE, style.get_absolute_url()
        message = _("Your style model %(name)s is ready!") % {"name": style.name}
    elif style.training_status == Style.Status.FAILED:
        kind, link = Notification.Kind.TRAINING_FAILED, reverse("styles:studio")
        message = _("Training failed for %(name)s. %(reason)s") % {"name": style.name, "reason": style.failure_reason}
    else:
        return
    event, made = NotificationEvent.objects.get_or_create(key=f"demo:{kind}:{style.slug}")
    if made:
        notification = Notification.objects.create(
            recipient=style.artist, kind=kind, message=message[:500], link=link, is_read=index % 2 == 0
        )
        event.notification = notification
        event.save(update_fields=["notification"])
        _backdate(notification, style.trained_at or style.training_started_at)
        created["notifications"] += 1


def demo_seed() -> Counter:
    """Create whatever part of the demo marketplace is missing; return what was created.

    One transaction: a failure leaves no half-seeded rows and no outbox
    message (files already written to storage stay behind, unreferenced).
    Every demo user gets the welcome bonus through the usual idempotent
    service, and it pays for their demo images. Images are made oldest
    first, so each account's ledger reads in date order.
    """
    created: Counter = Counter()
    now = timezone.now()
    joined = now - timedelta(days=JOINED_DAYS_AGO)
    with transaction.atomic():
        users = {spec.username: _user(spec, joined, created) for spec in content.USERS}
        styles = [
            (spec, _style(spec, index, users[spec.artist], now, created)) for index, spec in enumerate(content.STYLES)
        ]
        people = [users[spec.username] for spec in content.USERS if not spec.staff]
        planned = []
        for index, (spec, style) in enumerate(styles):
            _notify(spec, style, index, created)
            if not style.is_live:
                continue
            makers = [person for person in people if person != style.artist]
            for subject in spec.subjects:
                number = len(planned)
                # Spread over the last five days, interleaving styles so the feed is mixed.
                when = now - timedelta(hours=1 + (number * 7) % 24 * 5)
                planned.append({"user": makers[number % len(makers)], "style": style, "spec": spec,
                                "subject": subject, "number": number, "when": when})
        artefacts: dict[int, bytes] = {}
        made = {plan["number"]: _generation(**plan, artefacts=artefacts, created=created)
                for plan in sorted(planned, key=lambda plan: plan["when"])}
        generations = [made[number] for number in range(len(planned))]
        _community(people, [person for person in people if person.is_artist], generations, created)
    return +created  # unary plus drops the zero counts get_or_create added
