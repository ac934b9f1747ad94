
from decimal import Decimal

from django.db import migrations, models

# The domains existing definitions start with, as `domain.default_domain` gave them when
# this migration was written (kept here so that the migration does not change later).
SIGNED = {"net_profit"}
RANGES = {"digital_level": (Decimal(1), Decimal(4))}
NUMERIC = {"money", "decimal", "integer"}


def set_default_domains(apps, schema_editor):
    FactDefinition = apps.get_model("enterprises", "FactDefinition")
    for definition in FactDefinition.objects.all():
        if definition.code in RANGES:
            definition.minimum, definition.maximum = RANGES[definition.code]
        elif definition.value_type in NUMERIC and definition.code not in SIGNED:
            definition.minimum = Decimal(0)
        else:
            continue
        definition.save(update_fields=["minimum", "maximum"])


class Migration(migrations.Migration):

    dependencies = [
        ('enterprises', '0002_factdefinition_enterprise_clusters_formername_and_more'),
    ]

    operations = [
        migrations.AddField(
            model_name='factdefinition',
            name='maximum',
            field=models.DecimalField(blank=True, decimal_places=6, help_text='空为不限', max_digits=26, null=True, verbose_name='最大值'),
        ),
        migrations.AddField(
            model_name='factdefinition',
            name='members',
            field=models.CharField(blank=True, help_text='枚举类事实的可选值，逗号分隔', max_length=255, verbose_name='可选值'),
        ),
        migrations.AddField(
            model_name='factdefinition',
            name='minimum',
            field=models.DecimalField(blank=True, decimal_places=6, help_text='空为不限；金额与人数默认为 0（不能为负数）', max_digits=26, null=True, verbose_name='最小值'),
        ),
        migrations.AddField(
            model_name='historicalfactdefinition',
            name='maximum',
            field=models.DecimalField(blank=True, decimal_places=6, help_text='空为不限', max_digits=26, null=True, verbose_name='最大值'),
        ),
        migrations.AddField(
            model_name='historicalfactdefinition',
            name='members',
            field=models.CharField(blank=True, help_text='枚举类事实的可选值，逗号分隔', max_length=255, verbose_name='可选值'),
        ),
        migrations.AddField(
            model_name='historicalfactdefinition',
            name='minimum',
            field=models.DecimalField(blank=True, decimal_places=6, help_text='空为不限；金额与人数默认为 0（不能为负数）', max_digits=26, null=True, verbose_name='最小值'),
        ),
        migrations.RunPython(set_default_domains, migrations.RunPython.noop),
    ]
