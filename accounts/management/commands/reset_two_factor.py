from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import services


class Command(BaseCommand):
    help = (
        "Remove a login's authenticator and backup codes and end its sign-ins (lost phone): at the next sign-in "
        "the login sets up two-factor sign-in again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        User = get_user_model()
        try:
            user = User._default_manager.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"No login is called {username!r}.") from None
        removed = services.reset_two_factor(user=user)
        self.stdout.write(
            f"Removed {removed} two-factor records of {username}; every session and API token of the login ended. "
            "It sets up two-factor sign-in again at its next sign-in."
        )
