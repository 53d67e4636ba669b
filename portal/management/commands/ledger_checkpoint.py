from django.core.management.base import BaseCommand, CommandError

from portal.ledger.services import NothingToCheckpoint, checkpoint_create


class Command(BaseCommand):
    help = "Sign the ledger's current tree head (Ed25519) unless the latest checkpoint already covers it."

    def add_arguments(self, parser):
        parser.add_argument("--allow-empty", action="store_true", help="also sign an empty ledger")

    def handle(self, *args, allow_empty: bool, **options):
        try:
            checkpoint, created = checkpoint_create(only_if_grown=not allow_empty)
        except NothingToCheckpoint as error:
            raise CommandError(error.message) from None
        verb = "Signed" if created else "Unchanged since"
        self.stdout.write(
            f"{verb} checkpoint {checkpoint.tree_size} {bytes(checkpoint.root_hash).hex()} (key {checkpoint.key_id})"
        )
