"""Query expressions the selectors and the API share."""

from django.db.models import IntegerField, QuerySet, Subquery


class TallySum(Subquery):
    """`(SELECT SUM(<column>) FROM (<queryset>))`: how many things a correlated queryset of
    tally rows counts (TaskTally's `tasks`, SubmissionTally's `submissions`); 0 where none
    matches."""

    # PostgreSQL sums bigints as numeric: cast back, so the count is an integer everywhere.
    template = "(SELECT CAST(COALESCE(SUM(%(column)s), 0) AS bigint) FROM (%(subquery)s) tallied)"
    output_field = IntegerField()
    empty_result_set_value = 0

    def __init__(self, queryset: QuerySet, column: str = "tasks") -> None:
        super().__init__(queryset.order_by().values(column), column=column)
