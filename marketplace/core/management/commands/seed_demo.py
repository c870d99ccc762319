from django.conf import settings
from django.core.management.base import BaseCommand

from marketplace.core.demo import content
from marketplace.core.demo.seed import demo_seed


class Command(BaseCommand):
    help = "Fill the marketplace with demo artists, styles, pictures and community activity. Safe to run again."

    def handle(self, *args, **options) -> None:
        # A job this command queues (the demo's pending training) stays in the outbox for the server's
        # dispatcher: an embedded worker thread here would die with the command, mid-job.
        settings.EMBEDDED_WORKER = False
        created = demo_seed()
        if created:
            summary = ", ".join(f"{count} {what}" for what, count in created.items())
            self.stdout.write(self.style.SUCCESS(f"Demo data created: {summary}."))
        else:
            self.stdout.write("Demo data is already present; nothing was created.")
        self.stdout.write(f"\nDemo logins (password for every account: {content.PASSWORD})")
        for spec in content.USERS:
            role = "staff" if spec.staff else "artist" if spec.artist else "buyer"
            self.stdout.write(f"  {spec.email:<24} {role:<7} {spec.display_name}")
