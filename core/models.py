"""The outbox: every email the system sends is first a row here, written in the same transaction as the change that
causes it, then delivered by the worker. A unique key makes a reminder once-only across runs and workers; a failed
delivery stays pending with its error and is retried, so a mail server outage neither loses nor doubles a message."""

from django.conf import settings
from django.db import models


class OutboxState(models.TextChoices):
    PENDING = "pending", "pending"
    SENT = "sent", "sent"
    DIGEST = "digest", "in a digest"  # waiting for the recipient's weekly digest
    SKIPPED = "skipped", "skipped"  # the recipient turned this kind of notification off
    FAILED = "failed", "failed"  # gave up after the last retry


class OutboxMessage(models.Model):
    key = models.CharField(max_length=200, unique=True)  # e.g. "reminder:milestone:12:-14:2026-11-25:user:5"
    kind = models.CharField(max_length=60)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="outbox"
    )
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html = models.TextField(blank=True)
    essential = models.BooleanField(default=False)  # sent whatever the recipient's notification settings
    state = models.CharField(max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    send_after = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["state", "send_after"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.to} ({self.state})"
