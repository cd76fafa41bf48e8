"""Rows in, answers out: the answers of a plan built from its rows by code written for it."""

import binascii
import functools
from collections.abc import Callable
from typing import Any

from graphql import GraphQLEnumType, GraphQLError

from graphql_api.readpath.fallbacks import Fallback
from graphql_api.readpath.plan import ObjectPlan

BUILDERS: dict[
    tuple, Callable
] = {}  # plan signature -> builder: the documents a server sees repeat


def refused(value: Any = None):
    raise Fallback(
        "a value the executor reports as an error (null in a non-null field, or refused)"
    )


@functools.lru_cache(maxsize=512)
def enum_memo(leaf: GraphQLEnumType) -> tuple[dict, Callable]:
    """An enum's serialization, memoised: few values, each coerced once, then looked up."""
    seen: dict = {}

    def convert(value):
        coerced = leaf.coerce_output_value(value)
        if coerced is None:
            refused()
        seen[value] = coerced
        return coerced

    return seen, convert


def build(plan: ObjectPlan, rows: list[tuple]) -> list[dict]:
    """The answers of `plan` for `rows`, relations left as None for the reader to fill."""
    signature = (plan.entry.name, tuple(plan.slots))
    builder = BUILDERS.get(signature)
    if builder is None:
        if len(BUILDERS) >= 512:
            BUILDERS.clear()
        builder = BUILDERS[signature] = row_builder(plan)
    try:
        return builder(rows)
    except (TypeError, ValueError, ArithmeticError, GraphQLError):
        refused()


def row_builder(plan: ObjectPlan) -> Callable[[list[tuple]], list[dict]]:
    """A function building the answers of `plan` from its rows, written for its slots.

    One loop with the columns read once per row, instead of a loop over the slots per row (the
    nested 100 x 20 query builds 2,100 objects). Only integers and fixed names go into the
    source: the client's keys and every function are passed in `scope`. A null in a non-null
    column, or a value its scalar refuses, raises Fallback: the executor reports it.

    Why generated: a loop over the slots per row (`slot_by_slot` in bench/readpath_switches.py,
    the same answers) cost the nested 100 x 20 request 1.12x to 1.25x this CPU in three runs of
    `bench/readpath_switches.py` (2026-12-03; small shapes within the noise, about 7%).
    """
    scope = {"b2a": binascii.b2a_base64, "refused": refused}
    lines, items, required = [], [], []
    for n, slot in enumerate(plan.slots):
        scope[f"k{n}"] = slot.key
        if slot.column is None:  # a constant (__typename) or a relation filled in afterwards
            scope[f"c{n}"] = slot.constant
            items.append(f"k{n}: c{n}")
            continue
        leaf = slot.leaf.leaf
        lines.append(f"v{n} = row[{slot.column}]")
        scope[f"c{n}"] = leaf.coerce_output_value
        value, checked = f"v{n}", f"(a{n} if (a{n} := c{n}(v{n})) is not None else refused())"
        if slot.leaf.global_id_of is not None:  # as strawberry.relay.to_base64 writes it
            scope[f"p{n}"] = f"{slot.leaf.global_id_of}:"
            answer = f"b2a((p{n} + str({value})).encode(), newline=False).decode()"
        elif leaf.name == "String":
            answer = f"({value} if {value}.__class__ is str else {checked})"
        elif isinstance(leaf, GraphQLEnumType):
            scope[f"m{n}"], scope[f"c{n}"] = enum_memo(leaf)
            answer = f"(m{n}.get({value}) or c{n}({value}))"
        else:
            answer = checked  # Int: coerce checks 32 bits
        if slot.leaf.non_null:
            required.append(f"{value} is None")
            items.append(f"k{n}: {answer}")
        else:
            items.append(f"k{n}: None if {value} is None else {answer}")
    body = [
        "def build(rows):",
        "    objects = []",
        "    append = objects.append",
        "    for row in rows:",
        *(f"        {line}" for line in lines),
        *([f"        if {' or '.join(required)}:", "            refused()"] if required else []),
        f"        append({{{', '.join(items)}}})",
        "    return objects",
    ]
    source = "\n".join(body)
    exec(compile(source, f"<row builder {plan.entry.name}>", "exec"), scope)  # noqa: S102  # nosec B102 - generated from integers and fixed names only
    return scope["build"]
