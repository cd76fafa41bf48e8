"""Every model's admin lists, filters, searches and opens its objects."""

import pytest
from django.urls import reverse

from tests.factories import StaffFactory, SubmissionFactory

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
