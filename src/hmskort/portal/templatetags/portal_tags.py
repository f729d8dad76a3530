from django import template

from hmskort.companies.roles import role_label
from hmskort.identifiers import format_orgnr

register = template.Library()


@register.filter
def role_labels(codes) -> str:
    """'Managing director (DAGL), Chair of the board (LEDE)'"""
    return ", ".join(f"{role_label(code)} ({code})" for code in codes)


@register.filter
def orgnr(value: str) -> str:
    return format_orgnr(value)
