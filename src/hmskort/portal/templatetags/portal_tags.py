from django import template

from hmskort.companies.roles import role_label

register = template.Library()


@register.filter
def role_labels(codes) -> str:
    """'Managing director (DAGL), Chair of the board (LEDE)'"""
    return ", ".join(f"{role_label(code)} ({code})" for code in codes)
