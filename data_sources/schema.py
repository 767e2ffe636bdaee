"""Canonical tables of ../shared/DATA.md as SQLAlchemy Core, one MetaData per source.

Ids are not primary keys on the fact tables: a source may deliver a duplicate id, and a duplicate must be
storable so that it can be counted and quarantined rather than rejected on insert. Timestamps are naive
local times of the city (see docs/metrics.md).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, DateTime, Float, Index, Integer, MetaData, String, Table, text

from dashboard.aggregation import CHANNELS as CHANNELS  # re-exported: the channel vocabulary
from dashboard.aggregation import ONLINE

ONLINE_CHANNELS = ONLINE  # defined once, where the aggregates count them (with CHANNELS)
STATUSES = ("submitted", "accepted", "completed", "rejected", "withdrawn")
SCORES = (1, 2, 3, 4, 5)
INDICATORS = (
    "population",
    "open_datasets",
    "data_sharing_calls",
    "g5_base_stations",
    "self_service_terminals",
    "digital_staff",
    "staff_trained",
    "security_incidents",
    "grade_protection_rate",
)


def services_metadata() -> MetaData:
    """Government-service platform: requests and the reference tables of units, departments, items."""
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
    Table(
        "department",
        md,
        Column("code", String(16), primary_key=True),
        Column("name_zh", String(64), nullable=False),
        Column("name_en", String(96), nullable=False),
    )
    Table(
        "service_item",
        md,
        Column("code", String(24), primary_key=True),
        Column("name_zh", String(96), nullable=False),
        Column("name_en", String(160), nullable=False),
        Column("department_code", String(16), nullable=False),
        Column("promised_days", Integer, nullable=False),
    )
    Table(
        "service_request",
        md,
        Column("request_id", String(32), nullable=False),
        Column("district_code", String(12)),
        Column("department_code", String(16)),
        Column("item_code", String(24)),
        Column("channel", String(16)),
        Column("submitted_at", DateTime),
        Column("completed_at", DateTime),
        Column("status", String(16)),
        Column("deadline_at", DateTime),
        Index("ix_service_request_submitted_at", "submitted_at"),
        # an incremental refresh reads the id groups with a submission or a finish since its cutoff
        Index("ix_service_request_completed_at", "completed_at"),
        Index("ix_service_request_request_id", "request_id"),
    )
    return md


def reviews_metadata() -> MetaData:
    """Good-and-bad review system: one row per citizen rating."""
    md = MetaData()
    Table(
        "review",
        md,
        Column("review_id", String(32), nullable=False),
        Column("request_id", String(32)),
        Column("district_code", String(12)),
        Column("department_code", String(16)),
        Column("item_code", String(24)),
        Column("channel", String(16)),
        Column("score", Integer),
        Column("created_at", DateTime),
        Column("rectified_at", DateTime),
        # Optional (DATA.md): a source may lack any of these; the mapping or the real table says which.
        Column("visited_at", DateTime),
        Column("real_name", Boolean),
        Column("appeal_status", String(16)),
        Column("is_default", Boolean),
        Column("rectification_rating", String(16)),
        Index("ix_review_created_at", "created_at"),
        Index("ix_review_review_id", "review_id"),
        # the open bad reviews every refresh lists (refresh.aggregate): on PostgreSQL a partial index of them, so
        # the list is read through it instead of a scan of every review (10M requests: 0.35 s a refresh)
        Index("ix_review_open_bad", "review_id",
              postgresql_where=text("score <= 2 AND rectified_at IS NULL")).ddl_if(dialect="postgresql"),
    )
    return md


def indicators_metadata() -> MetaData:
    """Statistics platform: district indicators in long format, one row per unit, month and indicator."""
    md = MetaData()
    Table(
        "district_indicator",
        md,
        Column("district_code", String(12)),
        Column("period", Date),
        Column("indicator_code", String(32)),
        Column("value", Float),
        Index("ix_district_indicator_period", "period"),
    )
    return md


METADATA = {"services": services_metadata, "reviews": reviews_metadata, "indicators": indicators_metadata}

# Which source holds each fact table, and the columns that identify a row and date it.
FACTS = {
    "service_request": {"source": "services", "id": ("request_id",), "time": "submitted_at"},
    "review": {"source": "reviews", "id": ("review_id",), "time": "created_at"},
    "district_indicator": {
        "source": "indicators",
        "id": ("district_code", "period", "indicator_code"),
        "time": "period",
    },
}
