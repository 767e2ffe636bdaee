"""Canonical tables of ../shared/DATA.md as SQLAlchemy Core, one MetaData per source."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, MetaData, String, Table


def services_metadata() -> MetaData:
    """Tables of the government-service source (with its reference tables)."""
    md = MetaData()
    Table(
        "district",
        md,
        Column("code", String(12), primary_key=True),
        Column("name_zh", String(64), nullable=False),
        Column("name_en", String(64), nullable=False),
        Column("kind", String(16), nullable=False),
        Column("group", String(16), nullable=False),
        Column("population", BigInteger, nullable=False),
    )
    return md


METADATA = {"services": services_metadata}
