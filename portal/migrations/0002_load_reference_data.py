from django.db import migrations


def load(apps, schema_editor):
    from portal.reference import reference_data_load

    reference_data_load(apps)


class Migration(migrations.Migration):
    dependencies = [("portal", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
