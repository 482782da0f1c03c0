"""`manage.py flush_job_outbox`: send the job messages kept while the broker was down, now."""

from django.core.management.base import BaseCommand, CommandError

from shop_ops import jobs


class Command(BaseCommand):
    help = "Send the job messages kept in the outbox while the broker (Redis) was unreachable."

    def handle(self, *args, **options):
        result = jobs.flush_outbox()
        self.stdout.write(f"{result.sent} job message(s) sent; {result.waiting} waiting.")
        if result.waiting and result.error:
            raise CommandError(f"The job queue is still unavailable: {result.error}")
