"""Django's SQLite backend, plus what the append-only ledger needs (`core.db`): every
connection knows `zhenxing_wiping()`, and a flush (the test runner's) empties tables
inside `core.db.wiping()`. `settings.py` uses it wherever the database is SQLite."""

from __future__ import annotations

from typing import Any

from django.db.backends.sqlite3 import base, operations

from zhenxing.core import db


class DatabaseOperations(operations.DatabaseOperations):
    def execute_sql_flush(self, sql_list: Any) -> None:
        with db.wiping():
            super().execute_sql_flush(sql_list)


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        conn.create_function(db.WIPING_FUNCTION, 0, db.is_wiping)
        return conn
