from django.db import migrations, models

# The colour of each card type's band on the printed card (our rule).
COLOURS = {"construction": "#1E4B8C", "cleaning": "#0F7A5A"}


def set_colours(apps, schema_editor):
    CardType = apps.get_model("cards", "CardType")
    for code, colour in COLOURS.items():
        CardType.objects.filter(code=code).update(colour=colour)


class Migration(migrations.Migration):
    dependencies = [("cards", "0005_card_indexes_used_by_queries")]

    operations = [
        migrations.AddField(
            model_name="cardtype",
            name="colour",
            field=models.CharField(
                default="#1E4B8C",
                help_text="The colour of the card type's band on the printed card, as #RRGGBB.",
                max_length=7,
                verbose_name="colour",
            ),
        ),
        migrations.RunPython(set_colours, migrations.RunPython.noop),
    ]
