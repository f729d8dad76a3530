"""Template filters every audience app uses to show identifiers the way people read them."""

from django import template

from hmskort.identifiers import format_orgnr

register = template.Library()


@register.filter
def orgnr(value: str) -> str:
    """974760673 → 974 760 673."""
    return format_orgnr(value)
