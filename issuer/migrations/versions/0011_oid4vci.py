"""OpenID4VCI: credential offers and their grants, issuances per configuration, c_nonces

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-14 10:00:00.000000

Three new tables (:mod:`issuer.models.oid4vci`); nothing existing changes. Every secret of the
flow is kept as a digest only.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oid4vci_grant",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("issuer_id", sa.Integer(), nullable=False),
        sa.Column("configuration_ids", sa.JSON(), nullable=False),
        sa.Column("offer_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("tx_code_mac", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("tx_code_attempts", sa.Integer(), nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redeemed", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("access_expires", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"]),
        sa.ForeignKeyConstraint(["issuer_id"], ["issuer.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("oid4vci_grant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oid4vci_grant_award_id"), ["award_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_oid4vci_grant_offer_hash"), ["offer_hash"], unique=True
        )
        batch_op.create_index(batch_op.f("ix_oid4vci_grant_code_hash"), ["code_hash"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_oid4vci_grant_access_token_hash"), ["access_token_hash"], unique=True
        )

    op.create_table(
        "oid4vci_issuance",
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        sa.Column("configuration_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("holder_did", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("copy_id", sa.Uuid(), nullable=False),
        sa.Column("issued", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["grant_id"], ["oid4vci_grant.id"]),
        sa.PrimaryKeyConstraint("grant_id", "configuration_id"),
    )

    op.create_table(
        "oid4vci_nonce",
        sa.Column("nonce_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce_hash"),
    )
    with op.batch_alter_table("oid4vci_nonce", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oid4vci_nonce_expires"), ["expires"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("oid4vci_nonce", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oid4vci_nonce_expires"))
    op.drop_table("oid4vci_nonce")
    op.drop_table("oid4vci_issuance")
    with op.batch_alter_table("oid4vci_grant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oid4vci_grant_access_token_hash"))
        batch_op.drop_index(batch_op.f("ix_oid4vci_grant_code_hash"))
        batch_op.drop_index(batch_op.f("ix_oid4vci_grant_offer_hash"))
        batch_op.drop_index(batch_op.f("ix_oid4vci_grant_award_id"))
    op.drop_table("oid4vci_grant")
