"""The Submission type."""

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from django.db.models import QuerySet
from strawberry import relay
from strawberry.types import Info

from graphql_api.nodes import node_type
from graphql_api.permissions import current_user
from learningplatform import models
from learningplatform.selectors import submissions_visible_to

if TYPE_CHECKING:
    from graphql_api.task.types import Task
    from graphql_api.user.types import User


@node_type(models.Submission, name="Submission", description="One attempt by a student at a task.")
class Submission(relay.Node):
    task: Annotated["Task", strawberry.lazy("graphql_api.task.types")] | None = (
        strawberry_django.field(
            description="The task attempted; null once it is hidden from you (a task taken back "
            "to draft after you submitted, say), as any task you may not see."
        )
    )
    user: Annotated["User", strawberry.lazy("graphql_api.user.types")]
    attempt: int = strawberry_django.field(description="1 for the first attempt, then 2, 3 ...")
    content: str
    submitted_at: datetime
    score: Decimal | None
    is_graded: bool
    graded_by: Annotated["User", strawberry.lazy("graphql_api.user.types")] | None

    @classmethod
    def get_queryset(cls, queryset: QuerySet, info: Info, **kwargs) -> QuerySet:
        return submissions_visible_to(current_user(info), queryset)
