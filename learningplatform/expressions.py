"""Query expressions the selectors and the API share."""

from django.db.models import IntegerField, QuerySet, Subquery


class RowCount(Subquery):
    """`(SELECT COUNT(*) FROM (<queryset>))`: how many rows a correlated queryset holds.

    A scalar subquery, so an annotation made of it is computed for each row the outer query
    returns, after its LIMIT, and counts 0 (not NULL) where no row matches; a `Count` over a
    join would group the whole outer list first.
    """

    template = "(SELECT COUNT(*) FROM (%(subquery)s) counted)"
    output_field = IntegerField()
    empty_result_set_value = 0  # a queryset Django knows is empty (`.none()`) counts nothing

    def __init__(self, queryset: QuerySet) -> None:
        super().__init__(queryset.order_by().values("pk"))


class TallySum(Subquery):
    """`(SELECT SUM(tasks) FROM (<queryset>))`: how many tasks a correlated queryset of
    TaskTally rows counts; 0 where none matches."""

    # PostgreSQL sums bigints as numeric: cast back, so the count is an integer everywhere.
    template = "(SELECT CAST(COALESCE(SUM(tasks), 0) AS bigint) FROM (%(subquery)s) tallied)"
    output_field = IntegerField()
    empty_result_set_value = 0

    def __init__(self, queryset: QuerySet) -> None:
        super().__init__(queryset.order_by().values("tasks"))
