"""URL routes: the admin and the GraphQL endpoint; `/` leads to the endpoint."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from graphql_api.schema import schema
from graphql_api.views import GraphQLView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="graphql", permanent=False)),
    path("admin/", admin.site.urls),
    path("graphql/", GraphQLView.as_view(schema=schema), name="graphql"),
]
