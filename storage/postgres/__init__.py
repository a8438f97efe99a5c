"""The PostgreSQL store (``BOT_DB=postgresql://...``): the same ``Store`` contract as SQLite, for
several bot processes on one database, plus the lease that makes exactly one of them active.

Importing this package imports psycopg: only ``storage.factory`` does, and only for a
PostgreSQL URL, so a bot on SQLite never loads the driver.
"""

from storage.postgres.keeper import LeaseKeeper
from storage.postgres.lease import Fence, Lease, LeaseTiming, LeaseToken
from storage.postgres.link import LeaseLost
from storage.postgres.schema import SchemaTooNew
from storage.postgres.store import PostgresStore

__all__ = [
    "Fence", "Lease", "LeaseKeeper", "LeaseLost", "LeaseTiming", "LeaseToken", "PostgresStore",
    "SchemaTooNew",
]  # fmt: skip
