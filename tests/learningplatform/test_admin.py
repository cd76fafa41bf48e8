"""Every model's admin lists, filters, searches and opens its objects."""

import pytest
from django.test import Client
from django.urls import reverse

from learningplatform.access_tokens import access_token_create
from learningplatform.models import PersonalAccessToken
from tests.factories import StaffFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(StaffFactory(is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("user", {"q": "user", "is_staff__exact": "0"}),
        ("course", {"q": "Course", "status__exact": "PUBLISHED", "visibility__exact": "PUBLIC"}),
        ("task", {"q": "Task", "task_type__exact": "ASSESSMENT", "status__exact": "PUBLISHED"}),
        ("submission", {"q": "needle", "is_graded__exact": "0"}),
    ],
)
def test_changelist_filters_and_searches(admin_client, model, query):
    submission = SubmissionFactory(content="needle in a haystack")
    submission.task.course.title = "Course on haystacks"
    submission.task.course.save()
    submission.task.title = "Task: find it"
    submission.task.save()
    response = admin_client.get(reverse(f"admin:learningplatform_{model}_changelist"), query)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


@pytest.mark.parametrize("model", ["course", "task", "submission"])
def test_change_form_uses_raw_id_widgets(admin_client, model):
    submission = SubmissionFactory()
    instance = {"course": submission.task.course, "task": submission.task}.get(model, submission)
    response = admin_client.get(
        reverse(f"admin:learningplatform_{model}_change", args=[instance.pk])
    )
    assert response.status_code == 200
    assert b"vForeignKeyRawIdAdminField" in response.content


def test_recorded_legacy_values_are_listed_filtered_and_read_only(admin_client):
    from learningplatform.models import ConsolidationConflict

    record = ConsolidationConflict.objects.create(
        legacy_table="tasks_learningtask", legacy_id=7, new_id=70, field="difficulty_level",
        kind="mapped", legacy_value="Level 2", kept_value=None, rule="difficulty_unrecognised",
    )  # fmt: skip
    ConsolidationConflict.objects.create(
        legacy_table="courses_course", legacy_id=8, new_id=80, field="status", kind="conflict",
        legacy_value="ARCHIVED", kept_value="PUBLISHED", rule="merge_original_wins",
    )  # fmt: skip
    changelist = reverse("admin:learningplatform_consolidationconflict_changelist")
    response = admin_client.get(changelist, {"rule": "difficulty_unrecognised", "q": "Level"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [record]
    assert not response.context["has_add_permission"]
    change = reverse("admin:learningplatform_consolidationconflict_change", args=[record.pk])
    page = admin_client.get(change)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    posted = admin_client.post(change, {"legacy_value": "edited"})
    assert posted.status_code == 403
    record.refresh_from_db()
    assert record.legacy_value == "Level 2"
    delete = reverse("admin:learningplatform_consolidationconflict_delete", args=[record.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ConsolidationConflict.objects.filter(pk=record.pk).exists()


class TestPersonalAccessTokens:
    """Made in the admin (the secret shown once, in a message), listed, revoked; never edited."""

    def add(self, admin_client, user, **fields):
        data = {"user": user.pk, "name": "deploy", "scope": "write", "expires_in_days": 30} | fields
        return admin_client.post(
            reverse("admin:learningplatform_personalaccesstoken_add"), data, follow=True
        )

    def test_made_in_the_admin_shown_once_and_working(self, admin_client):
        owner = UserFactory()
        response = self.add(admin_client, owner)
        shown = [str(m) for m in response.context["messages"] if "token" in m.tags]
        assert len(shown) == 1
        secret = shown[0].rsplit(" ", 1)[1]
        token = PersonalAccessToken.objects.get()
        assert token.user == owner and secret.startswith(token.hint)
        change = admin_client.get(
            reverse("admin:learningplatform_personalaccesstoken_change", args=[token.pk])
        )
        assert secret not in change.content.decode()
        answer = Client().post(
            "/graphql/", {"query": "{ me { username } }"}, content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {secret}",
        )  # fmt: skip
        assert answer.json() == {"data": {"me": {"username": owner.username}}}

    @pytest.mark.parametrize(
        ("field", "value"),
        [("expires_in_days", 0), ("expires_in_days", 367), ("name", ""), ("scope", "admin")],
    )
    def test_bad_input_makes_nothing(self, admin_client, field, value):
        response = self.add(admin_client, UserFactory(), **{field: value})
        assert field in response.context["adminform"].form.errors
        assert not PersonalAccessToken.objects.exists()

    def test_revoked_from_the_list(self, admin_client):
        token, _ = access_token_create(
            user=UserFactory(), name="x", scope="read", expires_in_days=1
        )
        admin_client.post(
            reverse("admin:learningplatform_personalaccesstoken_changelist"),
            {"action": "revoke", "_selected_action": [token.pk]},
        )
        token.refresh_from_db()
        assert token.revoked_at is not None
