"""CV Lab served as two Streamlit processes behind a real nginx (deploy/run_cluster.py with
deploy/nginx.conf), sharing one runs folder.

Through the proxy: the health check and the home page answer, a browser keeps the process
it first got (the cvlab_affinity cookie), the websocket path upgrades, the app renders in
Chromium (which needs that websocket), and an upload over Streamlit's limit is refused by
nginx itself. Directly on each app port: a run finished after both processes have listed
the runs once is listed by both. Then SIGTERM to the launcher stops every process.

nginx is Debian's (`apt-get install -y nginx`, /usr/sbin/nginx); without it these tests
are skipped with the reason (under CI they fail, like the browser tests without Chromium).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from deploy.run_cluster import find_nginx, max_upload_mb
from tests.conftest import skip_or_fail
from tests.e2e.conftest import ARTIFACTS, ROOT, free_port, wait_ready
from tests.e2e.fake_runs import fake_run

pytestmark = pytest.mark.e2e

RUN = "20240301-090000-beef"
START_TIMEOUT = 180          # two Streamlit processes starting at once on 2 busy cores
LOG_LINE = re.compile(r'"(?P<method>\S+) (?P<path>\S+) [^"]*" (?P<status>\d+) \d+ '
                      r"upstream=(?P<upstream>\S+) affinity=(?P<affinity>\S+)")


def _get(url: str, headers: dict | None = None):
    """(status, headers (an email.message.Message), body text) of a GET."""
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.headers, r.read().decode("utf-8", "replace")


def _raw_head(port: int, request: str) -> str:
    """Send a raw HTTP request to nginx; the status line and headers it answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(request.encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
    return head.decode("latin-1")


def _answers(url: str) -> bool:
    try:
        return _get(url)[0] == 200
    except OSError:
        return False


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except OSError:
        return True


def _log_lines(cluster) -> list[dict]:
    text = (cluster.run_dir / "access.log").read_text()
    return [m.groupdict() for m in map(LOG_LINE.search, text.splitlines()) if m]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    nginx = find_nginx()
    if nginx is None:
        skip_or_fail("NO NGINX FOUND: proxy tests skipped. Install Debian's nginx "
                     "(apt-get install -y nginx) or set NGINX to its binary.")
    runs_dir = tmp_path_factory.mktemp("proxy-runs")
    run_dir = tmp_path_factory.mktemp("proxy-nginx")
    port, apps = free_port(), [free_port(), free_port()]
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"run_cluster-{port}.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "deploy/run_cluster.py", "--apps", "2",
         "--listen", f"127.0.0.1:{port}", "--app-ports", ",".join(map(str, apps)),
         "--run-dir", str(run_dir), "--nginx", nginx],
        cwd=ROOT, env=dict(os.environ, CVLAB_RUNS_DIR=str(runs_dir)),
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    c = SimpleNamespace(url=f"http://127.0.0.1:{port}", port=port, app_ports=apps,
                        app_urls=[f"http://127.0.0.1:{p}" for p in apps],
                        runs_dir=Path(runs_dir), run_dir=Path(run_dir), proc=proc)
    deadline = time.time() + START_TIMEOUT
    while not _answers(c.url + "/_stcore/health"):
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            log.close()
            raise RuntimeError(f"the cluster did not start; see {log.name} and "
                               f"{run_dir}/app-*.log")
        time.sleep(0.5)
    yield c
    if proc.poll() is None:              # the last test stops it; this is the fallback
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()


def test_health_and_home_page_answer_through_the_proxy(cluster):
    status, headers, body = _get(cluster.url + "/_stcore/health")
    assert (status, body) == (200, "ok")
    assert headers["Server"] == "nginx"                       # server_tokens off: no version
    status, headers, body = _get(cluster.url + "/")
    assert status == 200 and '<div id="root">' in body
    assert any(re.fullmatch(r"cvlab_affinity=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Lax", c)
               for c in headers.get_all("Set-Cookie"))
    for url in cluster.app_urls:                              # both processes serve
        assert _answers(url + "/_stcore/health")


def test_a_browser_keeps_the_process_it_first_got(cluster):
    keys = [hashlib.md5(f"student-{i}".encode()).hexdigest() for i in range(32)]
    for _ in range(3):
        for key in keys:
            assert _get(cluster.url + "/_stcore/health",
                        {"Cookie": f"cvlab_affinity={key}"})[0] == 200
    served = {}
    for line in _log_lines(cluster):
        if line["affinity"] in keys:
            served.setdefault(line["affinity"], set()).add(line["upstream"])
    assert sorted(served) == sorted(keys)
    assert all(len(ups) == 1 for ups in served.values()), served      # sticky
    used = set().union(*served.values())
    assert used == {f"127.0.0.1:{p}" for p in cluster.app_ports}      # and spread


