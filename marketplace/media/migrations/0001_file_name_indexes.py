"""Indexes on the file-name columns the media view looks files up by (marketplace/media/access.py).

Kept in this app, which owns the lookup, so the models it reads stay as their apps wrote them. Plain SQL that
both PostgreSQL and SQLite understand; IF NOT EXISTS makes it safe to run on a database that already has them.
"""

from django.db import migrations

INDEXES = {
    "media_generation_image_idx": ("generations_generation", "image"),
    "media_trainingimage_image_idx": ("styles_trainingimage", "image"),
    "media_trainingimage_thumb_idx": ("styles_trainingimage", "thumbnail"),
    "media_style_model_path_idx": ("styles_style", "model_path"),
    "media_user_avatar_idx": ("accounts_user", "avatar"),
}


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("generations", "0003_generation_hidden_at"),
        ("styles", "0002_style_hidden_at"),
    ]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
            f"DROP INDEX IF EXISTS {name}",
        )
        for name, (table, column) in INDEXES.items()
    ]
