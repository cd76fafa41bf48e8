"""`manage.py trusted_documents`: the frontend's documents and their ids, for client builds."""

import json

from django.core.management.base import BaseCommand, CommandParser

from graphql_api.trusted_documents import DOCUMENTS, trusted_documents


class Command(BaseCommand):
    help = (
        "List the trusted documents (graphql_api/documents/) with the documentId a client sends "
        "for each."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="print a JSON manifest {documentId: text} for client builds instead of a table "
            "(default: a table of ids and names)",
        )

    def handle(self, *args, as_json: bool, **options) -> None:
        documents = trusted_documents()
        if as_json:
            manifest = {document_id: d.text for document_id, d in documents.items()}
            self.stdout.write(json.dumps(manifest, indent=2))
            return
        if not documents:
            self.stdout.write(f"No documents in {DOCUMENTS}.")
        for document_id, document in sorted(documents.items(), key=lambda item: item[1].name):
            self.stdout.write(f"{document_id}  {document.name}")
