import datetime as dt
from decimal import Decimal

from django.db import migrations


def seed(apps, schema_editor):
    CardType = apps.get_model("cards", "CardType")
    Price = apps.get_model("orders", "Price")
    for card_type in CardType.objects.filter(code__in=["construction", "cleaning"]):
        Price.objects.get_or_create(
            card_type=card_type,
            valid_from=dt.date(2025, 1, 1),
            defaults={"amount_ex_vat": Decimal("104.00"), "vat_rate": Decimal("0.250")},
        )


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial"), ("cards", "0003_seed_card_types")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
