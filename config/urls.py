"""URL routes: the admin and the GraphQL endpoint."""

from django.contrib import admin
from django.urls import path

from graphql_api.schema import schema
from graphql_api.views import GraphQLView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("graphql/", GraphQLView.as_view(schema=schema), name="graphql"),
]
