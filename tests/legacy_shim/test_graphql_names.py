"""The legacy GraphQL names on a consolidated rehearsal database: ids of every origin, the same
answers as the new names, the same permissions and statement counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from strawberry.relay import to_base64

from config.schema import schema
from learningplatform import consolidation
from learningplatform.consolidation import rehearsal
from learningplatform.models import LegacyIdMap, Task
from legacy_shim import graphql as legacy_graphql
from legacy_shim.graphql import MAX_OFFSET
from tests.factories import StaffFactory, TaskFactory
from tests.helpers import errors_of, global_id, gql, post

pytestmark = pytest.mark.django_db(transaction=True)

LEGACY_FIELDS = "id taskId title status dueDate course { title } createdBy { username }"
LEARNING_TASK = f"query($id: ID!) {{ learningTask(id: $id) {{ {LEGACY_FIELDS} }} }}"
QUIZ_TASK = f"query($id: ID!) {{ quizTask(id: $id) {{ {LEGACY_FIELDS} maxScore timeLimit }} }}"
LEARNING_TASKS = f"query($offset: Int) {{ learningTasks(offset: $offset) {{ {LEGACY_FIELDS} }} }}"
QUIZ_TASKS = f"query($offset: Int) {{ quizTasks(offset: $offset) {{ {LEGACY_FIELDS} maxScore passingScore timeLimit isRandomized }} }}"
NEW_TASKS = """
query($type: TaskType!, $after: String) {
  tasks(filter: {taskType: $type}, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node { id title status deadline maxScore passingScore timeLimit isRandomized
                   course { title } createdBy { username } } }
  }
}
"""
NEW_TASK = "query($id: ID!) { task(id: $id) { id title status deadline course { title } createdBy { username } } }"


@pytest.fixture
def consolidated():
    """seed_legacy, an old learningplatform learning task, consolidate; tables dropped after."""
    rehearsal.create_tables()
    try:
        cases = rehearsal.seed_legacy_data(
            size=rehearsal.RehearsalSize(courses=8, tasks_per_course=4), seed=5
        )
        old = TaskFactory(title="Old learningplatform task", task_type="LEARNING")
        consolidation.consolidate()
        yield cases, old
    finally:
        consolidation.drop_legacy_tables()


def new_task_of(legacy_id: int) -> Task:
    return Task.objects.get(
        pk=LegacyIdMap.objects.get(legacy_table="tasks_learningtask", legacy_id=legacy_id).new_id
    )


def all_pages(client, query, root) -> list[dict]:
    items, offset = [], 0
    while page := gql(client, query, {"offset": offset})[root]:
        items += page
        offset += len(page)
    return items


def all_new(client, task_type) -> list[dict]:
    nodes, after = [], None
    while True:
        page = gql(client, NEW_TASKS, {"type": task_type, "after": after})["tasks"]
        nodes += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return nodes
        after = page["pageInfo"]["endCursor"]


class TestIds:
    def test_a_legacy_learning_task_keeps_its_old_id(self, as_user, consolidated):
        legacy_id = (
            LegacyIdMap.objects.filter(
                legacy_table="tasks_learningtask",
                new_id__in=Task.objects.filter(task_type="LEARNING").values("pk"),
            )
            .values_list("legacy_id", flat=True)
            .first()
        )
        task = new_task_of(legacy_id)
        data = gql(as_user(StaffFactory()), LEARNING_TASK, {"id": str(legacy_id)})["learningTask"]
        assert (data["id"], data["taskId"], data["title"]) == (
            str(legacy_id),
            global_id(task),
            task.title,
        )

    def test_a_legacy_quiz_keeps_its_old_id_and_is_not_a_learning_task(self, as_user, consolidated):
        cases, _ = consolidated
        client = as_user(StaffFactory())
        quiz = gql(client, QUIZ_TASK, {"id": str(cases.empty_quiz)})["quizTask"]
        assert (quiz["id"], quiz["title"], quiz["maxScore"], quiz["timeLimit"]) == (
            str(cases.empty_quiz),
            "Empty quiz",
            None,
            None,
        )
        assert gql(client, LEARNING_TASK, {"id": str(cases.empty_quiz)}) == {"learningTask": None}

    def test_an_old_learningplatform_task_is_named_by_its_task_id(self, as_user, consolidated):
        _, old = consolidated
        client = as_user(StaffFactory())
        data = gql(client, LEARNING_TASK, {"id": global_id(old)})["learningTask"]
        assert (data["id"], data["title"]) == (global_id(old), "Old learningplatform task")
        by_number = gql(client, LEARNING_TASK, {"id": str(old.pk)})["learningTask"]
        assert by_number is None or by_number["title"] != "Old learningplatform task"

    def test_a_task_created_after_consolidation_is_reachable_without_collision(
        self, as_user, consolidated
    ):
        new = TaskFactory(title="Brand new", task_type="LEARNING")
        client = as_user(StaffFactory())
        listed = {
            item["title"]: item["id"] for item in all_pages(client, LEARNING_TASKS, "learningTasks")
        }
        assert listed["Brand new"] == global_id(new)
        assert (
            gql(client, LEARNING_TASK, {"id": listed["Brand new"]})["learningTask"]["title"]
            == "Brand new"
        )

    def test_no_id_names_two_objects(self, as_user, consolidated):
        client = as_user(StaffFactory())
        ids = [item["id"] for item in all_pages(client, LEARNING_TASKS, "learningTasks")]
        ids += [item["id"] for item in all_pages(client, QUIZ_TASKS, "quizTasks")]
        assert len(ids) == Task.objects.filter(task_type__in=["LEARNING", "QUIZ"]).count()
        assert len(set(ids)) == len(ids)

    def test_unknown_and_malformed_ids_are_null(self, as_user, consolidated):
        client = as_user(StaffFactory())
        for unknown in [
            "999999999",
            "not-an-id",
            global_id(StaffFactory()),
            "²",
            "9" * 30,
            to_base64("Task", "9" * 30),
            to_base64("Task", "²"),
        ]:
            assert gql(client, LEARNING_TASK, {"id": unknown}) == {"learningTask": None}


class TestSameAnswers:
    @pytest.mark.parametrize("role", ["anonymous", "staff"])
    def test_learning_tasks_equal_tasks_filtered_to_learning(self, as_user, consolidated, role):
        client = as_user(StaffFactory() if role == "staff" else None)
        legacy = all_pages(client, LEARNING_TASKS, "learningTasks")
        new = all_new(client, "LEARNING")
        assert [
            (t["taskId"], t["title"], t["status"], t["dueDate"], t["course"], t["createdBy"])
            for t in legacy
        ] == [
            (t["id"], t["title"], t["status"], t["deadline"], t["course"], t["createdBy"])
            for t in new
        ]
        assert legacy or role == "anonymous"

    def test_quiz_tasks_equal_tasks_filtered_to_quiz(self, as_user, consolidated):
        client = as_user(StaffFactory())
        legacy = all_pages(client, QUIZ_TASKS, "quizTasks")
        new = all_new(client, "QUIZ")
        fields = ["maxScore", "passingScore", "timeLimit", "isRandomized", "title"]
        assert [[t["taskId"], t["dueDate"]] + [t[f] for f in fields] for t in legacy] == [
            [t["id"], t["deadline"]] + [t[f] for f in fields] for t in new
        ]
        assert len(legacy) >= 2

    def test_one_task_by_old_id_equals_it_by_new_id(self, as_user, consolidated):
        client = as_user(StaffFactory())
        for legacy_id in LegacyIdMap.objects.filter(legacy_table="tasks_learningtask").values_list(
            "legacy_id", flat=True
        )[:10]:
            task = new_task_of(legacy_id)
            query = LEARNING_TASK if task.task_type == "LEARNING" else QUIZ_TASK
            old = gql(client, query, {"id": str(legacy_id)})
            old = old["learningTask" if task.task_type == "LEARNING" else "quizTask"]
            new = gql(client, NEW_TASK, {"id": global_id(task)})["task"]
            assert (old["taskId"], old["title"], old["dueDate"], old["course"]) == (
                new["id"],
                new["title"],
                new["deadline"],
                new["course"],
            )


def test_statements_do_not_grow_with_the_list(as_user, consolidated):
    client = as_user(None)
    gql(
        client, f"{{ learningTasks(limit: 1) {{ {LEGACY_FIELDS} }} }}"
    )  # first use: counters created
    counts = []
    for limit in (1, 100):
        with CaptureQueriesContext(connection) as captured:
            gql(client, f"{{ learningTasks(limit: {limit}) {{ {LEGACY_FIELDS} }} }}")
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_limit_above_100_is_refused(as_user, consolidated):
    body = post(as_user(None), "{ learningTasks(limit: 101) { id } }")
    assert errors_of(body) == ["limit must be between 0 and 100; got 101."]
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == "limit"


@pytest.mark.parametrize("root", ["learningTasks", "quizTasks"])
@pytest.mark.parametrize("offset", [-1, MAX_OFFSET + 1, 900_000])
def test_an_offset_deeper_than_the_cap_is_refused_on_its_field_before_any_read(
    as_user, consolidated, root, offset
):
    with CaptureQueriesContext(connection) as captured:
        body = post(as_user(None), f"{{ {root}(limit: 100, offset: {offset}) {{ id }} }}")
    assert body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "OUT_OF_RANGE"
    (field,) = error["extensions"]["fields"]
    assert field["field"] == "offset"
    assert f"between 0 and {MAX_OFFSET}; got {offset}" in field["message"]
    assert "after:" in field["message"]  # where deeper pages are
    assert not [q for q in captured.captured_queries if "learningplatform_task" in q["sql"]]


def test_the_deepest_offset_allowed_still_answers(as_user, consolidated, monkeypatch):
    monkeypatch.setattr(legacy_graphql, "MAX_OFFSET", 2)
    every = [t["id"] for t in gql(as_user(None), "{ learningTasks { id } }")["learningTasks"]]
    deepest = gql(as_user(None), "{ learningTasks(offset: 2) { id } }")["learningTasks"]
    assert [t["id"] for t in deepest] == every[2:]
    body = post(as_user(None), "{ learningTasks(offset: 3) { id } }")
    assert body["errors"][0]["extensions"]["fields"][0]["field"] == "offset"


def test_every_legacy_root_field_is_deprecated_naming_the_replacement():
    query = schema._schema.query_type.fields
    for name, replacement in [("learningTask", "task(id:)"), ("learningTasks", "tasks(filter: {taskType: LEARNING})"),
                              ("quizTask", "task(id:)"), ("quizTasks", "tasks(filter: {taskType: QUIZ})")]:  # fmt: skip
        assert replacement in query[name].deprecation_reason
