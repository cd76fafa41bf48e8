"""The queries bench/api.py times: each as our GraphQL document (graphene's schema in
bench/graphene_app mirrors ours, so it takes the same document), as PostGraphile's document, and
as the one SQL statement that returns exactly our JSON answer (the floor).

Every SQL statement applies the same visibility rule the API applies to an anonymous client
(published public courses, published tasks), orders as the API does (ties broken by id), and
formats values as the API does: global ids are base64 of "Type:pk", decimals are text, durations
ISO 8601 as django.utils.duration.duration_iso_string writes them.
"""

from dataclasses import dataclass, field

VISIBLE_COURSE = "c.status = 'PUBLISHED' AND c.visibility = 'PUBLIC'"
VISIBLE_TASK = "t.status = 'PUBLISHED'"


def gid(kind: str, column: str) -> str:
    return f"encode(convert_to('{kind}:' || {column}, 'UTF8'), 'base64')"


def iso_duration(column: str) -> str:
    """duration_iso_string in SQL: P{days}DT{HH}H{MM}M{SS}[.ffffff]S."""
    e = f"extract(epoch from {column})"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL ELSE 'P' || floor({e} / 86400)::bigint || 'DT' "
        f"|| lpad(mod(floor({e} / 3600)::bigint, 24)::text, 2, '0') || 'H' "
        f"|| lpad(mod(floor({e} / 60)::bigint, 60)::text, 2, '0') || 'M' "
        f"|| lpad(mod(floor({e})::bigint, 60)::text, 2, '0') "
        f"|| CASE WHEN floor({e}) <> {e} THEN '.' "
        f"|| lpad(round(({e} - floor({e})) * 1000000)::bigint::text, 6, '0') ELSE '' END "
        f"|| 'S' END"
    )


def cursor(position: str) -> str:
    return f"encode(convert_to('arrayconnection:' || ({position}), 'UTF8'), 'base64')"


def keyset_cursor(order: str, value: str, pk: str) -> str:
    """A root list's keyset cursor (graphql_api/connections.py, Keyset.cursor) in SQL, for a
    timestamp column: base64 of `keyset:["<order>","<ISO 8601 in UTC>",<id>]`."""
    utc = f"({value} AT TIME ZONE 'UTC')"
    iso = (
        f"to_char({utc}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
        f"extract(microseconds from {value})::bigint %% 1000000 <> 0 THEN '.' || "
        f"to_char({utc}, 'US') ELSE '' END || '+00:00'"
    )
    payload = f"'keyset:[\"{order}\",\"' || {iso} || '\",' || {pk} || ']'"
    return f"replace(encode(convert_to({payload}, 'UTF8'), 'base64'), E'\\n', '')"


@dataclass
class Query:
    name: str
    document: str  # ours, and graphene's
    variables: dict
    sql: str  # the floor: one statement, %(name)s parameters from `variables`
    postgraphile: str | None = None  # its own document; adapt() turns its answer into ours
    postgraphile_variables: dict = field(default_factory=dict)
    description: str = ""
    graphene: bool = True  # False: graphene's schema has no such fields (the session's `me`)


def nested(first: int) -> Query:
    return Query(
        name=f"nested_{first}x20",
        description=f"{first} courses, each with its first 20 tasks",
        document="""query Nested($first: Int!) { courses(first: $first) { edges { node {
  id title tasks(first: 20) { edges { node { id title taskType status maxScore deadline } } } } } } }""",
        variables={"first": first},
        sql=f"""
SELECT json_build_object('data', json_build_object('courses', json_build_object('edges',
  COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', {gid("Course", "c.id")}, 'title', c.title,
    'tasks', json_build_object('edges', (
      SELECT COALESCE(json_agg(json_build_object('node', json_build_object(
        'id', {gid("Task", "t.id")}, 'title', t.title, 'taskType', t.task_type,
        'status', t.status, 'maxScore', t.max_score::text, 'deadline', t.deadline))
        ORDER BY t.id), '[]')
      FROM (SELECT * FROM learningplatform_task t WHERE t.course_id = c.id AND {VISIBLE_TASK}
            ORDER BY t.id LIMIT 20) t))
  )) ORDER BY c.id), '[]'))))::text
FROM (SELECT * FROM learningplatform_course c WHERE {VISIBLE_COURSE}
      ORDER BY c.id LIMIT %(first)s) c""",
        postgraphile="""query Nested($first: Int!) { allCourses(first: $first, orderBy: PRIMARY_KEY_ASC) { nodes {
  rowId title tasksByCourseId(first: 20, orderBy: PRIMARY_KEY_ASC, condition: {status: "PUBLISHED"}) {
    nodes { rowId title taskType status maxScore deadline } } } } }""",
        postgraphile_variables={"first": first},
    )


