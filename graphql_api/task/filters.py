"""Task filter and order inputs, derived from learningplatform.filters.TaskFilter."""

from graphql_api.filters import filter_input, order_input
from learningplatform.filters import TaskFilter

TaskFilterInput = filter_input(TaskFilter, "TaskFilter")
TaskOrder, TaskOrderField = order_input(
    "TaskOrder",
    {
        "TITLE": "title",
        "DEADLINE": "deadline",
        "CREATED_AT": "created_at",
        "UPDATED_AT": "updated_at",
        "TASK_TYPE": "task_type",
        "MAX_SCORE": "max_score",
    },
)
