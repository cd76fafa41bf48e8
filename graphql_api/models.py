"""The API's own tables: the read path's record of fallbacks."""

from graphql_api.readpath.models import FallbackDocument, ReadFallback

__all__ = ["FallbackDocument", "ReadFallback"]
