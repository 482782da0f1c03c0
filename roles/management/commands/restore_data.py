from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from roles.backup import import_data
from shop_ops.exceptions import ShopOpsError


class Command(BaseCommand):
    help = "Load a file written by backup_data into this (migrated) database, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("input", help="File written by backup_data")
        parser.add_argument("--replace", action="store_true", help="Delete the business data already here first.")

    def handle(self, *args, input, replace, **options):
        path = Path(input)
        if not path.exists():
            raise CommandError(f"No such file: {input}")
        try:
            count = import_data(path=path, replace=replace)
        except ShopOpsError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS(f"Restored {count} objects from {input}."))
