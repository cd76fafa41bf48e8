"""Every GraphQL document the README shows is sent to the demo data set, in order, in one
session, and answers what the README shows after it (the keys shown; ids the README leaves out)."""

import json
import re

import pytest
from django.core.management import call_command

from graphql_api.client import GraphQLClient
from tests.helpers import ROOT

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("development")]

BLOCK = re.compile(r"```(graphql|json)\n(.*?)```", re.S)


def examples(text: str) -> list[tuple[str, dict | None]]:
    """(document, the answer shown after it, if any) for each GraphQL block, in order."""
    blocks = BLOCK.findall(text)
    found = []
    for number, (kind, body) in enumerate(blocks):
        if kind == "graphql":
            after = blocks[number + 1] if number + 1 < len(blocks) else None
            shown = json.loads(after[1]) if after and after[0] == "json" else None
            found.append((body, shown))
    return found


def shown_in(answer, shown) -> bool:
    """Whether `answer` holds everything `shown` does (a dict's other keys may be there too)."""
    if isinstance(shown, dict):
        return isinstance(answer, dict) and all(
            key in answer and shown_in(answer[key], value) for key, value in shown.items()
        )
    if isinstance(shown, list):
        return (
            isinstance(answer, list)
            and len(answer) == len(shown)
            and all(shown_in(a, s) for a, s in zip(answer, shown, strict=True))
        )
    return answer == shown


def test_every_readme_example_answers_as_shown():
    call_command("seed", "--no-progress", verbosity=0)  # what the README's first command seeds
    documents = examples((ROOT / "README.md").read_text())
    assert len(documents) >= 4
    client, variables = GraphQLClient(), {}
    for document, shown in documents:
        status, answer = client.post(document, variables)
        assert status == 200
        if shown is not None:
            assert shown_in(answer, shown), (document, answer)
        else:
            assert "errors" not in answer, (document, answer)
        created = (answer.get("data") or {}).get("createCourse")
        if created and created["course"]:
            variables = {"course": created["course"]["id"]}


def test_the_comparison_notices_a_wrong_value():
    shown = {"data": {"courses": {"totalCount": 2, "edges": [{"node": {"title": "A"}}]}}}
    right = {"data": {"courses": {"totalCount": 2, "edges": [{"node": {"title": "A", "x": 1}}]}}}
    assert shown_in(right, shown)
    assert not shown_in({"data": {"courses": {"totalCount": 3, "edges": []}}}, shown)
    assert not shown_in({"data": {"courses": {"totalCount": 2, "edges": [{"node": {}}]}}}, shown)


def test_no_file_cites_a_document_outside_the_repository():
    import subprocess

    tracked = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    outside = ("CONTRACT" + ".md", "STYLE" + ".md", "../" + "shared")
    citing = [
        name
        for name in tracked
        if (ROOT / name).is_file()
        and name.endswith((".py", ".md", ".toml", ".graphql", ".yml", ".txt", ".html"))
        and any(cite in (ROOT / name).read_text(errors="replace") for cite in outside)
    ]
    assert citing == []
