"""Achievement versions say what their credits are

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 08:00:00.000000

``achievement.credit_type``: what one of an achievement version's ``creditsAvailable`` is
("renewal hours", "CEUs"), shown on the pages beside the number. OB 3.0 has no member for it,
so it lives in the catalog, not in the signed document. Nullable, nothing to backfill: earlier
versions show their number alone, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "achievement",
        sa.Column("credit_type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )


def downgrade() -> None:
    # A plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): batch mode would copy and drop the
    # achievement table, which award rows reference, and SQLite's foreign keys refuse that.
    op.drop_column("achievement", "credit_type")
