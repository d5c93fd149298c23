from django.core import mail

from core import emails
from tests.core.lifecycle import nb


def _send_for(title: str) -> mail.EmailMultiAlternatives:
    application = {"pk": 7, "title": title, "call": {"title": "Datakvalitet 2026"}}
    emails.send("application_submitted", ["b@example.no", "a@example.no", ""], {"application": application})
    return mail.outbox[-1]


def test_subject_and_text_body_are_not_html_escaped():
    message = _send_for("Kvalitet & <data>")

    assert message.subject == nb("Application submitted: %(title)s", title="Kvalitet & <data>")
    assert "Kvalitet & <data>" in message.body
    assert "&amp;" not in message.body


def test_html_body_stays_escaped():
    message = _send_for("Kvalitet & <script>")

    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Kvalitet &amp; &lt;script&gt;" in html
    assert "<script>" not in html


def test_recipients_are_blind_copied_once_each_and_blanks_dropped():
    message = _send_for("Søknad")

    assert (message.to, message.bcc) == ([], ["a@example.no", "b@example.no"])
