"""The register's SQL schema and the triggers that make it append-only.

Rows, checkpoints, purge records and metadata can only be inserted. The one exception: deleting rows
up to the sequence number named by a purge record (retention). Someone with write access to the file
can drop these triggers; the hash chain and the signed checkpoints are what detect that.
"""

from __future__ import annotations

_TABLES_SQL = """
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    seq INTEGER PRIMARY KEY,
    v INTEGER NOT NULL,
    ts TEXT NOT NULL,
    request_id TEXT NOT NULL,
    user TEXT NOT NULL,
    service TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    routed_model TEXT,
    upstream TEXT,
    policy_sha256 TEXT NOT NULL,
    decision TEXT NOT NULL,
    status INTEGER NOT NULL,
    entity_counts TEXT NOT NULL,
    rule_ids TEXT NOT NULL,
    stream INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    energy_wh REAL,
    gco2e REAL,
    error_code TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_ts ON entries (ts);
CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checkpoints_seq ON checkpoints (seq);
CREATE TABLE IF NOT EXISTS purges (
    id INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    through_seq INTEGER NOT NULL,
    through_hash TEXT NOT NULL,
    cutoff TEXT NOT NULL,
    retention_months INTEGER NOT NULL,
    rows_deleted INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS retention (
    id INTEGER PRIMARY KEY,
    ts TEXT NOT NULL,
    months INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    signature TEXT NOT NULL
);
-- The writers' keyed tags of the rows not yet sealed (pruned at each checkpoint): a row at the head
-- without its tag was not appended by a writer holding the signing key.
CREATE TABLE IF NOT EXISTS row_macs (
    seq INTEGER PRIMARY KEY,
    mac TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'registre en ajout seul : modification interdite'); END;
CREATE TRIGGER IF NOT EXISTS entries_delete_only_purged BEFORE DELETE ON entries
WHEN OLD.seq > COALESCE((SELECT MAX(through_seq) FROM purges), 0)
BEGIN SELECT RAISE(ABORT, 'registre en ajout seul : suppression hors purge interdite'); END;
CREATE TRIGGER IF NOT EXISTS entries_append_at_head BEFORE INSERT ON entries
WHEN NEW.seq <= COALESCE(
    (SELECT MAX(seq) FROM entries), (SELECT MAX(through_seq) FROM purges), 0)
BEGIN SELECT RAISE(ABORT, 'registre en ajout seul : insertion hors de la tête interdite'); END;
"""

_SEALED_TABLES = ("meta", "checkpoints", "purges", "retention")


def _sealed_table_triggers() -> str:
    statements = []
    for table in _SEALED_TABLES:
        for action in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()}"
                f" BEFORE {action} ON {table}\n"
                f"BEGIN SELECT RAISE(ABORT, 'registre en ajout seul : {table} inaltérable'); END;"
            )
    return "\n".join(statements)


TRIGGER_NAMES = (
    "entries_no_update",
    "entries_delete_only_purged",
    "entries_append_at_head",
    *(f"{table}_no_{action}" for table in _SEALED_TABLES for action in ("update", "delete")),
)


# Optional columns added after the first format: NULL in older rows, so their hashes still hold (the
# canonical form leaves null columns out). Registers created before them gain them at opening.
OPTIONAL_COLUMNS: dict[str, str] = {
    "task": "TEXT",  # background task of a chat front-end (title, tags...), NULL for the agent's own use
    "attachments": "TEXT",  # canonical JSON {"<kind>:<treatment>": count}, NULL when none
    "notice": "INTEGER",  # 1 when the AI-generated-text notice was added to the answer
    "observed_rule_ids": "TEXT",  # canonical JSON list of observe-mode rules that would have acted
    "sent": "INTEGER",  # 1 when the request reached the upstream model (a 502 after it says so too)
}


def schema_sql() -> str:
    """Every statement creating the schema; idempotent (IF NOT EXISTS)."""
    return _TABLES_SQL + _sealed_table_triggers()
