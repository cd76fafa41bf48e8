"""One django-filter FilterSet per model: the GraphQL filter inputs are derived from these."""

import django_filters
from django.db.models import CharField, Q, QuerySet, TextChoices, TextField
from django.db.models.lookups import IContains

from learningplatform.choices import CourseStatus, DifficultyLevel, TaskStatus, TaskType, Visibility
from learningplatform.models import Course, Task, User
from learningplatform.selectors import courses_visible_to


def _visible_courses(request) -> QuerySet[Course]:
    # An id the user may not see filters like an unknown one: both are "not a valid choice".
    return courses_visible_to(request.user)


class EnumFilter(django_filters.ChoiceFilter):
    """A choice filter that remembers its TextChoices, so an API can expose it as that enum."""

    def __init__(self, choices_class: type[TextChoices], **kwargs) -> None:
        self.choices_class = choices_class
        super().__init__(choices=choices_class.choices, **kwargs)


# Words to look for, not documents: a longer pattern only makes the scan slower.
SEARCH_MAX_LENGTH = 200
SEARCH_HELP = f"Words in the title or description (at most {SEARCH_MAX_LENGTH} characters)."


class SearchContains(IContains):
    """`icontains` under its own class, so a list can tell it was searched (`is_searched`): the
    same lookup and SQL, so the trigram indexes of migration 0007 still serve it."""


for _field in (CharField, TextField):
    _field.register_lookup(SearchContains, lookup_name="search_contains")


def is_searched(queryset: QuerySet) -> bool:
    """Whether a SearchFilter narrowed `queryset`."""
    nodes = [queryset.query.where]
    while nodes:
        node = nodes.pop()
        if isinstance(node, SearchContains):
            return True
        nodes.extend(getattr(node, "children", ()))
    return False


class SearchFilter(django_filters.CharFilter):
    """Case-insensitive text search over several fields, of at most SEARCH_MAX_LENGTH characters."""

    def __init__(self, fields: list[str], **kwargs) -> None:
        self.search_fields = fields
        super().__init__(method=self.search, max_length=SEARCH_MAX_LENGTH, **kwargs)

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__search_contains": value})
        return queryset.filter(condition)


class CourseFilter(django_filters.FilterSet):
    status = EnumFilter(CourseStatus)
    visibility = EnumFilter(Visibility)
    difficulty_level = EnumFilter(DifficultyLevel)
    instructor = django_filters.ModelChoiceFilter(queryset=User.objects.all())
    search = SearchFilter(["title", "description"], help_text=SEARCH_HELP)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Course
        fields: list[str] = []


class TaskFilter(django_filters.FilterSet):
    task_type = EnumFilter(TaskType)
    status = EnumFilter(TaskStatus)
    difficulty_level = EnumFilter(DifficultyLevel)
    course = django_filters.ModelChoiceFilter(queryset=_visible_courses)
    search = SearchFilter(["title", "description"], help_text=SEARCH_HELP)
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    deadline_after = django_filters.IsoDateTimeFilter(field_name="deadline", lookup_expr="gte")
    deadline_before = django_filters.IsoDateTimeFilter(field_name="deadline", lookup_expr="lt")

    class Meta:
        model = Task
        fields: list[str] = []
