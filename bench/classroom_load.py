"""A classroom on one server: browser users and light sessions at once, with the job queue.

One `streamlit run app.py` (its own temporary CVLAB_RUNS_DIR, CVLAB_JOB_WORKERS as given)
serves, all on this machine:

* ``--users`` Chromium sessions (Playwright; one browser, one context = one user each), by
  role in turn: train a CNN (500 images, 1 epoch), train a GAN (smallest set, 1 epoch),
  recognise an uploaded digit, upload a clip and analyse it (Video), train again but leave
  the queue once while waiting and then start again, sample the shipped GAN (Generate),
  then recognise and video again. Every Start happens at about the same time.
* ``--light`` lighter sessions, each a thread: GET / and GET /_stcore/health in a loop
  (one a second), and a real Streamlit session over the websocket /_stcore/stream (the
  `websockets` package): it asks for a run of the home page, as a browser does, and waits
  for the script to finish, every ``--ws-every`` seconds.

Measured: latency p50/p95/max of GET /, /_stcore/health and the home page's websocket run,
idle (a short baseline before the users come) and while heavy jobs run (from the first
Start to the last heavy job's end, as the browsers saw them); the server's RSS every second
(psutil), peak; the queue positions and start estimates each waiting user saw; each user's
outcome, checked against its own input (its own file name, its own run, its own result);
errors: error boxes or exceptions on a page, Playwright timeouts, HTTP errors, websocket
failures and exceptions, tracebacks in the server log; at the end the runs folder must hold
no run still "running" (every queued training finished, stopped or cancelled).

``--url URL --runs-dir DIR`` drives a server that is already running instead (for example
the nginx of ``deploy/run_cluster.py`` in front of several app processes, which share DIR):
nothing is started or stopped, and the server's RSS and log are not read.

Run (slow on 2 cores; give it the machine):
    CVLIB_DATA_DIR=../shared/data CHROMIUM_PATH=/usr/bin/chromium nice -n 10 \\
        python bench/classroom_load.py --users 8 --light 30 --json /tmp/classroom.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # cvlib
from _browser import CHROMIUM_ARGS, READY, ROOT, chromium, free_port  # noqa: E402

ROLES = ("train", "gan", "recognize", "video", "train_cancel", "generate", "recognize",
         "video")
HEAVY = {"train", "gan", "video", "train_cancel"}
QUEUE_RE = re.compile(r"position (\d+) · (?:starts in about (\d+):(\d\d)|start time not known)")


class Limits:
    ms = 900_000              # one heavy job may wait for all the others on 2 cores


# --- the server -----------------------------------------------------------------------------

class Server:
    """`streamlit run app.py` on a free port, logging to a file, with an RSS sampler."""

    def __init__(self, runs_dir: Path, workers: int | None, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.runs_dir = runs_dir
        self.log_path = log
        env = {**os.environ, "CVLAB_RUNS_DIR": str(runs_dir)}
        if workers:
            env["CVLAB_JOB_WORKERS"] = str(workers)
        self._log = open(log, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.rss: list[tuple[float, float]] = []      # (time, MB)
        self._stop = threading.Event()

    def wait_healthy(self, timeout: float = 120) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=2):
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not start; see {self.log_path}")

    def sample_rss(self) -> None:
        import psutil
        proc = psutil.Process(self.proc.pid)
        while not self._stop.wait(1.0):
            try:
                self.rss.append((time.time(), proc.memory_info().rss / 2**20))
            except psutil.Error:
                return

    def tracebacks(self) -> list[str]:
        text = self.log_path.read_text(errors="replace")
        return [m.group(0)[:300] for m in re.finditer(r"Traceback \(most recent call last\)"
                                                     r"[\s\S]*?\n(?=\S)", text)]

    def close(self) -> None:
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


class External:
    """A server that runs already (``--url``): the same interface as :class:`Server`,
    without starting, stopping, RSS or log."""

    def __init__(self, url: str, runs_dir: Path):
        self.url, self.runs_dir, self.rss = url.rstrip("/"), runs_dir, []

    wait_healthy = Server.wait_healthy
    log_path = Path(os.devnull)

    def sample_rss(self) -> None:
        return None

    def tracebacks(self) -> list[str]:
        return []

    def close(self) -> None:
        return None


# --- light sessions (threads) ------------------------------------------------------------------

class Samples:
    """Latency samples (time, seconds, kind) and errors, shared by the light sessions."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows: list[tuple[float, float, str]] = []
        self.errors: list[str] = []

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.rows.append((time.time(), seconds, kind))

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def _get(url: str, samples: Samples, kind: str) -> None:
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            r.read()
            if r.status != 200:
                samples.error(f"{kind}: HTTP {r.status}")
                return
    except (OSError, urllib.error.HTTPError) as exc:
        samples.error(f"{kind}: {type(exc).__name__}: {exc}")
        return
    samples.add(kind, time.perf_counter() - t0)


