from django.core.management.base import BaseCommand, CommandError

from marketplace.ledger.audit import ledger_find_broken_accounts


class Command(BaseCommand):
    help = "Checks that every account's balance equals the sum of its ledger rows; exits 1 naming any that differ."

    def handle(self, *args, **options) -> None:
        broken = ledger_find_broken_accounts()
        for account in broken:
            self.stderr.write(
                f"user {account.user_id} ({account.username}): balance {account.balance} "
                f"!= ledger sum {account.ledger_sum}"
            )
        if broken:
            raise CommandError(f"{len(broken)} account(s) out of balance", returncode=1)
        self.stdout.write(self.style.SUCCESS("All accounts balance with their ledger."))
