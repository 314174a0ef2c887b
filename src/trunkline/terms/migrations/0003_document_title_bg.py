"""Documents get a Bulgarian title, shown to Bulgarian readers; the four first documents get theirs."""

from django.db import migrations, models

TITLES_BG = {
    "platform-terms": "Общи условия за ползване на платформата",
    "reseller-terms": "Условия за търговски партньори",
    "privacy-notice": "Уведомление за поверителност",
    "data-processing-annex": "Приложение за обработване на данни",
}


def add_titles(apps, schema_editor):
    LegalDocument = apps.get_model("terms", "LegalDocument")
    for slug, title in TITLES_BG.items():
        LegalDocument.objects.filter(slug=slug, title_bg="").update(title_bg=title)


class Migration(migrations.Migration):
    dependencies = [("terms", "0002_legal_documents")]

    operations = [
        migrations.AddField(
            model_name="legaldocument",
            name="title_bg",
            field=models.CharField(blank=True, max_length=200, verbose_name="title in Bulgarian"),
        ),
        migrations.RunPython(add_titles, migrations.RunPython.noop),
    ]
