from django.db import migrations

from marketplace.terms_text import FIRST_TITLE, FIRST_TEXT, FIRST_VERSION



def create(apps, schema_editor):
    TermsVersion = apps.get_model("marketplace", "TermsVersion")
    TermsVersion.objects.get_or_create(
        version=FIRST_VERSION,
        defaults={"title": FIRST_TITLE, "text": FIRST_TEXT, "current": True},
    )


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0002_works_and_grants")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
