"""The task domain's root fields."""

from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry.types import Info

from graphql_api.connections import Connection
from graphql_api.filters import apply_filter, apply_order
from graphql_api.task.filters import TaskFilterInput, TaskOrder
from graphql_api.task.mutations import TaskMutation
from graphql_api.task.types import Task
from learningplatform import models


@strawberry.type
class TaskQuery:
    task: Task | None = strawberry_django.node(
        description="A task by id; null if there is none you can see."
    )

    @strawberry_django.connection(
        Connection[Task],
        description="Tasks you can see, a page at a time (at most the page size limit).",
        disable_optimization=True,  # the connection optimizes the page (connections.py)
    )
    def tasks(
        self,
        info: Info,
        filter: TaskFilterInput | None = None,  # noqa: A002 - the GraphQL argument's name
        order_by: TaskOrder | None = None,
    ) -> Iterable[models.Task]:
        # Visibility: Task.get_queryset (tasks_visible_to), which strawberry-django applies
        # to every list of tasks, this one included; filtering here too would repeat it.
        tasks = models.Task.objects.all()
        tasks = apply_filter(tasks, filter, info)
        return apply_order(tasks, order_by)


__all__ = ["TaskMutation", "TaskQuery"]
