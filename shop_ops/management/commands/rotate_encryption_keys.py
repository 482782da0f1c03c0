from django.core.management.base import BaseCommand, CommandError

from shop_ops.encryption import DecryptionError, rotate_keys


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored personal number (live and audit history tables) with the first key of "
        "FIELD_ENCRYPTION_KEYS and refresh the keyed hashes. Safe to run again; stops at a value no key opens."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500, help="rows per transaction (default 500)")

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = rotate_keys(batch_size=batch_size)
        except DecryptionError as error:
            raise CommandError(str(error)) from None
        for table, counts in report.items():
            self.stdout.write(f"{table}: {counts['rows']} rows read, {counts['rewritten']} rewritten.")
        rewritten = sum(counts["rewritten"] for counts in report.values())
        self.stdout.write(self.style.SUCCESS(f"Done: {rewritten} rows now under the first key."))