def _ws_home_run(ws, samples: Samples) -> None:
    """Ask the server for a run of the home page over the session's websocket, as the
    browser does, and wait for the script to finish; an exception element is an error."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_script_hash = ""
    t0 = time.perf_counter()
    ws.send(msg.SerializeToString())
    deadline = time.time() + 120
    while time.time() < deadline:
        fwd = ForwardMsg()
        fwd.ParseFromString(ws.recv(timeout=max(1.0, deadline - time.time())))
        kind = fwd.WhichOneof("type")
        if kind == "delta" and fwd.delta.WhichOneof("type") == "new_element" and \
                fwd.delta.new_element.WhichOneof("type") == "exception":
            samples.error("home page run: exception " + fwd.delta.new_element.exception.message)
        if kind == "script_finished":
            if fwd.script_finished in (ForwardMsg.FINISHED_EARLY_FOR_RERUN,
                                       ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                continue              # the page reran itself (st.rerun) or a fragment ran
            if fwd.script_finished != ForwardMsg.FINISHED_SUCCESSFULLY:
                samples.error(f"home page run: finished with {fwd.script_finished}")
                return
            samples.add("ws_home", time.perf_counter() - t0)
            return
    samples.error("home page run: no script_finished within 120 s")


def light_session(url: str, samples: Samples, stop: threading.Event, ws_every: float) -> None:
    """One light user: one websocket session for its whole life (a new one after a
    failure), a home-page run on it every ``ws_every`` s, GETs once a second."""
    from websockets.sync.client import connect
    while not stop.is_set():
        try:
            with connect(url.replace("http", "ws") + "/_stcore/stream",
                         subprotocols=["streamlit"], open_timeout=60, max_size=None) as ws:
                next_ws = time.time()
                while not stop.is_set():
                    _get(url + "/", samples, "get_root")
                    _get(url + "/_stcore/health", samples, "health")
                    if time.time() >= next_ws:
                        next_ws = time.time() + ws_every
                        _ws_home_run(ws, samples)
                    stop.wait(1.0)
        except Exception as exc:  # noqa: BLE001 - counted, then a fresh socket
            samples.error(f"websocket: {type(exc).__name__}: {exc}")
            stop.wait(1.0)


# --- browser users (asyncio, Playwright) -------------------------------------------------------

async def wait_ready(page, timeout=None):
    await page.wait_for_selector(READY, timeout=timeout or Limits.ms)


async def set_slider(page, label: str, key: str):
    thumb = page.locator(f'input[type="range"][aria-label="{label}"]').first
    await thumb.focus()
    await thumb.press(key)
    await wait_ready(page)


async def page_errors(page) -> list[str]:
    out = []
    for sel in ('[data-testid="stAlertContentError"]', '[data-testid="stException"]'):
        out += await page.locator(sel).all_inner_texts()
    return [e.strip()[:200] for e in out]


class User:
    """One browser user: a role, what they saw, and when."""

    def __init__(self, index: int, role: str, tmp: Path):
        self.index, self.role, self.tmp = index, role, tmp
        self.events: dict[str, float] = {}
        self.positions: list[tuple[int, float | None]] = []   # (position, estimate s)
        self.outcome = ""
        self.ok = False
        self.errors: list[str] = []
        self.left_queue = False
        self.detail: dict = {}

    def mark(self, event: str) -> None:
        self.events[event] = time.time()
        print(f"{time.strftime('%H:%M:%S')} user {self.index} ({self.role}): {event}",
              file=sys.stderr, flush=True)

    def summary(self) -> dict:
        return {"user": self.index, "role": self.role, "ok": self.ok, "outcome": self.outcome,
                "errors": self.errors, "positions": self.positions,
                "left_queue": self.left_queue, **self.detail,
                "seconds": {k: round(v - self.events.get("open", v), 1)
                            for k, v in self.events.items()}}


async def watch_job(user: User, page, done, cancel_once: bool = False):
    """After Start: note every queue position shown, leave the queue once if asked (then
    start again), until ``done`` (a CSS selector that appears, or an async predicate of the
    page) holds."""
    user.mark("start")
    deadline = time.time() + Limits.ms / 1000
    started = False
    while time.time() < deadline:
        if await (done(page) if callable(done) else page.locator(done).count()):
            user.mark("done")
            return
        try:
            bars = await page.locator('[data-testid="stProgress"]').all_inner_texts()
        except Exception:  # noqa: BLE001 - the page is rerendering
            bars = []
        for text in bars:
            m = QUEUE_RE.search(text)
            if m:
                eta = int(m.group(2)) * 60 + int(m.group(3)) if m.group(2) else None
                if not user.positions or user.positions[-1] != (int(m.group(1)), eta):
                    user.positions.append((int(m.group(1)), eta))
                if cancel_once and not user.left_queue:
                    user.left_queue = True
                    await page.get_by_role("button", name="Leave the queue").click()
                    await page.get_by_text("Left the queue").first.wait_for(timeout=120_000)
                    user.mark("left_queue")
                    await wait_ready(page)
                    await page.get_by_role("button", name="Start training").click()
                    user.mark("start_again")
            elif text and not started and "position" not in text:
                started = True
                user.mark("running")
        await asyncio.sleep(1.0)
    raise TimeoutError(f"{done} did not appear")


async def run_shown(page) -> str:
    """The id of the run the Train page's "Run" box shows ("" when there is none)."""
    try:
        box = page.get_by_role("combobox", name="Run")
        if await box.count():
            words = (await box.first.input_value()).split()
            return words[0] if words else ""
    except Exception:  # noqa: BLE001 - the page is rerendering
        pass
    return ""