FLAT = Query(
    name="flat_100",
    description="100 courses, scalar fields only",
    document="""{ courses(first: 100) { edges { node {
  id title description status visibility difficultyLevel duration createdAt } } } }""",
    variables={},
    sql=f"""
SELECT json_build_object('data', json_build_object('courses', json_build_object('edges',
  COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', {gid("Course", "c.id")}, 'title', c.title, 'description', c.description,
    'status', c.status, 'visibility', c.visibility, 'difficultyLevel', c.difficulty_level,
    'duration', {iso_duration("c.duration")}, 'createdAt', c.created_at
  )) ORDER BY c.id), '[]'))))::text
FROM (SELECT * FROM learningplatform_course c WHERE {VISIBLE_COURSE} ORDER BY c.id LIMIT 100) c""",
    postgraphile="""{ allCourses(first: 100, orderBy: PRIMARY_KEY_ASC) { nodes {
  rowId title description status visibility difficultyLevel
  duration { days hours minutes seconds } createdAt } } }""",
)

COURSE_WITH_TASKS = Query(
    name="course_detail",
    description="frontend course_detail: one course by id with up to 100 tasks",
    document=(
        __import__("pathlib").Path(__file__).parents[1]
        / "graphql_api/documents/course_detail.graphql"
    ).read_text(),
    variables={"id": "Q291cnNlOjE="},  # Course:1
    sql=f"""
SELECT json_build_object('data', json_build_object('course', json_build_object(
  'id', {gid("Course", "c.id")}, 'title', c.title, 'description', c.description,
  'status', c.status, 'visibility', c.visibility, 'learningObjectives', c.learning_objectives,
  'prerequisites', c.prerequisites, 'duration', {iso_duration("c.duration")},
  'difficultyLevel', c.difficulty_level,
  'instructor', json_build_object('id', {gid("User", "u.id")}, 'username', u.username,
    'bio', NULL),  -- another user's bio: private to them and staff (the API's user visibility)
  'tasks', json_build_object(
    'totalCount', (SELECT count(*) FROM learningplatform_task t WHERE t.course_id = c.id AND {VISIBLE_TASK}),
    'edges', (SELECT COALESCE(json_agg(json_build_object('node', json_build_object(
        'id', {gid("Task", "t.id")}, 'title', t.title, 'description', t.description,
        'taskType', t.task_type, 'status', t.status, 'deadline', t.deadline,
        'maxScore', t.max_score::text, 'passingScore', t.passing_score::text,
        'maxSubmissions', t.max_submissions, 'timeLimit', t.time_limit)) ORDER BY t.id), '[]')
      FROM (SELECT * FROM learningplatform_task t WHERE t.course_id = c.id AND {VISIBLE_TASK}
            ORDER BY t.id LIMIT 100) t)))))::text
FROM learningplatform_course c JOIN learningplatform_user u ON u.id = c.instructor_id
WHERE c.id = 1 AND {VISIBLE_COURSE}""",
    postgraphile="""{ courseByRowId(rowId: "1") {
  rowId title description status visibility learningObjectives prerequisites
  duration { days hours minutes seconds } difficultyLevel
  userByInstructorId { rowId username bio }
  tasksByCourseId(first: 100, orderBy: PRIMARY_KEY_ASC, condition: {status: "PUBLISHED"}) { totalCount nodes {
    rowId title description taskType status deadline maxScore passingScore maxSubmissions timeLimit } } } }""",
)

