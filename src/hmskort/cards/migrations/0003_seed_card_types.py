from django.db import migrations

CARD_TYPES = [
    {
        "code": "construction",
        "name_nb": "HMS-kort for bygg og anlegg",
        "name_en": "HSE card for building and construction",
        "description_nb": (
            "For alle som utfører arbeid på bygge- og anleggsplasser, "
            "etter byggekortforskriften (FOR-2007-03-30-366)."
        ),
        "description_en": (
            "For everyone who works on building and construction sites, under the "
            "construction card regulation (FOR-2007-03-30-366)."
        ),
        "regulation": "FOR-2007-03-30-366",
        "requires_cleaning_approval": False,
        "requires_residence_permit": False,
        "sort_order": 10,
    },
    {
        "code": "cleaning",
        "name_nb": "HMS-kort for renhold",
        "name_en": "HSE card for cleaning",
        "description_nb": (
            "For ansatte i godkjente renholdsvirksomheter, etter renholdsforskriften "
            "(FOR-2012-05-08-408). Gjelder også på bygge- og anleggsplasser."
        ),
        "description_en": (
            "For employees of approved cleaning companies, under the cleaning regulation "
            "(FOR-2012-05-08-408). Also valid on building and construction sites."
        ),
        "regulation": "FOR-2012-05-08-408",
        "requires_cleaning_approval": True,
        "requires_residence_permit": True,
        "sort_order": 20,
    },
]


def seed(apps, schema_editor):
    CardType = apps.get_model("cards", "CardType")
    for data in CARD_TYPES:
        CardType.objects.update_or_create(code=data["code"], defaults=data)
    cleaning = CardType.objects.get(code="cleaning")
    cleaning.also_valid_as.add(CardType.objects.get(code="construction"))


class Migration(migrations.Migration):
    dependencies = [("cards", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
