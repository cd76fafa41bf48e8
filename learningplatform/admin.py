"""Admin for every consolidated model: filters on the choice fields, search, raw-id foreign keys."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from learningplatform.models import ConsolidationConflict, Course, Submission, Task, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Profile", {"fields": ("bio", "profile_picture")}),
    )


class TaskInline(admin.TabularInline):
    model = Task
    fields = ("title", "task_type", "status", "deadline", "max_score")
    show_change_link = True
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "instructor", "status", "visibility", "difficulty_level", "created_at")
    list_filter = ("status", "visibility", "difficulty_level", "created_at")
    search_fields = ("title", "description", "instructor__username")
    raw_id_fields = ("instructor",)
    date_hierarchy = "created_at"
    readonly_fields = ("updated_at",)
    list_select_related = ("instructor",)
    inlines = [TaskInline]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "course", "task_type", "status", "deadline", "max_score")
    list_filter = ("task_type", "status", "difficulty_level", "is_randomized", "deadline")
    search_fields = ("title", "description", "course__title")
    raw_id_fields = ("course", "created_by")
    readonly_fields = ("updated_at",)
    list_select_related = ("course",)


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("task", "user", "attempt", "submitted_at", "score", "is_graded")
    list_filter = ("is_graded", "task__task_type", "submitted_at")
    search_fields = ("task__title", "user__username", "content")
    raw_id_fields = ("task", "user", "graded_by")
    list_select_related = ("task", "user")


@admin.register(ConsolidationConflict)
class ConsolidationConflictAdmin(admin.ModelAdmin):
    """Legacy values the consolidation recorded: read-only, the proof that nothing was lost."""

    list_display = (
        "legacy_table", "legacy_id", "new_id", "field", "kind", "rule",
        "legacy_value", "kept_value",
    )  # fmt: skip
    list_filter = ("kind", "rule", "legacy_table", "field")
    search_fields = ("legacy_value", "kept_value", "=legacy_id", "=new_id")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
