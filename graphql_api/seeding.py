"""`seed_via_graphql`: the demo data set written through the public mutations.

Every course, task, submission and grade goes through /graphql/ exactly as a client sends it:
JSON POSTs, a session from the `login` mutation, the CSRF token from its cookie. In process (a
Django test client against this project's own stack) by default, or against a running server
with `--url`. The accounts are the one thing written directly: the API has no sign-up mutation,
so with `--url` the command must use the server's database.

The plan is the factory-based seed's (`learningplatform.seeding.plan_data_set`), so both give the
same data, except what the server stamps itself: ids and the times of creation and submission.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.utils.duration import duration_iso_string

from graphql_api.client import GraphQLClient, GraphQLClientError
from learningplatform.seeding import (
    SEED_PASSWORD,
    DataSet,
    SeedSize,
    insert_accounts,
    plan_data_set,
)

LOGIN = "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { errors { message } } }"
MY_COURSES = """query($me: ID!, $after: String) { courses(filter: {instructor: $me}, first: 100, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { title } } } }"""
ME = "{ me { id } }"
CREATE_COURSE = "mutation($input: CreateCourseInput!) { createCourse(input: $input) { course { id } errors { field message } } }"
UPDATE_COURSE = "mutation($input: UpdateCourseInput!) { updateCourse(input: $input) { errors { field message } } }"
CREATE_TASK = "mutation($input: CreateTaskInput!) { createTask(input: $input) { task { id } errors { field message } } }"
UPDATE_TASK = (
    "mutation($input: UpdateTaskInput!) { updateTask(input: $input) { errors { field message } } }"
)
SUBMIT = "mutation($input: SubmitTaskInput!) { submitTask(input: $input) { submission { id } errors { field message } } }"
GRADE = "mutation($input: GradeSubmissionInput!) { gradeSubmission(input: $input) { errors { field message } } }"


class SeedError(Exception):
    """The API refused something the seed sent; the message says what and why."""


class Session:
    """One user's conversation with the API, through the shared client."""

    def __init__(self, url: str | None) -> None:
        self.client = GraphQLClient(url, client_name="seed_via_graphql")

    def execute(self, query: str, variables: dict | None = None) -> dict:
        try:
            return self.client.execute(query, variables)
        except GraphQLClientError as error:
            raise SeedError(f"{error} (in {query.split('(')[0]})") from error


def _payload(data: dict, field: str, what: str) -> dict:
    payload = data[field]
    if payload["errors"]:
        raise SeedError(
            f"{what}: " + "; ".join(f"{e['field']}: {e['message']}" for e in payload["errors"])
        )
    return payload


def seed_via_graphql(
    *,
    size: SeedSize,
    seed: int,
    url: str | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> dict[str, int]:
    """Write the planned data set's missing courses (with their tasks and submissions)."""
    plan = plan_data_set(size=size, seed=seed)
    progress = progress or (lambda count, label: None)
    created = {"users": insert_accounts(plan.users), "courses": 0, "tasks": 0, "submissions": 0}
    progress(len(plan.users), "users")
    sessions: dict[str, Session] = {}

    def session(username: str) -> Session:
        if username not in sessions:
            sessions[username] = Session(url)
            data = sessions[username].execute(LOGIN, {"u": username, "p": SEED_PASSWORD})
            _payload(data, "login", f"login as {username}")
        return sessions[username]

    by_course = _group(plan)
    task_ids: dict[tuple[str, str], str] = {}
    submission_ids: list[tuple[dict, str]] = []
    finishing = []
    for instructor, courses in by_course.items():
        teacher = session(instructor)
        existing = _titles_of(teacher)
        for course, tasks, _ in courses:
            if course["title"] in existing:
                progress(1 + len(tasks), "courses")
                continue
            # Open while the students submit; the planned status and deadlines come last.
            data = teacher.execute(
                CREATE_COURSE,
                {"input": _course_input(course) | {"status": "PUBLISHED", "visibility": "PUBLIC"}},
            )
            course_id = _payload(data, "createCourse", course["title"])["course"]["id"]
            created["courses"] += 1
            for task in tasks:
                task_input = _task_input(task) | {
                    "courseId": course_id,
                    "status": "PUBLISHED",
                    "deadline": None,
                }
                data = teacher.execute(CREATE_TASK, {"input": task_input})
                task_id = _payload(data, "createTask", task["title"])["task"]["id"]
                task_ids[(course["title"], task["title"])] = task_id
                finishing.append(
                    (
                        instructor,
                        UPDATE_TASK,
                        {
                            "id": task_id,
                            "status": task["status"],
                            "deadline": _iso(task["deadline"]),
                        },
                    )
                )
                created["tasks"] += 1
            finishing.append(
                (
                    instructor,
                    UPDATE_COURSE,
                    {
                        "id": course_id,
                        "status": course["status"],
                        "visibility": course["visibility"],
                    },
                )
            )
            progress(1 + len(tasks), "courses")
    for submission in plan.submissions:
        task_id = task_ids.get((submission["course_title"], submission["task_title"]))
        if task_id is None:
            continue  # its course existed already
        data = session(submission["student"]).execute(
            SUBMIT, {"input": {"taskId": task_id, "content": submission["content"]}}
        )
        submission_ids.append(
            (submission, _payload(data, "submitTask", submission["task_title"])["submission"]["id"])
        )
        created["submissions"] += 1
        progress(1, "submissions")
    for submission, submission_id in submission_ids:
        if submission["score"] is not None:
            data = session(submission["instructor"]).execute(
                GRADE, {"input": {"submissionId": submission_id, "score": str(submission["score"])}}
            )
            _payload(data, "gradeSubmission", submission["task_title"])
    for instructor, mutation, update in finishing:
        data = session(instructor).execute(mutation, {"input": update})
        _payload(
            data, "updateTask" if mutation is UPDATE_TASK else "updateCourse", str(update["id"])
        )
    return created


def _group(plan: DataSet) -> dict[str, list[tuple[dict, list[dict], None]]]:
    tasks = defaultdict(list)
    for task in plan.tasks:
        tasks[(task["instructor"], task["course_title"])].append(task)
    grouped = defaultdict(list)
    for course in plan.courses:
        grouped[course["instructor"]].append(
            (course, tasks[(course["instructor"], course["title"])], None)
        )
    return grouped


def _titles_of(teacher: Session) -> set[str]:
    me = teacher.execute(ME)["me"]["id"]
    titles, after = set(), None
    while True:
        page = teacher.execute(MY_COURSES, {"me": me, "after": after})["courses"]
        titles |= {edge["node"]["title"] for edge in page["edges"]}
        if not page["pageInfo"]["hasNextPage"]:
            return titles
        after = page["pageInfo"]["endCursor"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _course_input(course: dict) -> dict:
    return {
        "title": course["title"],
        "description": course["description"],
        "visibility": course["visibility"],
        "learningObjectives": course["learning_objectives"],
        "prerequisites": course["prerequisites"],
        "duration": duration_iso_string(course["duration"]) if course["duration"] else None,
        "difficultyLevel": course["difficulty_level"],
    }


def _task_input(task: dict) -> dict:
    return {
        "title": task["title"],
        "description": task["description"],
        "taskType": task["task_type"],
        "difficultyLevel": task["difficulty_level"],
        "maxScore": _text(task["max_score"]),
        "passingScore": _text(task["passing_score"]),
        "maxSubmissions": task["max_submissions"],
        "timeLimit": task["time_limit"],
        "isRandomized": task["is_randomized"],
    }
