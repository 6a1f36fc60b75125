"""VC-API: credentials issued through /credentials/issue, their status audit log, and status
allocations that may belong to them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 18:30:00.000000

A status allocation's ``award_id`` loses its foreign key to ``award.id``: it now holds the uuid of
either an award or a VC-API credential (a row of ``vcapi_credential``), so both kinds of
credential draw their indexes through :func:`issuer.services.status.allocate`.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _allocation_table(*, with_award_fk: bool) -> sa.Table:
    """``status_allocation`` as revision 0002 made it, with or without the award foreign key
    (SQLite cannot drop an unnamed constraint: the table is rebuilt from this definition)."""
    award_id = (
        sa.Column(
            "award_id",
            sa.Uuid(),
            sa.ForeignKey("award.id", deferrable=True, initially="DEFERRED"),
            nullable=False,
        )
        if with_award_fk
        else sa.Column("award_id", sa.Uuid(), nullable=False)
    )
    return sa.Table(
        "status_allocation",
        sa.MetaData(),
        sa.Column("list_id", sa.Integer(), sa.ForeignKey("status_list.id"), primary_key=True),
        sa.Column("status_index", sa.Integer(), primary_key=True),
        award_id,
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("is_set", sa.Boolean(), nullable=False),
        sa.Index("ix_status_allocation_award_id", "award_id"),
    )


def _award_foreign_keys() -> list[str | None]:
    inspector = sa.inspect(op.get_bind())
    return [
        fk.get("name")
        for fk in inspector.get_foreign_keys("status_allocation")
        if fk.get("referred_table") == "award"
    ]


def upgrade() -> None:
    op.create_table(
        "vcapi_credential",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
        sa.Column("credential", sa.Text(), nullable=False),
        sa.Column("signed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("vcapi_credential", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vcapi_credential_credential_id"), ["credential_id"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_vcapi_credential_issuer_id"), ["issuer_id"], unique=False
        )

    op.create_table(
        "vcapi_status_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("credential_uuid", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("previous_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("new_status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["credential_uuid"], ["vcapi_credential.id"]),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("vcapi_status_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vcapi_status_event_credential_uuid"), ["credential_uuid"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_vcapi_status_event_issuer_id"), ["issuer_id"], unique=False
        )

    names = _award_foreign_keys()
    if op.get_bind().dialect.name == "sqlite":
        if names:
            with op.batch_alter_table(
                "status_allocation",
                recreate="always",
                copy_from=_allocation_table(with_award_fk=False),
            ):
                pass
    else:
        for name in names:
            op.drop_constraint(name, "status_allocation", type_="foreignkey")


def downgrade() -> None:
    # Allocations of VC-API credentials would violate the restored foreign key.
    op.execute("DELETE FROM status_allocation WHERE award_id IN (SELECT id FROM vcapi_credential)")
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table(
            "status_allocation",
            recreate="always",
            copy_from=_allocation_table(with_award_fk=True),
        ):
            pass
    else:
        op.create_foreign_key(
            "status_allocation_award_id_fkey",
            "status_allocation",
            "award",
            ["award_id"],
            ["id"],
            deferrable=True,
            initially="DEFERRED",
        )
    with op.batch_alter_table("vcapi_status_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vcapi_status_event_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_vcapi_status_event_credential_uuid"))
    op.drop_table("vcapi_status_event")
    with op.batch_alter_table("vcapi_credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vcapi_credential_issuer_id"))
        batch_op.drop_index(batch_op.f("ix_vcapi_credential_credential_id"))
    op.drop_table("vcapi_credential")
