import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from roles import services


class Command(BaseCommand):
    help = "Create the checklist items due on a day (today by default); safe to run again. --days catches up."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="YYYY-MM-DD; defaults to today in the shop's time zone.")
        parser.add_argument("--days", type=int, default=1, help="Generate this many days ending on --date.")

    def handle(self, *args, date, days, **options):
        try:
            end = datetime.date.fromisoformat(date) if date else timezone.localdate()
        except ValueError:
            raise CommandError(f"--date {date!r} is not a date like 2026-03-31.") from None
        if not 1 <= days <= 366:
            raise CommandError("--days must be between 1 and 366.")
        for offset in range(days - 1, -1, -1):
            day = end - datetime.timedelta(days=offset)
            created = services.generate_checklists(day=day)
            self.stdout.write(f"{day}: {created} new checklist items")
