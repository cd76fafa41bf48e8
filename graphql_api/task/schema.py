"""The task domain's root fields."""

from collections.abc import Iterable

import strawberry
import strawberry_django
from strawberry.types import Info

from graphql_api.connections import Connection
from graphql_api.filters import apply_filter, apply_order
from graphql_api.node_types import NODE_TYPES
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
        Connection[Task], description="Tasks you can see, at most 100 a page."
    )
    def tasks(
        self,
        info: Info,
        filter: TaskFilterInput | None = None,  # noqa: A002 - the GraphQL argument's name
        order_by: TaskOrder | None = None,
    ) -> Iterable[models.Task]:
        # Visibility is Task.get_queryset's, which strawberry-django applies to this queryset.
        tasks = models.Task.objects.all()
        tasks = apply_filter(tasks, filter, request=info.context.request, node_types=NODE_TYPES)
        return apply_order(tasks, order_by)


__all__ = ["TaskMutation", "TaskQuery"]
