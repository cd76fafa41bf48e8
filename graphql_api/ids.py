"""Global ids: every node type names its object by the model's primary key.

An id whose node part is not a primary key (`Course:²`, `Course:1 OR 1=1`, past 64 bits) is
invalid, like an undecodable id or one naming no node type: all answer INVALID_ID, the same
message, so none tells more than another. An id of an object you may not see answers null, as
an unknown one.

Strawberry looks for a `NodeID`-annotated field to learn which attribute holds the id, and
strawberry-django falls back to the primary key when there is none; but that search walks every
annotation of the class again for each object (it caches only a found field), which cost about
half of the time of a 2,100-object query (bench/api.py). Saying "pk" outright skips the search.
"""

from strawberry.relay.types import GlobalIDValueError
from strawberry_django.relay.utils import resolve_model_node


def pk_id_attr(cls) -> str:
    return "pk"


INVALID_ID = "Not a valid id: use an `id` this API returned."


def is_node_id(node_id: str) -> bool:
    """Plain ASCII digits that fit a database id ("²" is a digit to str.isdigit, not to int)."""
    return node_id.isascii() and node_id.isdigit() and len(node_id) <= 19 and int(node_id) < 2**63


def resolve_node(cls, node_id: str, *, info=None, required: bool = False):
    """strawberry-django's node lookup, for primary keys only: anything else is INVALID_ID."""
    if not is_node_id(str(node_id)):
        raise GlobalIDValueError(INVALID_ID)
    return resolve_model_node(cls, node_id, info=info, required=required)
