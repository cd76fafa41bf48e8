"""PostGraphile's answers, rewritten into our API's shape so bench/api.py can compare them with
the floor's: its rowIds become our global ids, its intervals ISO 8601 durations, its lists of
nodes our edges, its relation names ours. Values are otherwise taken as PostGraphile gave them."""

import base64
from datetime import datetime, timedelta

from django.utils.duration import duration_iso_string


def gid(kind: str, row_id) -> str:
    return base64.b64encode(f"{kind}:{row_id}".encode()).decode()


def when(value):
    return None if value is None else datetime.fromisoformat(value).isoformat()


def duration(value):
    if value is None:
        return None
    return duration_iso_string(
        timedelta(days=value["days"], hours=value["hours"], minutes=value["minutes"],
                  seconds=value["seconds"])
    )  # fmt: skip


def edges(nodes: list, convert) -> list:
    return [{"node": convert(node)} for node in nodes]


def nested_task(t: dict) -> dict:
    return {"id": gid("Task", t["rowId"]), "title": t["title"], "taskType": t["taskType"],
            "status": t["status"], "maxScore": t["maxScore"], "deadline": when(t["deadline"])}  # fmt: skip


def nested_course(c: dict) -> dict:
    return {"id": gid("Course", c["rowId"]), "title": c["title"],
            "tasks": {"edges": edges(c["tasksByCourseId"]["nodes"], nested_task)}}  # fmt: skip


def flat_course(c: dict) -> dict:
    return {"id": gid("Course", c["rowId"]), "title": c["title"], "description": c["description"],
            "status": c["status"], "visibility": c["visibility"],
            "difficultyLevel": c["difficultyLevel"], "duration": duration(c["duration"]),
            "createdAt": when(c["createdAt"])}  # fmt: skip


def detail(c: dict) -> dict:
    u, tasks = c["userByInstructorId"], c["tasksByCourseId"]
    return {
        "id": gid("Course", c["rowId"]), "title": c["title"], "description": c["description"],
        "status": c["status"], "visibility": c["visibility"],
        "learningObjectives": c["learningObjectives"], "prerequisites": c["prerequisites"],
        "duration": duration(c["duration"]), "difficultyLevel": c["difficultyLevel"],
        "instructor": {"id": gid("User", u["rowId"]), "username": u["username"],
                       "bio": None},  # private to its user: our API answers null to anyone else
        "tasks": {"totalCount": tasks["totalCount"], "edges": edges(tasks["nodes"], lambda t: {
            "id": gid("Task", t["rowId"]), "title": t["title"], "description": t["description"],
            "taskType": t["taskType"], "status": t["status"], "deadline": when(t["deadline"]),
            "maxScore": t["maxScore"], "passingScore": t["passingScore"],
            "maxSubmissions": t["maxSubmissions"], "timeLimit": t["timeLimit"]})},
    }  # fmt: skip


def task_with_course(t: dict) -> dict:
    c = t["courseByCourseId"]
    u = c["userByInstructorId"]
    return {"id": gid("Task", t["rowId"]), "title": t["title"], "taskType": t["taskType"],
            "course": {"id": gid("Course", c["rowId"]), "title": c["title"],
                       "instructor": {"id": gid("User", u["rowId"]), "username": u["username"]}}}  # fmt: skip


def catalogue(data: dict) -> dict:
    courses = data["allCourses"]
    count = len(courses["nodes"])
    end = base64.b64encode(f"arrayconnection:{count - 1}".encode()).decode() if count else None

    def course(c):
        u, tasks = c["userByInstructorId"], c["tasksByCourseId"]
        return {
            "id": gid("Course", c["rowId"]), "title": c["title"], "description": c["description"],
            "difficultyLevel": c["difficultyLevel"], "duration": duration(c["duration"]),
            "instructor": {"id": gid("User", u["rowId"]), "username": u["username"],
                           "firstName": None, "lastName": None},  # private, as bio
            "tasks": {"totalCount": tasks["totalCount"], "edges": edges(tasks["nodes"], lambda t: {
                "id": gid("Task", t["rowId"]), "title": t["title"], "taskType": t["taskType"],
                "deadline": when(t["deadline"])})},
        }  # fmt: skip

    return {"courses": {
        "totalCount": courses["totalCount"],
        "pageInfo": {"hasNextPage": courses["pageInfo"]["hasNextPage"], "endCursor": end},
        "edges": edges(courses["nodes"], course)}}  # fmt: skip


def quiz(t: dict) -> dict:
    c = t["courseByCourseId"]
    u = c["userByInstructorId"]
    return {"id": gid("Task", t["rowId"]), "title": t["title"], "deadline": when(t["deadline"]),
            "course": {"id": gid("Course", c["rowId"]), "title": c["title"],
                       "instructor": {"id": gid("User", u["rowId"]), "username": u["username"]}}}  # fmt: skip


def totals(courses: dict) -> dict:
    def course(c):
        tasks = c["tasksByCourseId"]
        return {"id": gid("Course", c["rowId"]), "title": c["title"],
                "tasks": {"totalCount": tasks["totalCount"], "edges": edges(
                    tasks["nodes"], lambda t: {"id": gid("Task", t["rowId"]), "title": t["title"]})}}  # fmt: skip

    return {"totalCount": courses["totalCount"], "edges": edges(courses["nodes"], course)}


def small_task(t: dict) -> dict:
    return {"id": gid("Task", t["rowId"]), "title": t["title"], "taskType": t["taskType"],
            "status": t["status"], "deadline": when(t["deadline"]), "maxScore": t["maxScore"]}  # fmt: skip


def adapt(query: str, answer: dict) -> dict:
    if "errors" in answer:
        return answer
    data = answer["data"]
    if query == "nested_50x50_totals":
        converted = {"courses": totals(data["allCourses"])}
    elif query.startswith("nested_"):
        converted = {"courses": {"edges": edges(data["allCourses"]["nodes"], nested_course)}}
    elif query == "flat_100":
        converted = {"courses": {"edges": edges(data["allCourses"]["nodes"], flat_course)}}
    elif query == "course_detail":
        converted = {"course": detail(data["courseByRowId"])}
    elif query == "tasks_course_instructor":
        converted = {"tasks": {"edges": edges(data["allTasks"]["nodes"], task_with_course)}}
    elif query == "filtered_ordered":
        courses = data["allCourses"]
        converted = {"courses": {"totalCount": courses["totalCount"], "edges": edges(
            courses["nodes"], lambda c: {"id": gid("Course", c["rowId"]), "title": c["title"],
                                         "difficultyLevel": c["difficultyLevel"]})}}  # fmt: skip
    elif query == "course_catalogue":
        converted = catalogue(data)
    elif query == "courses_id_title":
        converted = {"courses": {"edges": edges(
            data["allCourses"]["nodes"], lambda c: {"id": gid("Course", c["rowId"]), "title": c["title"]}
        )}}  # fmt: skip
    elif query == "quiz_tasks_by_deadline":
        converted = {"tasks": {"edges": edges(data["allTasks"]["nodes"], quiz)}}
    elif query == "course_task_count":
        c = data["courseByRowId"]
        converted = {"course": {"id": gid("Course", c["rowId"]), "title": c["title"],
                                "taskCount": c["visible"]["totalCount"],
                                "tasks": {"edges": edges(c["tasksByCourseId"]["nodes"], small_task)}}}  # fmt: skip
    else:
        raise KeyError(query)
    return {"data": converted}
