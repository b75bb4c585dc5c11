"""People's reviews of creatives (approved / rejected, with a comment), append-only.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# written out, not imported from the models (see 0001)
ID = sa.String(32)
WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reviews",
        sa.Column("id", ID, nullable=False),
        sa.Column("campaign_id", ID, nullable=False),
        sa.Column("product_id", sa.String(64), nullable=False),
        sa.Column("aspect_ratio", sa.String(16), nullable=False),
        sa.Column("locale", sa.String(35), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(120), nullable=False),
        sa.Column("api_key", sa.String(200), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.CheckConstraint(
            "decision IN ('approved', 'rejected')", name=op.f("ck_reviews_decision")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_reviews_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    # a creative's current decision is its latest row: this finds it (and serves the cascade)
    op.create_index(
        op.f("ix_reviews_creative_created_at"),
        "reviews",
        ["campaign_id", "product_id", "aspect_ratio", "locale", "created_at"],
    )


def downgrade() -> None:
    op.drop_table("reviews")
