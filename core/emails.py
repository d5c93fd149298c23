"""Email as template triples: templates/emails/<name>.subject.txt, .txt and .html."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def send(name: str, recipients: Iterable[str], context: dict, language: str = "nb") -> int:
    to = sorted({r for r in recipients if r})
    if not to:
        return 0
    context = {**context, "site_url": settings.SITE_URL}
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{name}.subject.txt", context).split())
        text = render_to_string(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, bcc=to)
    message.attach_alternative(html, "text/html")
    return message.send()
