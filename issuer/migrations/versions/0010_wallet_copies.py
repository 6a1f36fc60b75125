"""Wallet copies of awards, the VC-API exchanges that deliver them, and copies in the audit log

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-14 08:00:00.000000

* ``wallet_copy``: an award signed again for one holder's wallet (``credentialSubject.id`` = the
  holder's DID), with status allocations of its own (``status_allocation.award_id`` holds the
  copy's uuid, as it does a VC-API credential's since revision 0004).
* ``exchange``: a single-use wallet exchange for an award; its id is stored only as a SHA-256.
* ``status_event.copies``: how many wallet copies an award's status change carried with it.
  Added in place with a server default of 0 (no earlier change carried any).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wallet_copy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("holder_did", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("protocol", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("format", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("credential", sa.Text(), nullable=False),
        sa.Column("credential_jwt", sa.Text(), nullable=True),
        sa.Column("signed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"]),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("wallet_copy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_wallet_copy_award_id"), ["award_id"], unique=False)

    op.create_table(
        "exchange",
        sa.Column("id_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("challenge", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("protocol", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("copy_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"]),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_exchange_award_id"), ["award_id"], unique=False)

    op.add_column(
        "status_event",
        sa.Column("copies", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )


def downgrade() -> None:
    # A plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35), as 0008's downgrade: batch mode would
    # copy the table.
    op.drop_column("status_event", "copies")
    with op.batch_alter_table("exchange", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exchange_award_id"))
    op.drop_table("exchange")
    # The copies' status allocations go with them (their bits are nobody's once they are gone).
    op.execute("DELETE FROM status_allocation WHERE award_id IN (SELECT id FROM wallet_copy)")
    with op.batch_alter_table("wallet_copy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_wallet_copy_award_id"))
    op.drop_table("wallet_copy")
