import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# Loaded by the serving process only (runserver's child, each gunicorn worker), never by other commands.
from marketplace.jobs.background import start_in_process_dispatcher  # noqa: E402

start_in_process_dispatcher()
