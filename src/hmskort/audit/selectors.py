"""Reading the audit log."""

from django.db.models import QuerySet

from .models import AuditEvent


def company_history(company) -> QuerySet[AuditEvent]:
    """Every event recorded against a company, newest first."""
    return AuditEvent.objects.filter(company=company).order_by("-at", "-id")
