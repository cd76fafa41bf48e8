"""GraphiQL in a real headless Chromium, with every request off this server refused."""

from urllib.parse import urlparse

import pytest

from tests.factories import CourseFactory
from tests.helpers import NEEDS_CHROMIUM, chromium

pytestmark = [
    pytest.mark.slow,  # starts servers or processes
    NEEDS_CHROMIUM,
    pytest.mark.django_db(transaction=True),
]

QUERY = "{ courses { edges { node { title instructor { username } } } } }"


@pytest.fixture
def course_on_server():
    return CourseFactory(title="Offline Course", instructor__username="ada")


@pytest.fixture
def page(live_server, course_on_server):
    with chromium() as browser:
        page = browser.new_page()
        here = urlparse(live_server.url).netloc
        page.outside_requests = []

        def only_this_server(route):
            if urlparse(route.request.url).netloc == here:
                route.continue_()
            else:
                page.outside_requests.append(route.request.url)
                route.abort()

        page.route("**/*", only_this_server)
        yield page


def test_a_query_typed_into_graphiql_returns_data(live_server, page):
    page.goto(f"{live_server.url}/graphql/")
    editor = page.locator(".graphiql-query-editor .CodeMirror").first
    editor.wait_for(timeout=20_000)
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(QUERY)
    page.wait_for_timeout(1000)  # GraphiQL re-reads the operation name after a short pause
    page.locator(".graphiql-execute-button").click()
    response = page.locator(".graphiql-response .CodeMirror")
    response.get_by_text("Offline Course").wait_for(timeout=20_000)
    assert '"username": "ada"' in response.inner_text()
    assert page.outside_requests == []
