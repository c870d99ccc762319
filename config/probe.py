"""Container health probe: `python -m config.probe [/api/health]` exits 0 when this host's Atelier answers 2xx.

Docker's HEALTHCHECK and compose run it inside the container (slim images have no curl). It asks as a proxy
would: with a Host from ALLOWED_HOSTS (Django refuses 127.0.0.1 otherwise) and X-Forwarded-Proto: https, so
SECURE_SSL_REDIRECT does not answer a redirect, which is not followed: only a real 2xx is healthy.
"""

from __future__ import annotations

import http.client
import os
import sys


def probe_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


def main(argv: list[str]) -> int:
    path = argv[1] if len(argv) > 1 else "/api/health"
    port = int(os.environ.get("PORT") or 8000)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=float(os.environ.get("PROBE_TIMEOUT", 4)))
    try:
        connection.request("GET", path, headers={"Host": probe_host(), "X-Forwarded-Proto": "https"})
        status = connection.getresponse().status
    except OSError as exc:
        print(f"probe {path}: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if not 200 <= status < 300:
        print(f"probe {path}: HTTP {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
