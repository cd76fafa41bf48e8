"""The record of documents the read path left to GraphQL's executor, and why."""

from django.db import models


class FallbackDocument(models.Model):
    """A document's text, stored once however many reasons it fell back for, and truncated."""

    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the full text.")
    text = models.TextField(help_text="The text, cut to fallbacks.TEXT_BYTES bytes.")
    size = models.PositiveIntegerField(help_text="Bytes of the full text.")
    kept = models.PositiveIntegerField(help_text="Bytes of the text stored here.")

    class Meta:
        app_label = "graphql_api"

    def __str__(self) -> str:
        return self.digest[:12]

    @property
    def truncated(self) -> bool:
        return self.kept < self.size


class ReadFallback(models.Model):
    """One document and one reason, with how often the executor answered it for that reason.

    `digest` names a FallbackDocument, or is "other": the documents beyond the record's bounds,
    counted together per reason.
    """

    digest = models.CharField(max_length=64, help_text="SHA-256 of the document's text.")
    reason = models.CharField(max_length=300)
    operation_name = models.CharField(max_length=200, blank=True)
    uses = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        app_label = "graphql_api"
        constraints = [
            models.UniqueConstraint(fields=["digest", "reason"], name="one_row_per_fallback")
        ]

    def __str__(self) -> str:
        return f"{self.operation_name or self.digest[:12]}: {self.reason}"
