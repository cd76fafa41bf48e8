"""Fallback documents stored once by digest, and truncated: ReadFallback keeps the digest only."""

from django.db import migrations, models

TEXT_BYTES = 16 * 1024  # graphql_api.readpath.fallbacks.TEXT_BYTES when this was written


def cut(text: str) -> str:
    return text.encode()[:TEXT_BYTES].decode(errors="ignore")


def store_each_document_once(apps, schema_editor):
    ReadFallback = apps.get_model("graphql_api", "ReadFallback")
    FallbackDocument = apps.get_model("graphql_api", "FallbackDocument")
    seen = set()
    for digest, text in ReadFallback.objects.values_list("digest", "document").iterator():
        if digest in seen:
            continue
        seen.add(digest)
        kept = cut(text)
        FallbackDocument.objects.create(
            digest=digest, text=kept, size=len(text.encode()), kept=len(kept.encode())
        )


def copy_the_texts_back(apps, schema_editor):
    ReadFallback = apps.get_model("graphql_api", "ReadFallback")
    FallbackDocument = apps.get_model("graphql_api", "FallbackDocument")
    for digest, text in FallbackDocument.objects.values_list("digest", "text").iterator():
        ReadFallback.objects.filter(digest=digest).update(document=text)


class Migration(migrations.Migration):
    dependencies = [("graphql_api", "0001_read_fallbacks")]

    operations = [
        migrations.CreateModel(
            name="FallbackDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "digest",
                    models.CharField(
                        help_text="SHA-256 of the full text.", max_length=64, unique=True
                    ),
                ),
                (
                    "text",
                    models.TextField(help_text="The text, cut to fallbacks.TEXT_BYTES bytes."),
                ),
                ("size", models.PositiveIntegerField(help_text="Bytes of the full text.")),
                ("kept", models.PositiveIntegerField(help_text="Bytes of the text stored here.")),
            ],
        ),
        migrations.RunPython(store_each_document_once, copy_the_texts_back),
        # A default first, so that going back can add the column to existing rows.
        migrations.AlterField(
            model_name="readfallback", name="document", field=models.TextField(default="")
        ),
        migrations.RemoveField(model_name="readfallback", name="document"),
    ]