async def run_user(user: User, browser, url: str) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 2000})
    page = await context.new_page()
    page.set_default_timeout(Limits.ms)
    try:
        user.mark("open")
        role = user.role
        if role in ("train", "train_cancel"):
            await page.goto(url + "/train")
            await wait_ready(page)
            await page.get_by_text("Train a CNN").first.wait_for()
            user.mark("page_ready")
            await set_slider(page, "Training images", "Home")      # 500 images
            await set_slider(page, "Epochs", "Home")               # 1 epoch
            # The page may already show a finished run (the runs folder is shared by the
            # class): this user's result is the run that appears after its own Start.
            shown_before = await run_shown(page)
            await page.get_by_role("button", name="Start training").click()

            async def new_run_shown(page) -> bool:
                run_id = await run_shown(page)
                return bool(run_id) and run_id != shown_before and await page.locator(
                    '[data-testid="stMetric"]:has-text("Test accuracy")').count() > 0

            await watch_job(user, page, new_run_shown, cancel_once=role == "train_cancel")
            await wait_ready(page)
            value = await page.locator('[data-testid="stMetric"]', has_text="Test accuracy") \
                .locator('[data-testid="stMetricValue"]').inner_text()
            run = await run_shown(page)
            user.detail["accuracy"] = value
            user.detail["run"] = run
            user.ok = value.endswith("%") and bool(run)
            user.outcome = f"trained, test accuracy {value}"
        elif role == "gan":
            await page.goto(url + "/generate")
            await wait_ready(page)
            await page.get_by_text("Generate images with a GAN").first.wait_for()
            user.mark("page_ready")
            await page.get_by_role("tab", name="Train a GAN live").click()
            await page.get_by_role("button", name="Train GAN").wait_for()
            await set_slider(page, "Training images", "Home")
            await set_slider(page, "Epochs", "Home")
            await page.get_by_role("button", name="Train GAN").click()
            await watch_job(user, page, 'button:has-text("Use it now")')
            user.ok = True
            user.outcome = "GAN trained"
        elif role == "recognize":
            from PIL import Image, ImageDraw
            path = user.tmp / f"digit_user{user.index}.png"
            im = Image.new("RGB", (200, 200), "white")
            ImageDraw.Draw(im).line([(50, 40), (150, 40), (90, 170)], fill="black", width=14)
            im.save(path)
            await page.goto(url + "/recognize")
            await wait_ready(page)
            await page.get_by_text("Recognize an image").first.wait_for()
            user.mark("page_ready")
            await page.get_by_text("Upload", exact=True).filter(visible=True).first.click()
            uploader = page.locator('[data-testid="stFileUploader"]').filter(
                has_text="Upload images")
            await uploader.wait_for()
            await uploader.locator('input[type="file"]').set_input_files(str(path))
            user.mark("start")
            await page.get_by_text(f"Original: {path.name}").first.wait_for()
            await page.get_by_text("Grad-CAM on the original").first.wait_for()
            await wait_ready(page)
            user.mark("done")
            body = await page.inner_text("body")
            names = set(re.findall(r"digit_user\d+\.png", body))
            user.detail["file_names_seen"] = sorted(names)
            user.ok = names == {path.name}
            user.outcome = "classified its own upload" if user.ok else \
                f"saw other files: {sorted(names)}"
        elif role == "video":
            from cvlib.video import sample_clip
            data, truth = sample_clip("moving_digit", seed=user.index)
            path = user.tmp / f"clip_user{user.index}.mp4"
            path.write_bytes(data)
            await page.goto(url + "/video")
            await wait_ready(page)
            await page.get_by_text("Video: frames, motion").first.wait_for()
            user.mark("page_ready")
            await page.get_by_text("upload a clip").first.click()
            await wait_ready(page)
            await page.locator('[data-testid="stFileUploaderDropzone"] input[type="file"]') \
                .set_input_files(str(path))
            await page.get_by_text("20 frames · 128×128 px").first.wait_for()
            await wait_ready(page)
            await page.get_by_role("button", name="Analyse").click()
            await watch_job(user, page, 'button:has-text("Download per-frame CSV")')
            body = await page.inner_text("body")
            user.detail["clip_names_seen"] = sorted(set(re.findall(r"clip_user\d+\.mp4", body)))
            user.ok = True
            user.outcome = "analysed its clip"
        elif role == "generate":
            await page.goto(url + "/generate")
            await wait_ready(page)
            await page.get_by_text("Generate images with a GAN").first.wait_for()
            user.mark("page_ready")
            user.mark("start")
            await page.get_by_text("agrees with the requested class").first.wait_for()
            user.mark("done")
            user.ok = await page.locator('[data-testid="stImage"] img').count() >= 2
            user.outcome = "sampled the shipped GAN"
        await wait_ready(page)
        user.errors += await page_errors(page)
        if user.errors:
            user.ok = False
    except Exception as exc:  # noqa: BLE001 - counted as this user's error
        user.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
        print(f"user {user.index} ({user.role}): {user.errors[-1]}", file=sys.stderr,
              flush=True)
        try:
            user.errors += await page_errors(page)
            await page.screenshot(path=str(user.tmp / f"user{user.index}_{user.role}.png"),
                                  full_page=True)
        except Exception:  # noqa: BLE001
            pass
    finally:
        await context.close()


