"""With the real server: a report leaves no line in the access log and no trace of its sender.

``memoria serve`` (gunicorn, with the access log the project configures) on a
data directory of its own; a report and an addition are posted over HTTP with
a distinctive User-Agent; then the server's whole output and every file of the
data directory (the SQLite database and its WAL) are searched.
"""

from __future__ import annotations

import re
import time
import urllib.parse
import urllib.request

import pytest

from tests.web.test_jobs_process import free_port, platform, raw_files  # noqa: F401 (fixture)

USER_AGENT = "ZyxwvutServerTest/3.1"
WHAT = "Amenazaron al corresponsal Tlacuilotzin en Cuauhtemoc"


def request(url: str, data: dict | None = None) -> tuple[int, str]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers={"User-Agent": USER_AGENT})  # noqa: S310
    try:
        with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310 (loopback only)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page)[1]


@pytest.mark.slow
def test_a_report_leaves_no_line_in_the_access_log_and_no_trace_of_its_sender(platform):  # noqa: F811
    platform.django(
        """
        from memoria.accounts.models import Organization
        from memoria.reports.models import ReportChannel
        centro = Organization.objects.get(slug="centro")
        ReportChannel.objects.create(organization=centro, is_open=True)
        """
    )
    platform.env["MEMORIA_REPORTS_FORM_MIN_SECONDS"] = "0"
    port = free_port()
    server = platform.start("serve", "--port", str(port), "--no-worker")
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                request(f"{base}/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError("server did not start") from None
                time.sleep(0.5)
        status, page = request(f"{base}/r/centro/")
        assert status == 200
        status, page = request(
            f"{base}/r/centro/",
            {"what": WHAT, "year": "2026", "state": "08", "municipality": "08017",
             "form_token": token(page)},
        )  # fmt: skip
        assert status == 200, page
        code = re.search(r"<output>([A-Z0-9-]+)</output>", page)[1]
        _status, page = request(f"{base}/r/centro/add/")
        status, page = request(
            f"{base}/r/centro/add/",
            {"code": code, "text": "Segunda parte", "form_token": token(page)},
        )
        assert status == 200, page
        request(f"{base}/r/centro/incidents/")
        request(f"{base}/healthz")
    finally:
        server.terminate()
        output = server.communicate(timeout=60)[0]
    assert '"GET /healthz" 200' in output  # the access log is on...
    for secret in ("/r/", "centro/add", USER_AGENT, "Tlacuilotzin", code, "Segunda parte"):
        assert secret not in output, f"{secret!r} in the server's output"  # ...but not for reports
    assert platform.scalar("SELECT count(*) FROM reports_report") == 1
    assert platform.scalar("SELECT count(*) FROM reports_reportaddition") == 1
    if platform.postgres:
        rows = "\n".join(
            str(row)
            for table in ("reports_report", "reports_reportaddition", "audit_auditentry")
            for row in platform.query(f"SELECT * FROM {table}")  # noqa: S608
        )
        blobs = [rows.encode()]
    else:
        blobs = [path.read_bytes() for path in raw_files(platform)]
    for blob in blobs:
        for secret in (USER_AGENT, "127.0.0.1", "Tlacuilotzin", "Segunda parte", code):
            assert secret.encode() not in blob, secret
