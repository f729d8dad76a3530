# Cards are updated in place when their validity changes. Leaving room on each page lets
# PostgreSQL update them without touching the indexes (HOT updates): none of the columns the
# recompute writes is indexed.

from django.db import migrations


def set_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cards_card SET (fillfactor = 80)")


def reset_fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE cards_card RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("cards", "0003_seed_card_types")]
    operations = [migrations.RunPython(set_fillfactor, reset_fillfactor)]
