"""The background worker, as Zhenxing runs it: django-tasks-db's `db_worker`, plus a
heartbeat (`core.heartbeat`) that `/readyz` and `zhenxing check` read.

This app only holds the `db_worker` command. It is listed before `django_tasks_db` in
INSTALLED_APPS so that its command is the one `manage db_worker` runs, however the worker
is started (`zhenxing serve`, a systemd unit, by hand).
"""
