"""graphene-django 3.2 over the same models, for bench/api.py: the peer a Django team would
otherwise write. Settings (production's, minus Strawberry's apps), URLconf and schema in one module.

The schema mirrors ours where the benchmark's documents reach (Course, Task, User as Relay nodes,
so global ids are alike; connections with totalCount; the CourseFilter and CourseOrder inputs),
and every resolver does what a careful hand would: select_related for to-one relations,
prefetch_related with a per-parent slice for nested pages, the same visibility rule as the API
applies to anonymous clients. Runs in .venv-bench-graphene (graphene pins an older graphql-core).
"""

import graphene
from django.db.models import Prefetch
from django.urls import path
from django.utils.duration import duration_iso_string
from django.views.decorators.csrf import csrf_exempt
from graphene import relay
from graphene_django import DjangoObjectType
from graphene_django.views import GraphQLView
from graphql import print_ast
from graphql_relay import from_global_id, offset_to_cursor

from config.settings import *  # noqa: F403 - production settings, then what differs
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [  # noqa: F811
    app for app in INSTALLED_APPS if app not in {"graphql_api", "strawberry_django", "legacy_shim"}
] + ["graphene_django"]
ROOT_URLCONF = "bench.graphene_app"
LEGACY_SHIM = False


def _models():
    from learningplatform.models import Course, Task, User

    return Course, Task, User


class PageInfo(graphene.ObjectType):
    has_next_page = graphene.Boolean(required=True)
    end_cursor = graphene.String()


def page(nodes: list, total: int | None, offset: int = 0) -> dict:
    return {
        "total_count": total,
        "page_info": {
            "has_next_page": total is not None and offset + len(nodes) < total,
            "end_cursor": offset_to_cursor(offset + len(nodes) - 1) if nodes else None,
        },
        "edges": [{"node": node} for node in nodes],
    }


def connection(node_type):
    name = node_type._meta.name
    edge = type(f"{name}Edge", (graphene.ObjectType,), {"node": graphene.Field(node_type)})
    return type(
        f"{name}Connection",
        (graphene.ObjectType,),
        {
            "total_count": graphene.Int(),
            "page_info": graphene.Field(PageInfo, required=True),
            "edges": graphene.List(graphene.NonNull(edge), required=True),
        },
    )


def document(info) -> str:
    """The operation's text: which fields it selects decides what to fetch."""
    return print_ast(info.operation)


def _visible_tasks():
    _, Task, _ = _models()
    return Task.objects.filter(status="PUBLISHED").order_by("id")


def _visible_courses():
    Course, _, _ = _models()
    return Course.objects.filter(status="PUBLISHED", visibility="PUBLIC")


