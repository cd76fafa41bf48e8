"""The record of documents the read path left to GraphQL's executor, and why."""

from django.db import models


class ReadFallback(models.Model):
    """One document and one reason, with how often the executor answered it for that reason."""

    digest = models.CharField(max_length=64, help_text="SHA-256 of the document's text.")
    reason = models.CharField(max_length=300)
    operation_name = models.CharField(max_length=200, blank=True)
    document = models.TextField()
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