TASKS_WITH_COURSE = Query(
    name="tasks_course_instructor",
    description="100 tasks, each with its course and the course's instructor",
    document="""{ tasks(first: 100) { edges { node {
  id title taskType course { id title instructor { id username } } } } } }""",
    variables={},
    sql=f"""
SELECT json_build_object('data', json_build_object('tasks', json_build_object('edges',
  COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', {gid("Task", "t.id")}, 'title', t.title, 'taskType', t.task_type,
    'course', json_build_object('id', {gid("Course", "c.id")}, 'title', c.title,
      'instructor', json_build_object('id', {gid("User", "u.id")}, 'username', u.username))
  )) ORDER BY t.id), '[]'))))::text
FROM (SELECT t.* FROM learningplatform_task t JOIN learningplatform_course c ON c.id = t.course_id
      WHERE {VISIBLE_TASK} AND {VISIBLE_COURSE} ORDER BY t.id LIMIT 100) t
JOIN learningplatform_course c ON c.id = t.course_id
JOIN learningplatform_user u ON u.id = c.instructor_id""",
    postgraphile="""{ allTasks(first: 100, orderBy: PRIMARY_KEY_ASC, condition: {status: "PUBLISHED"}) { nodes {
  rowId title taskType courseByCourseId { rowId title userByInstructorId { rowId username } } } } }""",
)

FILTERED = Query(
    name="filtered_ordered",
    description="courses filtered by difficulty, ordered by title, 100",
    document="""{ courses(first: 100, filter: {difficultyLevel: INTERMEDIATE},
  orderBy: {field: TITLE, direction: ASC}) { totalCount edges { node { id title difficultyLevel } } } }""",
    variables={},
    sql=f"""
SELECT json_build_object('data', json_build_object('courses', json_build_object(
  'totalCount', (SELECT count(*) FROM learningplatform_course c
                 WHERE {VISIBLE_COURSE} AND c.difficulty_level = 'INTERMEDIATE'),
  'edges', COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', {gid("Course", "c.id")}, 'title', c.title, 'difficultyLevel', c.difficulty_level
  )) ORDER BY c.title, c.id), '[]'))))::text
FROM (SELECT * FROM learningplatform_course c
      WHERE {VISIBLE_COURSE} AND c.difficulty_level = 'INTERMEDIATE'
      ORDER BY c.title, c.id LIMIT 100) c""",
    postgraphile="""{ allCourses(first: 100, orderBy: [TITLE_ASC, PRIMARY_KEY_ASC],
  condition: {difficultyLevel: "INTERMEDIATE"}) { totalCount nodes { rowId title difficultyLevel } } }""",
)

CATALOGUE = Query(
    name="course_catalogue",
    description="frontend course_catalogue: 20 newest courses, instructor, 20 tasks each",
    document=(
        __import__("pathlib").Path(__file__).parents[1]
        / "graphql_api/documents/course_catalogue.graphql"
    ).read_text(),
    variables={"first": 20},
    sql=f"""
SELECT json_build_object('data', json_build_object('courses', json_build_object(
  'totalCount', (SELECT count(*) FROM learningplatform_course c WHERE {VISIBLE_COURSE}),
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) FROM learningplatform_course c WHERE {VISIBLE_COURSE}) > 20,
    'endCursor', CASE WHEN count(*) > 0 THEN {
        keyset_cursor(
            "created_at descending",
            "(array_agg(c.created_at ORDER BY c.created_at DESC, c.id DESC))[count(*)]",
            "(array_agg(c.id ORDER BY c.created_at DESC, c.id DESC))[count(*)]",
        )
    } END),
  'edges', COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', {gid("Course", "c.id")}, 'title', c.title, 'description', c.description,
    'difficultyLevel', c.difficulty_level, 'duration', {iso_duration("c.duration")},
    'instructor', json_build_object('id', {gid("User", "u.id")}, 'username', u.username,
                                    'firstName', NULL, 'lastName', NULL),  -- private, as bio
    'tasks', json_build_object(
      'totalCount', (SELECT count(*) FROM learningplatform_task t WHERE t.course_id = c.id AND {
        VISIBLE_TASK
    }),
      'edges', (SELECT COALESCE(json_agg(json_build_object('node', json_build_object(
          'id', {gid("Task", "t.id")}, 'title', t.title, 'taskType', t.task_type,
          'deadline', t.deadline)) ORDER BY t.id), '[]')
        FROM (SELECT * FROM learningplatform_task t WHERE t.course_id = c.id AND {VISIBLE_TASK}
              ORDER BY t.id LIMIT 20) t))
  )) ORDER BY c.created_at DESC, c.id DESC), '[]'))))::text
FROM (SELECT * FROM learningplatform_course c WHERE {VISIBLE_COURSE}
      ORDER BY c.created_at DESC, c.id DESC LIMIT 20) c
JOIN learningplatform_user u ON u.id = c.instructor_id""",
    postgraphile="""{ allCourses(first: 20, orderBy: [CREATED_AT_DESC, PRIMARY_KEY_DESC]) { totalCount
  pageInfo { hasNextPage } nodes {
  rowId title description difficultyLevel duration { days hours minutes seconds }
  userByInstructorId { rowId username firstName lastName }
  tasksByCourseId(first: 20, orderBy: PRIMARY_KEY_ASC, condition: {status: "PUBLISHED"}) {
    totalCount nodes { rowId title taskType deadline } } } } }""",
)

