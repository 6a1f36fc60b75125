"""Alembic environment: migrate the engine :func:`issuer.db.migrate` hands over.

Run from the command line (to write a revision), it builds the engine from the ``MICROCRED_*``
settings instead. ``render_as_batch`` lets the same revisions alter tables on SQLite, which has
no ALTER for constraints. Logging is left alone: the service configures its own.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import issuer.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from issuer.db import make_engine, models_own
from issuer.settings import Settings

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    engine = context.config.attributes.get("engine")
    owned = engine is None
    if owned:
        engine = make_engine(Settings())
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=True,
                compare_type=True,
                # huey's job_* tables (PostgreSQL) are made by 0009 but have no SQLModel
                # model: autogenerate must not propose dropping them.
                include_name=models_own,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported; migrate a database instead")
run_migrations()
