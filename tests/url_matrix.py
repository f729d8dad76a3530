"""Access matrices list every page of an app: a page added without a row in its matrix fails."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import ModuleType

from django.urls import URLPattern


def page_names(urls: ModuleType) -> set[str]:
    """The names of the pages an app's urls module declares (included modules not counted)."""
    return {p.name for p in urls.urlpatterns if isinstance(p, URLPattern) and p.name}


def assert_every_page_listed(
    urls: ModuleType, listed: Iterable[str], *, left_out: Mapping[str, str] | None = None
) -> None:
    """Every page of `urls` is in the matrix (`listed`, URL names) or left out on purpose
    (`left_out`: name → why, where it is tested instead), and the matrix names no page that
    does not exist."""
    pages = page_names(urls)
    listed = set(listed)
    skipped = set(left_out or {})
    assert pages - listed - skipped == set(), "pages missing from the access matrix"
    assert (listed | skipped) - pages == set(), "the access matrix names pages that do not exist"
    assert listed & skipped == set(), "a page both listed and left out"
