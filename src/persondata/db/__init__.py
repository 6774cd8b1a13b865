"""persondata's own state: SQLAlchemy 2 base, engine and session, Alembic migrations."""
