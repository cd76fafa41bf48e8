"""Course filter and order inputs, derived from learningplatform.filters.CourseFilter."""

from graphql_api.filters import filter_input, order_input
from learningplatform.filters import CourseFilter

CourseFilterInput = filter_input(CourseFilter, "CourseFilter")
CourseOrder, CourseOrderField = order_input(
    "CourseOrder",
    {
        "TITLE": "title",
        "CREATED_AT": "created_at",
        "UPDATED_AT": "updated_at",
        "STATUS": "status",
        "DIFFICULTY_LEVEL": "difficulty_level",
    },
)
