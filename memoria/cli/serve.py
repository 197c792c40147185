"""``memoria serve``: the web platform on gunicorn, static files by WhiteNoise.

On the embedded SQLite database it also starts ``memoria worker`` as a child
process (and stops it on the way out), so ``bin/start`` alone runs imports and
other background jobs. With PostgreSQL the worker is its own service
(docs/operations.md).
"""

from __future__ import annotations

import argparse
import os


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the web platform",
        description="Apply pending migrations, then serve the web platform with gunicorn. "
        "In production, put it behind a reverse proxy that terminates TLS.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="worker processes (default: 1 on SQLite, 2 × cores + 1 on PostgreSQL)",
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--demo", action="store_true", help="load the fictional demo network first")
    parser.add_argument(
        "--worker",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the background worker (default: on SQLite yes, on PostgreSQL no)",
    )
    parser.add_argument(
        "--warm",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="load the case indexes into each worker process as it starts (default: yes)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from memoria.cli.common import CommandError, setup_django

    if args.demo:
        from memoria.cli.demo import load_and_report

        load_and_report()
    setup_django()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    if settings.PRODUCTION:
        call_command("collectstatic", interactive=False, verbosity=0)
    workers = args.workers or (1 if settings.CONFIG.uses_sqlite else 2 * (os.cpu_count() or 1) + 1)
    if workers < 1 or args.threads < 1:
        raise CommandError("--workers and --threads must be at least 1")
    with_worker = settings.CONFIG.uses_sqlite if args.worker is None else args.worker
    worker = _start_worker() if with_worker else None
    print(f"Memoria is being served at http://{args.host}:{args.port}/ (Ctrl+C stops it)")
    try:
        _run_gunicorn(args.host, args.port, workers, args.threads, warm=args.warm)
    finally:
        if worker is not None:
            _stop_worker(worker)
    return 0


def _start_worker():
    """``memoria worker`` as a child process with this process's environment."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "memoria", "worker"])  # noqa: S603


def _stop_worker(worker, timeout: float = 60) -> None:
    """Ask the worker to stop (SIGTERM: it finishes a job that is writing) and wait."""
    import subprocess

    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'
# Paths whose requests leave no line at all in the access log: the anonymous reporting
# pages (memoria.reports), whose visitors must leave no address, no time and no path.
UNLOGGED_PREFIXES = ("r/",)


def is_unlogged(path: str) -> bool:
    """Whether a request for ``path`` (PATH_INFO, as Django routes it) stays out of the log."""
    return path.lstrip("/").startswith(UNLOGGED_PREFIXES)


def _logger_class():
    from gunicorn.glogging import Logger

    class PrivateAccessLogger(Logger):
        """Gunicorn's logger, minus every access line of an anonymous page."""

        def access(self, resp, req, environ, request_time) -> None:
            if is_unlogged(environ.get("PATH_INFO", "") or ""):
                return
            super().access(resp, req, environ, request_time)

    return PrivateAccessLogger


def warm_process() -> list:
    """Prepare a new server process in the background: import every view (the URLconf, a
    few seconds that the first request would otherwise wait for) and load the case
    indexes (its first list or statistics page then need not decrypt them;
    docs/statistics.md). The threads, to join if one must wait."""
    import threading

    from django.urls import get_resolver

    from memoria.cases import caseindex

    views = threading.Thread(
        target=lambda: get_resolver().url_patterns, name="memoria-import-views", daemon=True
    )
    views.start()
    return [views, caseindex.warm_in_background()]


def _warm_worker(worker) -> None:
    """Gunicorn's ``post_worker_init``."""
    warm_process()


def _run_gunicorn(host: str, port: int, workers: int, threads: int, warm: bool = True) -> None:
    from gunicorn.app.base import BaseApplication

    from memoria.wsgi import application

    class MemoriaServer(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            # The path without its query string, and no Referer: an address may carry
            # what a person typed, and access logs are kept and copied carelessly.
            self.cfg.set("access_log_format", ACCESS_LOG_FORMAT)
            # Anonymous reports: not even a redacted line (docs/reports.md).
            self.cfg.set("logger_class", _logger_class())
            # Gunicorn's control socket defaults to one path per user: two servers of
            # one user would break each other. Memoria does not use it.
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("timeout", 120)
            self.cfg.set("forwarded_allow_ips", os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"))
            if warm:
                self.cfg.set("post_worker_init", _warm_worker)

        def load(self):
            return application

    MemoriaServer().run()