async def run_users(users: list[User], url: str, stagger: float) -> None:
    from playwright.async_api import async_playwright
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            tasks = []
            for user in users:
                tasks.append(asyncio.create_task(run_user(user, browser, url)))
                await asyncio.sleep(stagger)
            await asyncio.gather(*tasks)
        finally:
            await browser.close()


# --- figures ------------------------------------------------------------------------------------

def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def latency_table(rows, t0: float, t1: float) -> dict:
    out = {}
    for kind in ("get_root", "health", "ws_home"):
        v = sorted(s for t, s, k in rows if k == kind and t0 <= t <= t1)
        out[kind] = {"n": len(v), "p50": pct(v, 50), "p95": pct(v, 95),
                     "max": v[-1] if v else None}
    return out


def run_statuses(runs_dir: Path) -> dict[str, str]:
    out = {}
    for status in sorted(runs_dir.glob("*/status.json")):
        try:
            out[status.parent.name] = json.loads(status.read_text())["status"]
        except (OSError, ValueError, KeyError):
            out[status.parent.name] = "unreadable"
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--users", type=int, default=8, help="Chromium users (default 8)")
    ap.add_argument("--light", type=int, default=30, help="light HTTP/websocket sessions")
    ap.add_argument("--workers", type=int, default=None,
                    help="CVLAB_JOB_WORKERS for the server (default: the app's default)")
    ap.add_argument("--baseline", type=float, default=20.0,
                    help="seconds of light load only, before the users come")
    ap.add_argument("--ws-every", type=float, default=10.0,
                    help="seconds between a light session's home-page runs")
    ap.add_argument("--stagger", type=float, default=0.5,
                    help="seconds between two users opening their page")
    ap.add_argument("--roles", default=",".join(ROLES),
                    help="comma-separated roles, given to the users in turn")
    ap.add_argument("--job-timeout", type=float, default=Limits.ms / 1000,
                    help="seconds a user waits for its page or job before giving up")
    ap.add_argument("--json", type=Path, default=None, help="write the figures here")
    ap.add_argument("--url", default=None, help="drive this running server (e.g. a proxy)")
    ap.add_argument("--runs-dir", type=Path, default=None,
                    help="with --url: the runs folder that server writes")
    args = ap.parse_args()
    if bool(args.url) != bool(args.runs_dir):
        ap.error("--url and --runs-dir go together")
    Limits.ms = int(args.job_timeout * 1000)
    roles = args.roles.split(",")
    # `timeout` or Ctrl-C: still stop the server and the browsers
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    tmp = Path(tempfile.mkdtemp(prefix="classroom-"))
    server = External(args.url, args.runs_dir) if args.url else \
        Server(tmp / "runs", args.workers, tmp / "server.log")
    samples, stop = Samples(), threading.Event()
    users = [User(i, roles[i % len(roles)], tmp) for i in range(args.users)]
    try:
        t_boot = time.perf_counter()
        server.wait_healthy()
        boot = time.perf_counter() - t_boot
        threading.Thread(target=server.sample_rss, daemon=True).start()
        light = [threading.Thread(target=light_session, args=(server.url, samples, stop,
                                                               args.ws_every), daemon=True)
                 for _ in range(args.light)]
        t_light = time.time()
        for t in light:
            t.start()
            time.sleep(0.05)
        time.sleep(args.baseline)
        t_users = time.time()
        asyncio.run(run_users(users, server.url, args.stagger))
        t_end = time.time()
        stop.set()
        for t in light:
            t.join(150)
    finally:
        server.close()

    heavy = [u for u in users if u.role in HEAVY]
    starts = [u.events["start"] for u in heavy if "start" in u.events]
    dones = [u.events.get("done", t_end) for u in heavy if "start" in u.events]
    t_h0, t_h1 = (min(starts), max(dones)) if starts else (t_users, t_end)
    statuses = run_statuses(server.runs_dir)
    trained = [u.detail.get("run") for u in users if u.detail.get("run")]
    figures = {
        "users": args.users, "light_sessions": args.light, "workers": args.workers,
        "cpus": os.cpu_count(), "server_start_s": round(boot, 1),
        "baseline": latency_table(samples.rows, t_light + 5, t_users),
        "while_heavy_jobs_run": latency_table(samples.rows, t_h0, t_h1),
        "heavy_window_s": round(t_h1 - t_h0, 1),
        "whole_run_s": round(t_end - t_users, 1),
        "rss_mb_peak": round(max((m for _, m in server.rss), default=0.0)),
        "rss_mb_end": round(server.rss[-1][1]) if server.rss else None,
        "light_errors": len(samples.errors), "light_error_examples": samples.errors[:10],
        "users_ok": sum(u.ok for u in users),
        "user_errors": sum(len(u.errors) for u in users),
        "queue_positions_seen": sorted({p for u in users for p, _ in u.positions}),
        "users_who_waited": sum(bool(u.positions) for u in users),
        "left_queue": sum(u.left_queue for u in users),
        "server_tracebacks": server.tracebacks()[:5],
        "runs": statuses,
        "runs_still_running": sum(s == "running" for s in statuses.values()),
        # each training user sees its own run as the result (distinct, and finished on disk)
        "train_results_isolated": len(trained) == len(set(trained)) and all(
            statuses.get(r) == "finished" for r in trained),
        "per_user": [u.summary() for u in users],
        "tmp": str(tmp),
    }
    text = json.dumps(figures, indent=1, default=str)
    print(text)
    if args.json:
        args.json.write_text(text)


if __name__ == "__main__":
    main()
