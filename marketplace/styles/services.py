import logging

from django.db import transaction
from django.utils import timezone

from marketplace.styles.models import Style

logger = logging.getLogger(__name__)


def style_soft_delete(*, style: Style, by) -> Style:
    """Take a style out of the catalog for good; generations already made keep pointing at it.

    Idempotent: a style that is already deleted keeps its first deleted_at.
    """
    with transaction.atomic():
        locked = Style.objects.select_for_update().get(pk=style.pk)
        if locked.deleted_at is None:
            locked.deleted_at = timezone.now()
            locked.save(update_fields=["deleted_at", "updated_at"])
            logger.info("style %s soft-deleted by user %s", locked.pk, by.pk)
    return locked
