"""The API's own tables: the read path's record of fallbacks."""

from graphql_api.readpath.models import ReadFallback

__all__ = ["ReadFallback"]
