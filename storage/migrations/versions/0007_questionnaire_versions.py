"""questionnaire versions: the questionnaire in force lives in the database with its versions
(number, wording kind, checksum, content, who, when, what changed), and each answer records
the version it was given under (answers from before: version 1, the configured file, which
the first process to start stores)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('questionnaire_version',
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('questionnaire_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('wording', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('checksum', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_by_user', sa.BigInteger(), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('number')
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('questionnaire_version', sa.Integer(), server_default='1', nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_column('questionnaire_version')

    op.drop_table('questionnaire_version')
