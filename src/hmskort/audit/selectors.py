"""Reading the audit log."""

from django.db.models import QuerySet

from .models import AuditEvent


def company_history(company) -> QuerySet[AuditEvent]:
    """Every event recorded against a company, newest first."""
    return AuditEvent.objects.filter(company=company).order_by("-at", "-id")


def object_history(obj) -> QuerySet[AuditEvent]:
    """Every event recorded against one object (e.g. a card's lifecycle), newest first."""
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("-at", "-id")
