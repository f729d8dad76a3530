from typing import Any, NoReturn

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("AuditEvent is append-only")

    def delete(self) -> NoReturn:
        raise TypeError("AuditEvent is append-only")


class AuditEvent(models.Model):
    """Who did what to what, and when. Append-only: written in the same transaction as the change.

    `actor_kind` is person, staff, system or integrator; `actor_ref` is a person's primary key,
    a staff user's username, a job name or an API key's prefix — never a national ID number.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_kind = models.CharField(max_length=16)
    actor_ref = models.CharField(max_length=64, blank=True)
    actor_label = models.CharField(max_length=200, blank=True)
    # Indexed in Meta (a plain index: nothing filters actions with LIKE).
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64)
    # Indexed by (company, at) below, which also serves lookups by company alone. No foreign-key
    # constraint in the database: a bulk writer (the recompute records tens of thousands of
    # events at once) would pay a row lock on the company per event at commit. PROTECT still
    # holds for every delete through Django (docs/architecture.md, "Audit").
    company = models.ForeignKey(
        "companies.Company",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # Every index is written for each event (the recompute writes tens of thousands at a
        # time): each one here serves a query (docs/architecture.md, "Audit").
        indexes = [
            models.Index(fields=["action"], name="audit_event_action_idx"),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["company", "at"]),
        ]
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("AuditEvent is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("AuditEvent is append-only")
