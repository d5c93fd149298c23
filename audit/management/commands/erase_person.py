from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from audit.privacy import erase_person, pseudonym_email, pseudonym_name


class Command(BaseCommand):
    help = "Erase a person: pseudonymise their account, keep the audit trail (which then shows the pseudonym)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--dry-run", action="store_true", help="Say what would be removed, change nothing.")

    def handle(self, *args, email: str, dry_run: bool = False, **options):
        user = User.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"email: no user with the email {email!r}")
        erasure = erase_person(user, dry_run=dry_run)
        verb = "would remove" if dry_run else "removed"
        for kind, count in erasure.removed.items():
            self.stdout.write(f"{kind}: {verb} {count}")
        if dry_run:
            self.stdout.write(f"user {user.pk}: would become {pseudonym_email(user)} ({pseudonym_name(user)})")
        else:
            self.stdout.write(f"user {user.pk}: now {erasure.user.email} ({erasure.user.full_name})")