def test_the_websocket_path_upgrades_through_the_proxy(cluster):
    key = base64.b64encode(os.urandom(16)).decode()
    request = (f"GET /_stcore/stream HTTP/1.1\r\nHost: 127.0.0.1:{cluster.port}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               "Sec-WebSocket-Protocol: streamlit\r\n"
               f"Origin: http://127.0.0.1:{cluster.port}\r\n\r\n")
    head = _raw_head(cluster.port, request)
    accept = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    assert head.startswith("HTTP/1.1 101 "), head
    assert f"Sec-WebSocket-Accept: {accept}" in head


def test_the_app_renders_in_chromium_through_the_proxy(cluster, page):
    page.goto(cluster.url + "/")
    wait_ready(page)                  # the script ran: over the websocket, through nginx
    page.get_by_text("Map of the subject").wait_for()
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["cvlab_affinity"]
    # the page and its scripts went to one process (nginx logs the websocket itself only
    # when it closes)
    served = {line["upstream"] for line in _log_lines(cluster) if line["affinity"] == cookie}
    assert len(served) == 1, served


def test_the_biggest_static_file_comes_through_whole(cluster):
    """Streamlit's largest JavaScript chunk (Plotly, ~4.7 MB) arrives byte for byte. nginx
    started as root runs its workers as another user, which could not write the proxy
    temp folder and cut the file short (the browser: "Failed to fetch dynamically
    imported module"): nginx.conf keeps responses off temporary files."""
    import streamlit
    static = Path(streamlit.__file__).parent / "static"
    biggest = max(static.rglob("*.js"), key=lambda f: f.stat().st_size)
    url = f"{cluster.url}/{biggest.relative_to(static).as_posix()}"
    for key in ("a" * 32, "b" * 32, "c" * 32):       # several sessions, either process
        req = urllib.request.Request(url, headers={"Cookie": f"cvlab_affinity={key}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            body = bytearray()
            while chunk := r.read(65536):       # a slow reader, as a browser on a busy
                body += chunk                   # machine: nginx must hold what it read
                time.sleep(0.01)
            assert bytes(body) == biggest.read_bytes()


def test_an_upload_over_the_limit_is_refused_by_nginx(cluster):
    too_big = max_upload_mb() * 1024 * 1024 + 1
    request = (f"PUT /_stcore/upload_file/session/file HTTP/1.1\r\n"
               f"Host: 127.0.0.1:{cluster.port}\r\nContent-Type: multipart/form-data; "
               f"boundary=x\r\nContent-Length: {too_big}\r\n\r\n")
    head = _raw_head(cluster.port, request)
    assert head.startswith("HTTP/1.1 413 ") and "Server: nginx\r\n" in head, head
    assert not any(line["status"] == "413" and line["upstream"] != "-"
                   for line in _log_lines(cluster))          # no app process saw it


def test_a_run_finished_in_one_process_is_listed_by_the_other(cluster, page):
    # Both processes list the runs once (and could cache the list): none yet ...
    for url in cluster.app_urls:
        page.goto(url + "/train")
        wait_ready(page)
        page.get_by_text("Train a CNN").first.wait_for()
        assert page.get_by_role("combobox", name="Run").count() == 0
    # ... then a run finishes in the shared folder, as a training in either would leave it
    fake_run(cluster.runs_dir, RUN, epochs_done=1, epochs=1)
    for url in [*cluster.app_urls, cluster.url]:
        page.goto(url + "/train")
        wait_ready(page)
        expect(page.get_by_role("combobox", name="Run")).to_have_value(
            re.compile("^" + RUN), timeout=60_000)


def test_the_classroom_load_script_runs_through_the_proxy(cluster, tmp_path):
    """bench/classroom_load.py through nginx, scaled down (2 browser users: one trains,
    one recognises; 4 light sessions): no errors, each user gets its own result, the
    training's run is finished in the shared folder, nothing is left running."""
    import json
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, "bench/classroom_load.py", "--url", cluster.url,
         "--runs-dir", str(cluster.runs_dir), "--users", "2", "--light", "4",
         "--baseline", "2", "--ws-every", "3", "--roles", "train,recognize",
         "--job-timeout", "240", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=420)
    assert proc.returncode == 0, proc.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures["users_ok"] == 2, json.dumps(figures["per_user"], default=str)[:3000]
    assert figures["user_errors"] == 0 and figures["light_errors"] == 0, figures
    assert figures["train_results_isolated"] and figures["runs_still_running"] == 0, \
        json.dumps({k: figures[k] for k in ("runs", "per_user")}, default=str)[:3000]
    assert "finished" in figures["runs"].values()


def test_sigterm_to_the_launcher_stops_nginx_and_every_app(cluster):
    # last in this file: the cluster is gone afterwards
    cluster.proc.send_signal(signal.SIGTERM)
    assert cluster.proc.wait(60) == 0
    assert _refused(cluster.port) and all(_refused(p) for p in cluster.app_ports)
    assert not (cluster.run_dir / "nginx.pid").exists()      # nginx exited, not orphaned
    assert (cluster.run_dir / "access.log").exists()         # --run-dir is kept
