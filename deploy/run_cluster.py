"""Serve CV Lab as several Streamlit processes behind nginx, without root.

    python deploy/run_cluster.py --apps 3 --listen 8080

starts ``--apps`` processes of ``streamlit run app.py`` on local ports (127.0.0.1 only:
the class reaches them through nginx), waits until each answers its health check,
renders deploy/nginx.conf into a run folder (the upstream of those ports, the upload
limit read from .streamlit/config.toml) and runs nginx in the foreground on ``--listen``
(``nginx -p RUN_DIR -c RUN_DIR/nginx.conf``: pid, logs and buffers stay in RUN_DIR).
Ctrl+C or SIGTERM stops nginx and every app process; the run folder is removed unless
``--run-dir`` named it.

All the app processes share one runs folder (``$CVLAB_RUNS_DIR``, or ``--runs-dir``), so a
run finished in one is listed by every other; each process has its own queue of heavy
jobs (``$CVLAB_JOB_WORKERS`` each). nginx comes from the system (Debian: ``apt-get install
nginx``; the binary is /usr/sbin/nginx); ``--nginx`` or ``$NGINX`` names another.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).resolve().parent / "nginx.conf"
STREAMLIT_DEFAULT_UPLOAD_MB = 200     # Streamlit's own default for server.maxUploadSize
START_TIMEOUT = 120.0                 # seconds for an app process to answer its health check


class ClusterError(Exception):
    """The cluster cannot start (no nginx, a port in use, an app that does not start)."""


def find_nginx(explicit: str | None = None) -> str | None:
    """The nginx binary: ``explicit``, ``$NGINX``, nginx on PATH, or Debian's
    /usr/sbin/nginx (not on a normal user's PATH); None when there is none."""
    for candidate in (explicit, os.environ.get("NGINX"), shutil.which("nginx"),
                      "/usr/sbin/nginx"):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def max_upload_mb(config_path: Path = ROOT / ".streamlit" / "config.toml") -> int:
    """Streamlit's ``server.maxUploadSize`` (MB) from the app's config file, or its default."""
    try:
        with open(config_path, "rb") as f:
            value = tomllib.load(f).get("server", {}).get("maxUploadSize")
    except FileNotFoundError:
        value = None
    return int(value) if value is not None else STREAMLIT_DEFAULT_UPLOAD_MB


def render_config(app_ports: list[int], listen: str, run_dir: Path,
                  upload_mb: int | None = None, template: Path = TEMPLATE) -> str:
    """deploy/nginx.conf with its {{...}} fields filled in.

    Args:
        app_ports: the local ports of the app processes (the upstream), at least one.
        listen: nginx's ``listen`` value, e.g. "8080" or "127.0.0.1:8080".
        run_dir: folder for nginx's pid file, logs and temporary files.
        upload_mb: client_max_body_size in MB (None: :func:`max_upload_mb`).
    """
    if not app_ports:
        raise ClusterError("at least one app port is needed")
    upstreams = "\n".join(f"        server 127.0.0.1:{port};" for port in app_ports)
    fields = {"RUN_DIR": str(run_dir), "LISTEN": listen, "UPSTREAMS": upstreams,
              "MAX_UPLOAD_MB": str(upload_mb if upload_mb is not None else max_upload_mb())}
    lines = []
    for line in template.read_text().splitlines():
        if not line.lstrip().startswith("#"):       # comments keep naming the fields
            for name, value in fields.items():
                line = line.replace("{{" + name + "}}", value)
            if "{{" in line:
                raise ClusterError(f"unfilled field in {template}: {line.strip()!r}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def nginx_command(nginx: str, run_dir: Path) -> list[str]:
    """nginx in the foreground with everything in ``run_dir`` (-e: no default error log)."""
    return [nginx, "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"),
            "-e", str(run_dir / "error.log"), "-g", "daemon off;"]


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


class Cluster:
    """The app processes and nginx; :meth:`stop` ends them all."""

    def __init__(self, app_ports: list[int], listen: str, run_dir: Path, nginx: str,
                 env: dict):
        self.app_ports, self.listen, self.run_dir = app_ports, listen, run_dir
        self.nginx, self.env = nginx, env
        self.apps: list[subprocess.Popen] = []
        self.proxy: subprocess.Popen | None = None
        self._logs = []

    def start_apps(self) -> None:
        for port in self.app_ports:
            log = open(self.run_dir / f"app-{port}.log", "w")
            self._logs.append(log)
            self.apps.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py",
                 "--server.port", str(port), "--server.address", "127.0.0.1",
                 "--server.headless", "true", "--server.fileWatcherType", "none",
                 "--browser.gatherUsageStats", "false"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + START_TIMEOUT
        waiting = dict(zip(self.app_ports, self.apps))
        while waiting:
            for port, proc in list(waiting.items()):
                if proc.poll() is not None:
                    raise ClusterError(f"the app on port {port} exited ({proc.returncode}); "
                                       f"see {self.run_dir / f'app-{port}.log'}")
                if _healthy(port):
                    del waiting[port]
            if waiting and time.monotonic() > deadline:
                raise ClusterError(f"no health answer from ports {sorted(waiting)} in "
                                   f"{START_TIMEOUT:.0f} s; see the app-*.log in {self.run_dir}")
            time.sleep(0.3)

    def start_proxy(self) -> None:
        conf = self.run_dir / "nginx.conf"
        conf.write_text(render_config(self.app_ports, self.listen, self.run_dir))
        check = subprocess.run(nginx_command(self.nginx, self.run_dir)[:-2] + ["-t", "-q"],
                               capture_output=True, text=True)
        if check.returncode != 0:
            raise ClusterError(f"nginx refused {conf}: {check.stderr.strip()}")
        self.proxy = subprocess.Popen(nginx_command(self.nginx, self.run_dir))

    def stop(self) -> None:
        procs = ([self.proxy] if self.proxy else []) + self.apps
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()          # nginx: fast shutdown; streamlit: clean exit
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self._logs:
            log.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apps", type=int, default=2, help="Streamlit processes (default 2)")
    ap.add_argument("--listen", default="8080",
                    help="where nginx listens: PORT (all addresses) or HOST:PORT")
    ap.add_argument("--app-ports", default=None,
                    help="comma-separated local ports of the apps (default 8501, 8502, ...)")
    ap.add_argument("--runs-dir", default=None,
                    help="the runs folder all apps share (default $CVLAB_RUNS_DIR or "
                         "~/.cvlab/runs)")
    ap.add_argument("--run-dir", default=None,
                    help="folder for nginx.conf, pid, logs (default: a temporary one, "
                         "removed at exit)")
    ap.add_argument("--nginx", default=None, help="the nginx binary")
    args = ap.parse_args(argv)

    ports = ([int(p) for p in args.app_ports.split(",")] if args.app_ports
             else [8501 + i for i in range(args.apps)])
    nginx = find_nginx(args.nginx)
    if nginx is None:
        print("error: no nginx found; install it (Debian: apt-get install nginx) or pass "
              "--nginx PATH", file=sys.stderr)
        return 2
    env = dict(os.environ)
    if args.runs_dir:
        env["CVLAB_RUNS_DIR"] = str(Path(args.runs_dir).expanduser().resolve())
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="cvlab-nginx-")).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    # Readable by nginx's worker processes too (they run as another user when nginx is
    # started as root); mkdtemp makes it private.
    run_dir.chmod(0o755)
    cluster = Cluster(ports, args.listen, run_dir, nginx, env)
    keep = args.run_dir is not None

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        cluster.start_apps()
        cluster.start_proxy()
        print(f"CV Lab on {args.listen} through nginx: {len(ports)} app processes on "
              f"127.0.0.1:{','.join(map(str, ports))}; runs in "
              f"{env.get('CVLAB_RUNS_DIR') or '~/.cvlab/runs'}; logs in {run_dir}",
              flush=True)
        return cluster.proxy.wait()
    except ClusterError as exc:
        print(f"error: {exc} (logs kept in {run_dir})", file=sys.stderr)
        keep = True
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        cluster.stop()
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
