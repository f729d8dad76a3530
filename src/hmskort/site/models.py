from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class NewsItem(models.Model):
    """A news item on the front page ("Nytt for året / New for the year")."""

    published_on = models.DateField(_("published"), default=timezone.localdate)
    title_nb = models.CharField(max_length=200)
    title_en = models.CharField(max_length=200)
    body_nb = models.TextField()
    body_en = models.TextField()
    is_published = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("news item")
        verbose_name_plural = _("news items")
        ordering = ["-published_on", "-id"]

    def __str__(self) -> str:
        return self.title_en

    def _lang(self) -> str:
        return (get_language() or "nb")[:2]

    @property
    def title(self) -> str:
        return self.title_en if self._lang() == "en" else self.title_nb

    @property
    def body(self) -> str:
        return self.body_en if self._lang() == "en" else self.body_nb
