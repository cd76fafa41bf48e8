"""Admin for every consolidated model: filters on the choice fields, search, raw-id foreign keys."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from learningplatform.access_tokens import (
    MAX_LIFETIME_DAYS,
    access_token_create,
    access_token_revoke,
)
from learningplatform.models import (
    ConsolidationConflict,
    Course,
    PersonalAccessToken,
    Submission,
    Task,
    User,
)


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


class AccessTokenCreationForm(forms.ModelForm):
    expires_in_days = forms.IntegerField(min_value=1, max_value=MAX_LIFETIME_DAYS, initial=30)

    class Meta:
        model = PersonalAccessToken
        fields = ("user", "name", "scope")


@admin.register(PersonalAccessToken)
class PersonalAccessTokenAdmin(admin.ModelAdmin):
    """Tokens are made here (the secret is shown once, in a message) and revoked; never edited."""

    list_display = (
        "name", "user", "scope", "hint", "created_at", "expires_at", "last_used_at", "revoked_at",
    )  # fmt: skip
    list_filter = ("scope", "created_at", "expires_at", "revoked_at")
    search_fields = ("name", "hint", "user__username")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    actions = ["revoke"]
    shown = ("user", "name", "scope", "hint", "created_at", "expires_at", "last_used_at")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AccessTokenCreationForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "scope", "expires_in_days")
        return (*self.shown, "revoked_at")

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else (*self.shown, "revoked_at")

    def get_changeform_initial_data(self, request):
        return {"user": request.user.pk, **super().get_changeform_initial_data(request)}

    def save_model(self, request, obj, form, change):
        if change:
            return
        token, secret = access_token_create(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
        for field in PersonalAccessToken._meta.concrete_fields:  # the admin links to what it made
            setattr(obj, field.attname, getattr(token, field.attname))
        obj._state.adding = False
        messages.success(
            request, f"Copy the token now, it is not shown again: {secret}", extra_tags="token"
        )

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset:
            access_token_revoke(token=token)
        self.message_user(request, f"Revoked {queryset.count()} tokens.")
