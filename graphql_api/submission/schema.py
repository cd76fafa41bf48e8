"""The submission domain's root fields: its mutations (submissions are read through tasks)."""

from graphql_api.submission.mutations import SubmissionMutation

__all__ = ["SubmissionMutation"]
