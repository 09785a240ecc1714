"""Ids are never reused on SQLite: its tables with integer ids get AUTOINCREMENT

A forgotten user's ids must not come back for the next user: without AUTOINCREMENT SQLite
hands out max(id) + 1, so deleting the newest rows frees their ids again. PostgreSQL's
sequences never go back, so there is nothing to do there.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
from sqlalchemy.engine import Connection

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Parents before children is not needed: foreign keys are off while tables are rebuilt.
TABLES = (
    "users",
    "devices",
    "focus_sessions",
    "reviews",
    "analyses",
    "weekly_reports",
    "host_rules",
)


@contextmanager
def _foreign_keys_off(bind: Connection) -> Iterator[None]:
    """Rebuilding a table drops the old one, which with foreign keys on would cascade into
    its children's rows. SQLite changes the setting only outside a transaction."""
    bind.exec_driver_sql("COMMIT")
    bind.exec_driver_sql("PRAGMA foreign_keys=OFF")
    bind.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        yield
        broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
        bind.exec_driver_sql("COMMIT")
    except BaseException:
        bind.exec_driver_sql("ROLLBACK")
        raise
    finally:
        bind.exec_driver_sql("PRAGMA foreign_keys=ON")
        bind.exec_driver_sql("BEGIN IMMEDIATE")  # the migration's own transaction goes on


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    with _foreign_keys_off(bind):
        for table in TABLES:
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
            ):
                pass


def upgrade() -> None:
    _rebuild(autoincrement=True)


def downgrade() -> None:
    _rebuild(autoincrement=False)
