"""The floor behind a bare Django view: settings (production's, plus this URLconf) and the view.

POST {"query": "<name>", "variables": {...}} runs that query's one SQL statement
(bench/api_queries.py) and returns the JSON text PostgreSQL built, untouched. Served by gunicorn
exactly like the API: `DJANGO_SETTINGS_MODULE=bench.floor_app gunicorn -c config/gunicorn.py`.
"""

import json

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.settings import *  # noqa: F403 - production settings, with this module's URLs

ROOT_URLCONF = "bench.floor_app"


@csrf_exempt
def floor(request):
    from django.db import connection

    from bench.api_queries import BY_NAME

    body = json.loads(request.body)
    query = BY_NAME[body["query"]]
    with connection.cursor() as cursor:
        cursor.execute(query.sql, body.get("variables") or query.variables)
        (text,) = cursor.fetchone()
    return HttpResponse(text, content_type="application/json")


urlpatterns = [path("floor/", floor)]
