"""Submission order input: a task's `submissions` list has no root list, and orders by these."""

from graphql_api.filters import order_input

SubmissionOrder, SubmissionOrderField = order_input(
    "SubmissionOrder",
    {
        "SUBMITTED_AT": "submitted_at",
        "SCORE": "score",
        "ATTEMPT": "attempt",
    },
)
