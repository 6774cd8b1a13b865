"""Create and drop throwaway databases on the local PostgreSQL, MariaDB and Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

PG_ADMIN = os.environ.get("PERSONDATA_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN = os.environ.get("PERSONDATA_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/")
REDIS_URL = os.environ.get("PERSONDATA_TEST_REDIS", "redis://127.0.0.1:6379/0")


class ServiceUnavailable(Exception):
    """A local database service is not running."""


def _name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


@contextmanager
def postgres_database(prefix: str = "pdtest") -> Iterator[str]:
    """Yield the URL of a new, empty PostgreSQL database; drop it afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(PG_ADMIN)
    conninfo = (f"host={admin.host} port={admin.port or 5432} user={admin.username or 'postgres'}"
                f" dbname={admin.database or 'postgres'}")
    if admin.password:
        conninfo += f" password={admin.password}"
    try:
        conn = psycopg.connect(conninfo, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        raise ServiceUnavailable(f"PostgreSQL on {admin.host}:{admin.port or 5432}: {exc}") from exc
    name = _name(prefix)
    with conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def mariadb_database(prefix: str = "pdtest") -> Iterator[str]:
    """Yield the URL of a new, empty MariaDB database; drop it afterwards."""
    import pymysql
    from sqlalchemy.engine import make_url

    admin = make_url(MARIADB_ADMIN)
    kwargs = dict(host=admin.host or "127.0.0.1", port=admin.port or 3306,
                  user=admin.username or "root", password=admin.password or "",
                  connect_timeout=3)
    try:
        conn = pymysql.connect(**kwargs)
    except pymysql.err.OperationalError as exc:
        raise ServiceUnavailable(f"MariaDB on {kwargs['host']}:{kwargs['port']}: {exc}") from exc
    name = _name(prefix)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    conn.close()
    try:
        yield admin.set(drivername="mysql+pymysql", database=name,
                        query={"charset": "utf8mb4"}).render_as_string(hide_password=False)
    finally:
        conn = pymysql.connect(**kwargs)
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def run_sql(url: str, *statements: str) -> None:
    """Run SQL statements on a database in one transaction (test set-up)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.execute(sa.text(sql))
    finally:
        engine.dispose()


def redis_available(url: str = REDIS_URL) -> bool:
    """True when Redis answers a ping."""
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False
