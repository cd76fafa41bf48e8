"""The old learningplatform rows, upgraded in place by migration 0002 under the same rules.

Migration 0002 runs before the record table exists (migration 0003 creates it), so the legacy
values it maps wait in a staging table that migration 0005 moves into ConsolidationConflict
(legacy table: the old table, legacy id and new id: the row's own id). Reversing 0005 moves
them back; reversing 0002 writes the legacy values back into their rows.
"""

from learningplatform.consolidation import rules
from learningplatform.consolidation.steps import CONFLICTS, Sql

STAGING = "learningplatform_upgrade_mapped_value"
IN_PLACE_TABLES = tuple(rules.IN_PLACE)
# Columns whose legacy text must be cast back to a number when a reverse restores it.
NUMERIC_FIELDS = {"max_score", "passing_score", "score"}

# SQL here is built from this package's constant names only; values travel as parameters.


def _create_staging(sql: Sql) -> None:
    sql.execute(
        f"CREATE TABLE IF NOT EXISTS {STAGING} (legacy_table varchar(64) NOT NULL, "
        "legacy_id bigint NOT NULL, field varchar(64) NOT NULL, legacy_value text NULL, "
        "kept_value text NULL, rule varchar(64) NOT NULL, "
        "PRIMARY KEY (legacy_table, legacy_id, field))"
    )


def problems(connection, limit: int = 50) -> list[str]:
    """Old learningplatform rows a rule would map, one line each (for the strict upgrade)."""
    sql = Sql(connection)
    # No alias in the in-place rules: the table is named `src` for the shared query.
    return [
        line
        for table, table_rules in rules.IN_PLACE.items()
        for line in rules.rows_to_map(sql, table, f"{table} src", _aliased(table_rules), limit)
    ]


def _aliased(table_rules: rules.TableRules) -> rules.TableRules:
    return rules.TableRules(
        tuple(rules.MappedColumn(c.rule, f"src.{c.legacy}") for c in table_rules.columns)
    )


def map_in_place(connection) -> int:
    """Record, then map, every old learningplatform value a rule applies to; return how many."""
    sql = Sql(connection)
    _create_staging(sql)
    recorded = 0
    for table, mapped in _mapped(sql).items():
        for field, expressions in mapped.items():
            recorded += sql.execute(
                f"""
                INSERT INTO {STAGING} (legacy_table, legacy_id, field, legacy_value, kept_value, rule)
                SELECT '{table}', id, '{field}', {sql.text(expressions.legacy)},
                       {sql.text(expressions.kept)}, {expressions.rule}
                FROM {table} WHERE {expressions.applies}
                """  # nosec B608  # constant identifiers
            )
        # One UPDATE per table: every SET reads the row's legacy values, as the rules expect.
        assignments = ", ".join(f"{field} = {e.kept}" for field, e in mapped.items())
        applies = " OR ".join(e.applies for e in mapped.values())
        sql.execute(f"UPDATE {table} SET {assignments} WHERE {applies}")  # nosec B608  # constants
    return recorded


def restore_in_place(connection) -> None:
    """Write the recorded legacy values back into their rows, then forget the staging table."""
    sql = Sql(connection)
    if STAGING not in connection.introspection.table_names():
        return
    for table, fields in _mapped(sql).items():
        for field in fields:
            value = "s.legacy_value"
            if field in NUMERIC_FIELDS:
                value = f"CAST({value} AS NUMERIC)"
            sql.execute(
                f"""
                UPDATE {table} SET {field} = (
                    SELECT {value} FROM {STAGING} s WHERE s.legacy_table = '{table}'
                    AND s.legacy_id = {table}.id AND s.field = '{field}')
                WHERE id IN (SELECT legacy_id FROM {STAGING} WHERE legacy_table = '{table}'
                             AND field = '{field}')
                """  # nosec B608  # constant identifiers
            )
    sql.execute(f"DROP TABLE {STAGING}")


def move_staged_records(connection) -> None:
    """Move the values 0002 recorded into ConsolidationConflict (migration 0005)."""
    sql = Sql(connection)
    if STAGING not in connection.introspection.table_names():
        return
    sql.execute(
        f"""
        INSERT INTO {CONFLICTS}
            (legacy_table, legacy_id, new_id, field, kind, legacy_value, kept_value, rule)
        SELECT legacy_table, legacy_id, legacy_id, field, 'mapped', legacy_value, kept_value, rule
        FROM {STAGING}
        """  # nosec B608  # constant identifiers
    )
    sql.execute(f"DROP TABLE {STAGING}")


def unmove_staged_records(connection) -> None:
    """The reverse of move_staged_records: the in-place records go back to the staging table."""
    sql = Sql(connection)
    _create_staging(sql)
    tables = ", ".join(f"'{table}'" for table in IN_PLACE_TABLES)
    sql.execute(
        f"""
        INSERT INTO {STAGING} (legacy_table, legacy_id, field, legacy_value, kept_value, rule)
        SELECT legacy_table, legacy_id, field, legacy_value, kept_value, rule FROM {CONFLICTS}
        WHERE kind = 'mapped' AND legacy_table IN ({tables})
        """  # nosec B608  # constant identifiers
    )
    sql.execute(
        f"DELETE FROM {CONFLICTS} WHERE kind = 'mapped' AND legacy_table IN ({tables})"  # nosec B608  # constants
    )


def _mapped(sql: Sql) -> dict[str, dict[str, rules.Mapped]]:
    return {table: sql.mapped(table_rules) for table, table_rules in rules.IN_PLACE.items()}
