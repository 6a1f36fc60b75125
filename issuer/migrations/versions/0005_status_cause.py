"""Status events name the component that caused them

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 08:00:00.000000

``status_event.cause_award_id``: when revoking or suspending a component credential revokes or
suspends a stack credential that counted it, the stack credential's audit row names that
component here (see :mod:`issuer.services.stack_status`); unsuspending the component lifts only
a suspension it caused. Nullable and without a foreign key, so SQLite adds it in place. Nothing
to backfill: no earlier event was caused by a component. Which components a stack credential
counted needs no new table: the stack award's stored ``evidence`` lists each one's id URL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("status_event", sa.Column("cause_award_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("status_event", schema=None) as batch_op:
        batch_op.drop_column("cause_award_id")
