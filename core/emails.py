"""Email as template triples: templates/emails/<name>.subject.txt, .txt and .html."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation


def _render_plain(name: str, context: dict) -> str:
    """Subjects and text bodies are not HTML: autoescaping would send “Kvalitet &amp; data”."""
    template = get_template(name).template  # type: ignore[attr-defined]  # the Django engine's own Template
    return template.render(Context(context, autoescape=False))


def render(name: str, context: dict, language: str = "nb") -> tuple[str, str, str]:
    """Subject (one line), text and HTML of template set `name`; the outbox stores these."""
    context = {**context, "site_url": settings.SITE_URL}
    with translation.override(language):
        subject = " ".join(_render_plain(f"emails/{name}.subject.txt", context).split())
        text = _render_plain(f"emails/{name}.txt", context)
        html = render_to_string(f"emails/{name}.html", context)
    return subject, text, html


def send(
    name: str,
    recipients: Iterable[str],
    context: dict,
    language: str = "nb",
    attachments: Iterable[tuple[str, bytes, str]] = (),
) -> int:
    """Send template set `name` to `recipients` (as Bcc); `attachments` are (filename, content, MIME type)."""
    to = sorted({r for r in recipients if r})
    if not to:
        return 0
    subject, text, html = render(name, context, language)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, bcc=to)
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message.send()
