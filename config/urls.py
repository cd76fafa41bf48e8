"""URL routes: the admin and the GraphQL endpoint, `/` leading to it; every error page is JSON."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from config.schema import schema
from graphql_api.views import GraphQLView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="graphql", permanent=False)),
    path("admin/", admin.site.urls),
    path("graphql/", GraphQLView.as_view(schema=schema), name="graphql"),
]

handler400 = "graphql_api.views.bad_request"
handler403 = "graphql_api.views.permission_denied"
handler404 = "graphql_api.responses.not_found"
handler500 = "graphql_api.views.server_error"