DASHBOARD = Query(
    name="instructor_dashboard",
    description="frontend instructor_dashboard, anonymous (me is null): one instructor's courses "
    "with task and submission counts; needs a session's `me`, so ours and the floor only",
    document=(
        __import__("pathlib").Path(__file__).parents[1]
        / "graphql_api/documents/instructor_dashboard.graphql"
    ).read_text(),
    variables={"instructor": "VXNlcjo2"},  # User:6, an instructor of the seed
    graphene=False,
    sql=f"""
SELECT json_build_object('data', json_build_object('me', NULL, 'courses', json_build_object(
  'totalCount', (SELECT count(*) FROM learningplatform_course c WHERE {VISIBLE_COURSE} AND c.instructor_id = 6),
  'edges', COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', {gid("Course", "c.id")}, 'title', c.title, 'status', c.status, 'visibility', c.visibility,
    'taskCount', (SELECT count(*) FROM learningplatform_task t WHERE t.course_id = c.id),
    'submissionCount', 0, 'updatedAt', c.updated_at
  )) ORDER BY c.updated_at DESC, c.id DESC), '[]'))))::text
FROM (SELECT * FROM learningplatform_course c WHERE {VISIBLE_COURSE} AND c.instructor_id = 6
      ORDER BY c.updated_at DESC, c.id DESC LIMIT 100) c""",
)

# The shapes a frontend sends most (issue 17): small answers, where the fixed cost shows.
ID_TITLE = Query(
    name="courses_id_title",
    description="100 courses, id and title only",
    document="""{ courses(first: 100) { edges { node { id title } } } }""",
    variables={},
    sql=f"""
SELECT json_build_object('data', json_build_object('courses', json_build_object('edges',
  COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', {gid("Course", "c.id")}, 'title', c.title)) ORDER BY c.id), '[]'))))::text
FROM (SELECT c.id, c.title FROM learningplatform_course c WHERE {VISIBLE_COURSE}
      ORDER BY c.id LIMIT 100) c""",
    postgraphile="""{ allCourses(first: 100, orderBy: PRIMARY_KEY_ASC) { nodes { rowId title } } }""",
)

QUIZZES = Query(
    name="quiz_tasks_by_deadline",
    description="quiz tasks ordered by deadline, 100, with their course and its instructor",
    document="""{ tasks(first: 100, filter: {taskType: QUIZ}, orderBy: {field: DEADLINE, direction: ASC}) {
  edges { node { id title deadline course { id title instructor { id username } } } } } }""",
    variables={},
    sql=f"""
SELECT json_build_object('data', json_build_object('tasks', json_build_object('edges',
  COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', {gid("Task", "t.id")}, 'title', t.title, 'deadline', t.deadline,
    'course', json_build_object('id', {gid("Course", "c.id")}, 'title', c.title,
      'instructor', json_build_object('id', {gid("User", "u.id")}, 'username', u.username))
  )) ORDER BY t.deadline NULLS LAST, t.id), '[]'))))::text
FROM (SELECT t.* FROM learningplatform_task t JOIN learningplatform_course c ON c.id = t.course_id
      WHERE {VISIBLE_TASK} AND {VISIBLE_COURSE} AND t.task_type = 'QUIZ'
      ORDER BY t.deadline NULLS LAST, t.id LIMIT 100) t
JOIN learningplatform_course c ON c.id = t.course_id
JOIN learningplatform_user u ON u.id = c.instructor_id""",
    postgraphile="""{ allTasks(first: 100, orderBy: [DEADLINE_ASC, PRIMARY_KEY_ASC],
  condition: {status: "PUBLISHED", taskType: "QUIZ"}) { nodes {
  rowId title deadline courseByCourseId { rowId title userByInstructorId { rowId username } } } } }""",
)

