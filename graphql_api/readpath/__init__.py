"""The read path: plain read documents answered from rows, level by level, not field by field.

GraphQL's executor resolves and completes every field of every object one at a time: for 100
courses with 20 tasks each that is some 15,000 Python calls through resolvers, extensions and
type dispatch, and Django builds a model instance for every row first. A query made only of

- the root lists (`courses`, `tasks`), objects by id (`course`, `task`) and the viewer (`me`),
- columns and ids of the model types (a user's private columns nulled for whoever may not see them),
- to-one relations (`instructor`, `course`, `createdBy`) and nested connections (`tasks`,
  `courses`) paged forwards; root lists paged either way, with keyset cursors; with
  `totalCount`, `edges { cursor node }`, `pageInfo`,
- `__typename`, fragments, aliases, `@include`/`@skip`,

is answered here instead: one query per level fetches plain rows (`values_list`), and the answer
is built from them as dictionaries, byte for byte what the executor answers. docs/readpath.md
says how a document flows, how to extend the read path and what sends a document to the
executor. Read it in order:

- `index.py`: what the read path knows of the schema, built with it (`build_index`);
- `plan.py`: a document's plan, fields grouped per response key as GraphQL's CollectFields does;
- `read.py` and `rows.py`: the queries of each level and the answers built from their rows;
- `statements.py`: each level's SQL, compiled once, its parents' ids one array parameter;
- `fold.py`: on PostgreSQL, an object read by id reads its nested lists in its own statement;
- `cache.py`: plans kept by document, variables and kind of viewer, so a request of a known
  shape only runs;
- `binding.py`: what a kept plan takes as parameters (the viewer's id, ids asked for by id);
- `execution.py`: the execution context that tries the read path first, and the kill switch;
- `fallbacks.py`: every document left to the executor, with its reason, logged and recorded.

Outside this package, serving both paths: the page rules, cursors and managers
(graphql_api/connections.py), the executor's query optimizer (graphql_api/optimizer.py), and the
library internals everything relies on (graphql_api/library_internals.py).
tests/graphql_api/test_readpath.py sends documents both ways and compares the answers.
"""
