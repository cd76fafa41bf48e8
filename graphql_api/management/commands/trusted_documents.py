"""`manage.py trusted_documents`: the documents this server trusts, and client manifests.

Alone it lists the documents shipped in graphql_api/documents/ with their ids, for client builds;
`import FILE` registers a client build's manifest (graphql_api/manifests.py says which formats),
`registered` lists what manifests registered, `revoke` withdraws them.
"""

import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from graphql import build_schema as parse_sdl

from graphql_api.manifests import (
    FORMATS,
    ManifestError,
    documents_register,
    documents_revoke,
    manifest_read,
)
from graphql_api.models import RegisteredDocument
from graphql_api.sdl import schema_sdl
from graphql_api.trusted_documents import DOCUMENTS, trusted_documents


class Command(BaseCommand):
    help = (
        "List the trusted documents (graphql_api/documents/) with the documentId a client sends "
        "for each; `import`, `registered` and `revoke` manage documents registered from client "
        "manifests."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json",
            action="store_true",
            dest="as_json",
            help="print a JSON manifest {documentId: text} for client builds instead of a table "
            "(default: a table of ids and names)",
        )
        commands = parser.add_subparsers(
            dest="subcommand",
            title="subcommands",
            help="import, registered or revoke (`<subcommand> -h` for each); without one, list "
            "the shipped documents",
        )
        register = commands.add_parser(
            "import",
            help="register a client build's manifest: Codegen's persisted-documents.json, "
            "Apollo's persisted-query manifest or Relay's query map; all of it or nothing",
        )
        register.add_argument("file", type=Path, help="the manifest, a JSON file")
        register.add_argument("--client", default="frontend", help="the client (default: frontend)")
        register.add_argument(
            "--release",
            help="the client's build or version (default: the manifest's sha256, 12 digits)",
        )
        register.add_argument(
            "--format", choices=FORMATS, help="refuse a manifest of another format (default: any)"
        )
        listing = commands.add_parser("registered", help="list the registered documents")
        listing.add_argument("--client", help="only this client's")
        listing.add_argument("--release", help="only this release's")
        listing.add_argument("--revoked", action="store_true", help="include revoked ones")
        listing.add_argument("--json", action="store_true", dest="as_json", help="as JSON lines")
        revoke = commands.add_parser(
            "revoke", help="revoke registered documents: by id, or all of a client's (release's)"
        )
        revoke.add_argument("ids", nargs="*", help="ids as `registered` lists them")
        revoke.add_argument("--client", help="every document this client registered")
        revoke.add_argument("--release", help="with --client: only this release's")

    def handle(self, *args, subcommand: str | None = None, **options) -> None:
        try:
            if subcommand == "import":
                self.register(options["file"], options["client"], options["release"], options)
            elif subcommand == "registered":
                self.registered(options)
            elif subcommand == "revoke":
                count = documents_revoke(
                    document_ids=options["ids"], client=options["client"],
                    release=options["release"],
                )  # fmt: skip
                self.stdout.write(f"Revoked {count} document(s).")
            else:
                self.shipped(options["as_json"])
        except ManifestError as error:
            raise CommandError(str(error)) from None

    def shipped(self, as_json: bool) -> None:
        documents = trusted_documents()
        if as_json:
            manifest = {document_id: d.text for document_id, d in documents.items()}
            self.stdout.write(json.dumps(manifest, indent=2))
            return
        if not documents:
            self.stdout.write(f"No documents in {DOCUMENTS}.")
        for document_id, document in sorted(documents.items(), key=lambda item: item[1].name):
            self.stdout.write(f"{document_id}  {document.name}")

    def register(self, file: Path, client: str, release: str | None, options: dict) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        try:
            text = data.decode()
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text.") from None
        if release is None:
            release = hashlib.sha256(data).hexdigest()[:12]
        manifest_format, entries = manifest_read(
            text=text, schema=parse_sdl(schema_sdl()), manifest_format=options["format"]
        )
        done = documents_register(
            entries=entries, client=client, release=release, manifest_format=manifest_format
        )
        self.stdout.write(
            f"{file.name} ({manifest_format}), {client} {release}: {done.registered} registered, "
            f"{done.unchanged} already registered, {done.restored} revoked before and "
            "registered again."
        )

    def registered(self, options: dict) -> None:
        documents = RegisteredDocument.objects.order_by("client", "registered_at", "document_id")
        if not options["revoked"]:
            documents = documents.filter(revoked_at=None)
        for name in ("client", "release"):
            if options[name] is not None:
                documents = documents.filter(**{name: options[name]})
        for document in documents:
            if options["as_json"]:
                fields = ("document_id", "algorithm", "operation_names", "client", "release")
                row = {name: getattr(document, name) for name in fields}
                row["revoked"] = document.revoked_at is not None
                self.stdout.write(json.dumps(row))
                continue
            revoked = (
                f"  revoked {document.revoked_at:%Y-%m-%d %H:%M}" if document.revoked_at else ""
            )
            self.stdout.write(
                f"{document.document_id}  {document.operation_names or '(anonymous)'}  "
                f"{document.client} {document.release}  "
                f"registered {document.registered_at:%Y-%m-%d %H:%M}{revoked}"
            )
