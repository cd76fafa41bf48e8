"""The API's own tables: the read path's record of fallbacks, and the documents client builds
registered (graphql_api/manifests.py)."""

from django.db import models

from graphql_api.readpath.models import FallbackDocument, ReadFallback

__all__ = ["FallbackDocument", "ReadFallback", "RegisteredDocument"]


class RegisteredDocument(models.Model):
    """A document a client's build registered from its manifest, trusted until revoked."""

    # The id as the client sends it, without a `sha256:` prefix: the hex digest of `body` by
    # `algorithm` (md5 for Relay's default, sha1 for older Codegen, sha256 otherwise).
    document_id = models.CharField(max_length=64, unique=True)
    algorithm = models.CharField(max_length=10)
    sha256 = models.CharField(
        max_length=64,
        db_index=True,
        help_text="SHA-256 of the body, to match a document sent as text.",
    )
    body = models.TextField()
    operation_names = models.CharField(max_length=500, blank=True)
    client = models.CharField(max_length=100, help_text="The client that registered it.")
    release = models.CharField(max_length=100, help_text="The client's build that registered it.")
    manifest_format = models.CharField(max_length=20)
    registered_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "graphql_api"
        indexes = [models.Index(fields=["client", "release"], name="registered_by_release")]

    def __str__(self) -> str:
        return f"{self.client} {self.release}: {self.operation_names or self.document_id[:12]}"
