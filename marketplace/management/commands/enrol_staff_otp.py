import io

import segno
from django.core.management.base import BaseCommand, CommandError

from common.errors import DomainError
from marketplace.models import User
from marketplace.staff_otp import staff_otp_enrol


class Command(BaseCommand):
    help = (
        "Enrol a staff account's second factor: prints the authenticator app's provisioning "
        "URI and QR code, and ten single-use recovery codes. Shown once: run it where only "
        "the staff member sees the screen."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Replace the account's devices and recovery codes (a lost phone).",
        )

    def handle(self, *args, username: str, replace: bool, **options):
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"No account named {username!r}.")
        try:
            enrolment = staff_otp_enrol(user=user, actor="enrol_staff_otp", replace=replace)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Scan this with an authenticator app (or enter the URI by hand) for "
            f"{user.get_username()}:\n\n{enrolment.config_url}\n"
        )
        qr_code = io.StringIO()
        segno.make(enrolment.config_url, error="m").terminal(out=qr_code, compact=True)
        self.stdout.write(qr_code.getvalue())
        self.stdout.write(
            "\nRecovery codes, each usable once in place of the app's code. Keep them "
            "somewhere safe:\n"
        )
        for code in enrolment.recovery_codes:
            self.stdout.write(f"  {code}")