def build_schema() -> graphene.Schema:
    CourseModel, TaskModel, UserModel = _models()

    class User(DjangoObjectType):
        class Meta:
            model = UserModel
            interfaces = (relay.Node,)
            fields = ("id", "username", "first_name", "last_name", "bio")

        first_name = graphene.String()  # nullable, as ours: private to its user
        last_name = graphene.String()
        bio = graphene.String()

        def resolve_bio(self, info):
            return None  # private to its user: our API answers null to anyone else

        resolve_first_name = resolve_last_name = resolve_bio

    class Task(DjangoObjectType):
        class Meta:
            model = TaskModel
            interfaces = (relay.Node,)
            convert_choices_to_enum = False
            fields = ("id", "title", "description", "task_type", "status", "deadline",
                      "max_score", "passing_score", "max_submissions", "time_limit", "course")  # fmt: skip

    TaskConnection = connection(Task)

    class Course(DjangoObjectType):
        class Meta:
            model = CourseModel
            interfaces = (relay.Node,)
            convert_choices_to_enum = False
            fields = ("id", "title", "description", "status", "visibility", "learning_objectives",
                      "prerequisites", "difficulty_level", "created_at", "instructor")  # fmt: skip

        duration = graphene.String()
        tasks = graphene.Field(TaskConnection, required=True, first=graphene.Int())
        task_count = graphene.Int()

        def resolve_task_count(self, info):
            return self.tasks.filter(status="PUBLISHED").count()

        def resolve_duration(self, info):
            return duration_iso_string(self.duration) if self.duration is not None else None

        def resolve_tasks(self, info, first=100):
            nodes = list(self.page_of_tasks)  # prefetched, already sliced per course
            total = getattr(self, "visible_task_count", None)
            return page(nodes[:first], total)

    CourseConnection = connection(Course)

    DifficultyLevel = graphene.Enum(
        "DifficultyLevel", [(v, v) for v in ("BEGINNER", "INTERMEDIATE", "ADVANCED")]
    )
    CourseOrderField = graphene.Enum(
        "CourseOrderField", [(v, v) for v in ("TITLE", "CREATED_AT", "UPDATED_AT")]
    )
    OrderDirection = graphene.Enum("OrderDirection", [("ASC", "ASC"), ("DESC", "DESC")])

    class CourseFilter(graphene.InputObjectType):
        difficulty_level = DifficultyLevel()

    TaskType = graphene.Enum(
        "TaskType",
        [
            (v, v)
            for v in (
                "LEARNING",
                "QUIZ",
                "ASSESSMENT",
                "SUBMISSION",
                "TEXT_SUBMISSION",
                "FILE_UPLOAD",
                "MULTIPLE_CHOICE",
            )
        ],
    )
    TaskOrderField = graphene.Enum("TaskOrderField", [("DEADLINE", "DEADLINE")])

    class TaskFilter(graphene.InputObjectType):
        task_type = TaskType()

    class TaskOrder(graphene.InputObjectType):
        field = TaskOrderField(required=True)
        direction = OrderDirection()

    class CourseOrder(graphene.InputObjectType):
        field = CourseOrderField(required=True)
        direction = OrderDirection()

    def with_tasks(queryset, info, first_tasks: int | None):
        """select_related/prefetch_related for what the query selects (a careful hand)."""
        from django.db.models import Count, Q

        queryset = queryset.select_related("instructor")
        tasks = _visible_tasks()
        if first_tasks is not None:
            queryset = queryset.prefetch_related(
                Prefetch("tasks", queryset=tasks[:first_tasks], to_attr="page_of_tasks")
            )
        if "totalCount" in document(info):
            queryset = queryset.annotate(
                visible_task_count=Count("tasks", filter=Q(tasks__status="PUBLISHED"))
            )
        return queryset

    def nested_first(info) -> int | None:
        text = document(info)
        if "tasks(first: " not in text:
            return None
        return int(text.split("tasks(first: ", 1)[1].split(")", 1)[0])

    ORDER = {"TITLE": "title", "CREATED_AT": "created_at", "UPDATED_AT": "updated_at"}

    class Query(graphene.ObjectType):
        courses = graphene.Field(
            CourseConnection, required=True, first=graphene.Int(), after=graphene.String(),
            filter=CourseFilter(), order_by=CourseOrder(),
        )  # fmt: skip
        course = graphene.Field(Course, id=graphene.ID(required=True))
        tasks = graphene.Field(
            TaskConnection, required=True, first=graphene.Int(), filter=TaskFilter(),
            order_by=TaskOrder(),
        )  # fmt: skip

        def resolve_courses(self, info, first=100, after=None, filter=None, order_by=None):
            queryset = _visible_courses()
            if filter and filter.get("difficulty_level"):
                queryset = queryset.filter(difficulty_level=filter["difficulty_level"].value)
            total = queryset.count() if "totalCount" in document(info) else None
            ordering = ["id"]
            if order_by:
                column = ORDER[order_by["field"].value]
                direction = order_by.get("direction")
                sign = "-" if direction is not None and direction.value == "DESC" else ""
                ordering = [sign + column, sign + "id"]
            queryset = with_tasks(queryset.order_by(*ordering), info, nested_first(info))
            return page(list(queryset[:first]), total)

        def resolve_course(self, info, id):
            pk = from_global_id(id).id
            queryset = with_tasks(_visible_courses().filter(pk=pk), info, nested_first(info))
            return queryset.first()

        def resolve_tasks(self, info, first=100, filter=None, order_by=None):
            queryset = (
                _visible_tasks()
                .filter(course__status="PUBLISHED", course__visibility="PUBLIC")
                .select_related("course__instructor")
            )
            if filter and filter.get("task_type"):
                queryset = queryset.filter(task_type=filter["task_type"].value)
            if order_by:  # DEADLINE, ascending: the one order the benchmark asks for
                queryset = queryset.order_by("deadline", "id")
            return page(list(queryset[:first]), None)

    return graphene.Schema(query=Query, auto_camelcase=True)


class LazyView:
    """Builds the schema on the first request, once Django's apps are ready."""

    view = None

    def __call__(self, request, *args, **kwargs):
        if LazyView.view is None:
            LazyView.view = csrf_exempt(GraphQLView.as_view(schema=build_schema()))
        return LazyView.view(request, *args, **kwargs)


urlpatterns = [path("graphql/", csrf_exempt(LazyView()))]
