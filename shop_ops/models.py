"""Tables of the project's plumbing (nothing domain-specific lives here)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """A Celery message not yet handed to the broker.

    `shop_ops.jobs.enqueue` writes the row in the transaction that creates the job and deletes it once the broker
    has taken the message; a row that stays means the broker was unreachable, and `flush_outbox` sends it later.
    """

    task_name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("queued job message")
        verbose_name_plural = _("queued job messages")
        ordering = ["pk"]
        indexes = [models.Index(fields=["task_name"], name="outbox_task_name")]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"
