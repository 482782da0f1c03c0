from pathlib import Path

from django.core.management.base import BaseCommand

from roles.backup import export_data


class Command(BaseCommand):
    help = "Export all business data (org, checklists, payroll, warehouse, logins) to a JSON file (.json or .json.gz)."

    def add_arguments(self, parser):
        parser.add_argument("output", help="File to write, e.g. backup-2026-11-25.json.gz")

    def handle(self, *args, output, **options):
        count = export_data(path=Path(output))
        self.stdout.write(self.style.SUCCESS(f"Wrote {count} objects to {output}."))