NESTED_TOTALS = Query(
    name="nested_50x50_totals",
    description="50 courses with their first 50 tasks, and the total counts of both",
    document="""{ courses(first: 50) { totalCount edges { node { id title
  tasks(first: 50) { totalCount edges { node { id title } } } } } } }""",
    variables={},
    sql=f"""
SELECT json_build_object('data', json_build_object('courses', json_build_object(
  'totalCount', (SELECT count(*) FROM learningplatform_course c WHERE {VISIBLE_COURSE}),
  'edges', COALESCE(json_agg(json_build_object('node', json_build_object(
    'id', {gid("Course", "c.id")}, 'title', c.title,
    'tasks', json_build_object(
      'totalCount', (SELECT count(*) FROM learningplatform_task t WHERE t.course_id = c.id AND {VISIBLE_TASK}),
      'edges', (SELECT COALESCE(json_agg(json_build_object('node', json_build_object(
          'id', {gid("Task", "t.id")}, 'title', t.title)) ORDER BY t.id), '[]')
        FROM (SELECT t.id, t.title FROM learningplatform_task t
              WHERE t.course_id = c.id AND {VISIBLE_TASK} ORDER BY t.id LIMIT 50) t))
  )) ORDER BY c.id), '[]'))))::text
FROM (SELECT c.id, c.title FROM learningplatform_course c WHERE {VISIBLE_COURSE}
      ORDER BY c.id LIMIT 50) c""",
    postgraphile="""{ allCourses(first: 50, orderBy: PRIMARY_KEY_ASC) { totalCount nodes { rowId title
  tasksByCourseId(first: 50, orderBy: PRIMARY_KEY_ASC, condition: {status: "PUBLISHED"}) {
    totalCount nodes { rowId title } } } } }""",
)

TASK_COUNT = Query(
    name="course_task_count",
    description="one course with its first 20 tasks and taskCount, a resolver field",
    document="""query CourseTaskCount($id: ID!) { course(id: $id) { id title taskCount
  tasks(first: 20) { edges { node { id title taskType status deadline maxScore } } } } }""",
    variables={"id": "Q291cnNlOjE="},  # Course:1
    sql=f"""
SELECT json_build_object('data', json_build_object('course', json_build_object(
  'id', {gid("Course", "c.id")}, 'title', c.title,
  'taskCount', (SELECT count(*) FROM learningplatform_task t WHERE t.course_id = c.id AND {VISIBLE_TASK}),
  'tasks', json_build_object('edges', (SELECT COALESCE(json_agg(json_build_object('node',
      json_build_object('id', {gid("Task", "t.id")}, 'title', t.title, 'taskType', t.task_type,
        'status', t.status, 'deadline', t.deadline, 'maxScore', t.max_score::text)) ORDER BY t.id), '[]')
    FROM (SELECT * FROM learningplatform_task t WHERE t.course_id = c.id AND {VISIBLE_TASK}
          ORDER BY t.id LIMIT 20) t)))))::text
FROM learningplatform_course c WHERE c.id = 1 AND {VISIBLE_COURSE}""",
    postgraphile="""{ courseByRowId(rowId: "1") { rowId title
  visible: tasksByCourseId(condition: {status: "PUBLISHED"}) { totalCount }
  tasksByCourseId(first: 20, orderBy: PRIMARY_KEY_ASC, condition: {status: "PUBLISHED"}) {
    nodes { rowId title taskType status deadline maxScore } } } }""",
)

