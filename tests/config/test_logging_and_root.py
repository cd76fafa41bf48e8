"""`/` leads to the API; logs say each event once."""

import pytest

from tests.helpers import python


@pytest.mark.django_db
def test_the_root_url_leads_to_the_graphql_endpoint(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/graphql/"


@pytest.mark.parametrize("debug", ["1", "0"])
@pytest.mark.slow  # a process of its own
def test_each_log_event_is_one_line(debug, tmp_path):
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.server').warning('server event'); "
        "logging.getLogger('django.request').warning('request event'); "
        "logging.getLogger('graphql_api').warning('app event')"
    )
    result = python("-c", code, tmp_path=tmp_path, DEBUG=debug, SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr
    for event in ("server event", "request event", "app event"):
        assert result.stderr.count(event) == 1, result.stderr
