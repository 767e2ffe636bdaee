"""Source databases: canonical schema, SQLAlchemy implementation of dashboard.sources.Sources."""