QUERIES = [
    nested(100),
    CATALOGUE,
    COURSE_WITH_TASKS,
    ID_TITLE,
    QUIZZES,
    NESTED_TOTALS,
    TASK_COUNT,
    FLAT,
    TASKS_WITH_COURSE,
    FILTERED,
    DASHBOARD,
    nested(10),
    nested(1000),
]
HEADLINE = "nested_100x20"
BY_NAME = {query.name: query for query in QUERIES}

# --- The traffic model (bench/api.py's default): the same shapes for any row, and a write.
# Each takes the row's id as `row` (the floor's %(row)s, PostGraphile's $row); ours is sent the
# global id. bench/api.py draws the rows and the users.


def by_row(query: Query, name: str, kind: str) -> Query:
    """`query` (one object by id, row 1) for any row: the floor's and PostGraphile's id a
    parameter."""
    one = f"{kind[0].lower()}.id = 1 AND"
    assert one in query.sql and 'rowId: "1"' in query.postgraphile, name
    return Query(
        name=name,
        description=query.description + f", the {kind.lower()} drawn at random",
        document=query.document,
        variables={},
        sql=query.sql.replace(one, f"{kind[0].lower()}.id = %(row)s AND"),
        postgraphile="query ($row: BigInt!) "
        + query.postgraphile.replace('rowId: "1"', "rowId: $row"),
    )


TASK_BY_ID = Query(
    name="task_by_id",
    description="one task by id with its course, the task drawn at random",
    document="""query TaskById($id: ID!) { task(id: $id) { id title taskType status deadline
  maxScore course { id title } } }""",
    variables={},
    sql=f"""
SELECT json_build_object('data', json_build_object('task', json_build_object(
  'id', {gid("Task", "t.id")}, 'title', t.title, 'taskType', t.task_type, 'status', t.status,
  'deadline', t.deadline, 'maxScore', t.max_score::text,
  'course', json_build_object('id', {gid("Course", "c.id")}, 'title', c.title))))::text
FROM learningplatform_task t JOIN learningplatform_course c ON c.id = t.course_id
WHERE t.id = %(row)s AND {VISIBLE_TASK} AND {VISIBLE_COURSE}""",
    postgraphile="""query ($row: BigInt!) { taskByRowId(rowId: $row) { rowId title taskType
  status deadline maxScore courseByCourseId { rowId title } } }""",
)

UPDATE_TASK = Query(
    name="update_task",
    description="frontend task_editor_update: an instructor renames a task of theirs (a write)",
    document=(
        __import__("pathlib").Path(__file__).parents[1]
        / "graphql_api/documents/task_editor_update.graphql"
    ).read_text(),
    variables={},
    sql=f"""
UPDATE learningplatform_task t SET title = %(title)s, updated_at = now() WHERE t.id = %(row)s
RETURNING json_build_object('data', json_build_object('updateTask', json_build_object(
  'task', json_build_object('id', {gid("Task", "t.id")}, 'title', t.title, 'status', t.status,
    'deadline', t.deadline, 'maxScore', t.max_score::text,
    'passingScore', t.passing_score::text, 'maxSubmissions', t.max_submissions,
    'timeLimit', t.time_limit, 'isRandomized', t.is_randomized, 'updatedAt', t.updated_at),
  'errors', '[]'::json)))::text""",
    postgraphile="""mutation ($row: BigInt!, $title: String!) {
  updateTaskByRowId(input: {rowId: $row, taskPatch: {title: $title}}) { task { rowId title status
    deadline maxScore passingScore maxSubmissions timeLimit isRandomized updatedAt } } }""",
)

# (query, what its row is, its share of the mix: reads 9 to writes 1)
TRAFFIC = [
    (by_row(COURSE_WITH_TASKS, "course_detail_by_id", "Course"), "Course", 40),
    (TASK_BY_ID, "Task", 25),
    (by_row(TASK_COUNT, "course_task_count_by_id", "Course"), "Course", 15),
    (CATALOGUE, None, 10),
    (UPDATE_TASK, "Task", 10),
]
BY_NAME |= {query.name: query for query, _kind, _share in TRAFFIC}
