"""A scratch PostgreSQL database for a benchmark, on the server DATABASE_URL names."""

from __future__ import annotations

import os
import sys
from urllib.parse import urlsplit


def create_bench_database(name: str, *, script: str) -> tuple[str, dict]:
    """Create `name` if missing; return its DATABASE_URL and the server's psycopg connection arguments.

    Exits with a message when DATABASE_URL is not PostgreSQL: benchmarks measure the real database.
    """
    import dj_database_url
    import psycopg

    url = os.environ.get("DATABASE_URL", "")
    config = dj_database_url.parse(url) if url else {}
    if config.get("ENGINE") != "django.db.backends.postgresql":
        sys.exit(f"{script} measures PostgreSQL: set DATABASE_URL=postgres://user@host:5432/dbname")
    server = {
        "host": config["HOST"] or "localhost", "port": config["PORT"] or 5432,
        "user": config["USER"], "password": config["PASSWORD"] or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    return urlsplit(url)._replace(path=f"/{name}").geturl(), server
