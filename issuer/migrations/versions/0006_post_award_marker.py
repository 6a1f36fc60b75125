"""Awards record when their post-award work is done

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 08:00:00.000000

``award.post_award_done_at``: NULL from an award's commit until its post-award hooks (the stack
credentials it completes) have all run, so work that a crash (``kill -9`` between a component's
commit and its stack credential) or an outage interrupted is found and finished by a retry, a
batch rerun or the next start (:mod:`issuer.services.awards`). The partial index
``ix_award_post_award_owed`` holds only those rows.

Awards issued before this revision had their hooks run right after their commit, as far as
anyone can tell now: they are marked done at their ``created`` time, so the first start after
the upgrade does not re-evaluate every award ever made. A stack credential lost to a crash
before the upgrade is issued by ``microcred stacks check --recipient-email E``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWED = "post_award_done_at IS NULL"


def upgrade() -> None:
    op.add_column(
        "award", sa.Column("post_award_done_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("UPDATE award SET post_award_done_at = created")
    op.create_index(
        "ix_award_post_award_owed",
        "award",
        ["created"],
        unique=False,
        sqlite_where=sa.text(_OWED),
        postgresql_where=sa.text(_OWED),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_award_post_award_owed",
        table_name="award",
        sqlite_where=sa.text(_OWED),
        postgresql_where=sa.text(_OWED),
    )
    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.drop_column("post_award_done_at")
