"""Stand-ins for a mail server that is down (Django email backends, not our code)."""

import smtplib

from django.core.mail.backends.base import BaseEmailBackend


class RefusingBackend(BaseEmailBackend):
    """The server drops the connection, as an SMTP server going down does."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class UnreachableBackend(BaseEmailBackend):
    """Nothing listens on the port."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError(111, "Connection refused")


REFUSING = {"default": {"BACKEND": "tests.core.mail_backends.RefusingBackend"}}
UNREACHABLE = {"default": {"BACKEND": "tests.core.mail_backends.UnreachableBackend"}}
WORKING = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
