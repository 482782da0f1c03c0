from importlib import import_module

from django.core.management.base import BaseCommand, CommandError

from roles import demo

# The demo data of the other modules, loaded after the org chart (each `load_demo()` is idempotent and returns a
# one-line summary).
DEMO_MODULES = ["roles.checklist_demo", "payroll.demo", "inventory.demo"]


class Command(BaseCommand):
    help = (
        "Load the demo org chart from fixtures/org_seed.json (safe to run again: it changes nothing the second time)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default="shopops-demo", help="Password for new demo logins.")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the table of demo logins.")

    def handle(self, *args, password, quiet_logins, **options):
        try:
            seed = demo.read_seed()
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {demo.SEED_FILE}: {exc}") from exc
        logins, counts = demo.load_org(seed=seed, password=password)
        admin_created = demo.ensure_superuser(username="admin", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo data: {departments} departments, {roles} roles, {employees} employees created; "
                "{updated} updated.".format(**counts)
            )
        )
        for module in DEMO_MODULES:
            self.stdout.write(self.style.SUCCESS(import_module(module).load_demo()))
        if quiet_logins:
            return
        self.stdout.write(f"\nDemo logins (password for new accounts: {password}):")
        self.stdout.write(f"  {'admin':<16} superuser{' (created)' if admin_created else ''}")
        for login in logins:
            self.stdout.write(f"  {login.username:<16} {login.group:<10} {login.role} · {login.full_name}")
