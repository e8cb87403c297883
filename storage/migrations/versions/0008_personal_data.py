"""personal data: acknowledgements of the privacy notice, representatives forgotten (erased
at their request or by the purge, their identity replaced by a pseudonym), and the claim of
the one automatic purge after the deadline

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('notice_acknowledgement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('telegram_user_id', sa.BigInteger(), nullable=False),
    sa.Column('notice_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('acknowledged_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('notice_acknowledgement', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_notice_acknowledgement_telegram_user_id'),
            ['telegram_user_id'],
            unique=False,
        )

    op.create_table('purge_claim',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('deadline', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('finished_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('questionnaire_id', 'deadline')
    )
    with op.batch_alter_table('representative', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('forgotten_at', storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('representative', schema=None) as batch_op:
        batch_op.drop_column('forgotten_at')

    op.drop_table('purge_claim')
    with op.batch_alter_table('notice_acknowledgement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_acknowledgement_telegram_user_id'))

    op.drop_table('notice_acknowledgement')
