import datetime as dt

from django.db import migrations

NEWS = [
    {
        "published_on": dt.date(2026, 1, 2),
        "title_nb": "Nytt for året: sjekk kortet med QR-koden",
        "title_en": "New for the year: check the card with its QR code",
        "body_nb": (
            "Alle nye HMS-kort har en QR-kode som åpner kortets gyldighet direkte. "
            "Kortet viser nå også utløpsdato."
        ),
        "body_en": (
            "Every new HSE card carries a QR code that opens the card's live status. "
            "The card now also shows its expiry date."
        ),
    },
    {
        "published_on": dt.date(2026, 1, 1),
        "title_nb": "Status følger registrene automatisk",
        "title_en": "Status follows the registers by itself",
        "body_nb": (
            "Når en registreringsplikt ikke lenger er oppfylt, blir kortet ugyldig med "
            "begrunnelse, og gyldig igjen når plikten er oppfylt."
        ),
        "body_en": (
            "When a registration duty is no longer met, the card turns invalid with the "
            "reason, and valid again when the duty is met again."
        ),
    },
]


def seed(apps, schema_editor):
    NewsItem = apps.get_model("site", "NewsItem")
    for item in NEWS:
        NewsItem.objects.get_or_create(title_en=item["title_en"], defaults=item)


class Migration(migrations.Migration):
    dependencies = [("site", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
