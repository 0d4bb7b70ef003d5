"""First visit of every page and the first answers, in Chromium; a profile of each page's
first run (issue 14, goals 2-4).

Browser part (one fresh `streamlit run` per page, so each page's cold figure pays for what
it imports itself, e.g. TensorFlow; Chromium is started before the clock):
  visit_cold   a new tab opens the page on the fresh server: seconds to its main control
               shown (``shown``), to its first answer shown where it has one (``answer``:
               Recognize's default sample classified, Generate's first sample grid,
               Segment's default scene segmented), and to the app idle (``idle``: the
               script run finished)
  visit_warm   the same in a new tab on the same server afterwards
  Recognize:   upload_cold  the first upload of a digit picture in the cold tab (as
                            tests/e2e/test_recognize_browser.py does), from the file set to
                            "Grad-CAM on the original" shown and the app idle
               upload_warm  the same in a new tab (page opened first, not timed)
  Generate:    next_seed    seed 0 -> 1 in the warm tab, to the new grid shown and idle

With ``--baseline DIR`` (another checkout, e.g. `git archive` of the commit before a fix)
every chosen page is measured on that tree too, alternating with this one in the same
run, and the ratio this / baseline is printed.

Profile part (``--profile``): each page's first script run in a fresh process (AppTest
through app.py, tests/app/helpers.open_page) under cProfile: its wall time, what it
imports (cumulative seconds of the outermost ``<module>`` of TensorFlow, Keras, plotly,
pandas, SciPy, scikit-learn, OpenCV, scikit-image, matplotlib), Keras weight loading,
tf.function tracing, the project's own costliest functions, and the top 10 cumulative
functions overall (a pass-through chain of callers shown by its deepest function).

Figures are JSON lines. Run:
  CVLIB_DATA_DIR=../shared/data CHROMIUM_PATH=/usr/bin/chromium \
      python bench/first_answer.py [--pages generate,video] [--baseline DIR] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from _browser import CHROMIUM_ARGS, READY, ROOT, Server, chromium  # noqa: E402

TIMEOUT_MS = 240_000
GRAD_CAM = "Grad-CAM on the original"
# page key: (url path, script, main control, first answer or None), English texts
PAGES = {
    "home": ("", None, lambda p: p.get_by_text("Map of the subject").first, None),
    "train": ("/train", "pages/train.py",
              lambda p: p.get_by_role("button", name="Start training").first, None),
    "recognize": ("/recognize", "pages/recognize.py",
                  lambda p: p.get_by_text("Upload", exact=True).first,
                  lambda p: p.get_by_text(GRAD_CAM).first),
    "generate": ("/generate", "pages/generate.py",
                 lambda p: p.get_by_text("Number of images").first,
                 lambda p: p.get_by_text("samples · seed 0").first),
    "learn": ("/learn", "pages/learn.py", lambda p: p.get_by_text("1 · One neuron").first, None),
    "segment": ("/segment", "pages/segment.py",
                lambda p: p.get_by_text("Segmentation", exact=True).first,
                lambda p: p.get_by_text("Classes and their area").first),
    "video": ("/video", "pages/video.py",
              lambda p: p.get_by_role("button", name="Analyse").first, None),
}


def emit(**fields) -> None:
    print(json.dumps({k: round(v, 3) if isinstance(v, float) else v
                      for k, v in fields.items()}), flush=True)


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- browser ----------------------------------------------------------------------------

def idle(page) -> None:
    page.wait_for_selector(READY, timeout=TIMEOUT_MS)


def visit(browser, url: str, key: str) -> tuple[dict, object]:
    """A new tab opens ``url``: seconds to the main control, the first answer and idle."""
    _, _, control, answer = PAGES[key]
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    t0 = time.perf_counter()
    page.goto(url)
    control(page).wait_for(timeout=TIMEOUT_MS)
    times = {"shown": time.perf_counter() - t0}
    if answer is not None:
        answer(page).wait_for(timeout=TIMEOUT_MS)
        times["answer"] = time.perf_counter() - t0
    idle(page)
    times["idle"] = time.perf_counter() - t0
    return times, page


def a_digit(folder: Path) -> str:
    """A 7 drawn with a marker on white, saved as a JPEG (tests/e2e/test_recognize_browser)."""
    from PIL import Image, ImageDraw
    im = Image.new("RGB", (200, 200), "white")
    ImageDraw.Draw(im).line([(50, 40), (150, 40), (90, 170)], fill="black", width=14)
    path = folder / "seven.jpg"
    im.save(path)
    return str(path)


def upload(page, path: str) -> float:
    """Switch the open Recognize tab to Upload, then time one upload to its answer."""
    page.get_by_text("Upload", exact=True).first.click()
    page.get_by_text("Upload one or more images").first.wait_for(timeout=TIMEOUT_MS)
    idle(page)
    assert page.get_by_text(GRAD_CAM).count() == 0, "the sample's answer is still shown"
    t0 = time.perf_counter()
    page.locator('input[type="file"]').set_input_files(path)
    page.get_by_text(GRAD_CAM).first.wait_for(timeout=TIMEOUT_MS)
    idle(page)
    return time.perf_counter() - t0


def next_seed(page) -> float:
    """Seed 0 -> 1 on the Generate page, to the new grid shown and idle."""
    box = page.get_by_role("spinbutton", name="Seed").first
    t0 = time.perf_counter()
    box.fill("1")
    box.press("Enter")
    page.get_by_text("samples · seed 1").first.wait_for(timeout=TIMEOUT_MS)
    idle(page)
    return time.perf_counter() - t0


def measure_page(browser, key: str, root: Path, tree: str, folder: Path) -> dict:
    """One fresh server of ``root``: the page's cold visit, its actions, a warm visit."""
    server = Server(root=root)
    figures = {}
    try:
        server.wait_healthy()
        url = server.url + PAGES[key][0]
        cold, page = visit(browser, url, key)
        figures.update({f"cold_{k}": v for k, v in cold.items()})
        if key == "recognize":
            figures["upload_cold"] = upload(page, a_digit(folder))
        page.close()
        warm, page = visit(browser, url, key)
        figures.update({f"warm_{k}": v for k, v in warm.items()})
        if key == "recognize":
            figures["upload_warm"] = upload(page, a_digit(folder))
        if key == "generate":
            figures["next_seed"] = next_seed(page)
        page.close()
        figures["server_rss_mb"] = server.peak_rss_mb()
    finally:
        server.close()
    emit(page=key, tree=tree, load=load_average(), **figures)
    return figures


def browser_part(keys: list[str], baseline: Path | None, repeats: int) -> None:
    from playwright.sync_api import sync_playwright
    trees = [("this", ROOT)] + ([("baseline", baseline)] if baseline else [])
    results: dict = {}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        browser.new_page().goto("about:blank")      # Chromium started before the clock
        try:
            for r in range(repeats):
                for key in keys:
                    # alternate which tree goes first, so neither always meets the other's
                    # page cache or a quieter moment
                    order = trees if r % 2 == 0 else trees[::-1]
                    for tree, root in order:
                        results.setdefault((key, tree), []).append(
                            measure_page(browser, key, root, tree, Path(tmp)))
        finally:
            browser.close()
    if baseline:
        for key in keys:
            this, base = results[(key, "this")], results[(key, "baseline")]
            ratios = {}
            for name in this[0]:
                a = sorted(f[name] for f in this)[len(this) // 2]
                b = sorted(f[name] for f in base)[len(base) // 2]
                ratios[name] = a / b if b else float("nan")
            emit(page=key, ratio="this / baseline (median of repeats)", **ratios)


# --- profile ----------------------------------------------------------------------------

IMPORTS = ("tensorflow", "keras", "plotly", "pandas", "pyarrow", "scipy", "sklearn", "cv2",
           "skimage", "PIL", "matplotlib")


def _module_of(filename: str) -> str | None:
    parts = Path(filename).parts
    if "site-packages" in parts:
        rest = parts[parts.index("site-packages") + 1:]
        return rest[0] if rest else None
    return None


def profile_one(script: str | None) -> None:
    """(In a fresh process, cwd = the tree.) The page's first run through app.py under
    cProfile; prints one JSON line."""
    import cProfile
    import pstats

    from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
    from streamlit.testing.v1 import AppTest

    sys.path.insert(0, os.getcwd())
    from tests.app.helpers import open_page

    prof = cProfile.Profile()
    state = {"on": script is None, "wall": 0.0}
    run_script = ScriptRunner._run_script

    def profiled(self, rerun_data):           # the script thread: profile it there
        if not state["on"]:
            return run_script(self, rerun_data)
        t0 = time.perf_counter()
        prof.enable()
        try:
            return run_script(self, rerun_data)
        finally:
            prof.disable()
            state["wall"] += time.perf_counter() - t0

    switch_page = AppTest.switch_page

    def switch(self, page_path):              # profile the page's run, not the home run
        state["on"] = True
        return switch_page(self, page_path)

    ScriptRunner._run_script = profiled
    AppTest.switch_page = switch
    if script is None:
        at = AppTest.from_file(os.path.join(os.getcwd(), "app.py"), default_timeout=300)
        at.session_state["lang"] = "en"
        at.run()
        assert not at.exception, at.exception
    else:
        open_page(script, timeout=300)
    stats = pstats.Stats(prof).stats       # {(file, line, func): (cc, nc, tt, ct, callers)}
    imports = {}
    for (file, _, func), (_, _, _, ct, _) in stats.items():
        mod = _module_of(file)
        if func == "<module>" and mod in IMPORTS:
            imports[mod] = max(imports.get(mod, 0.0), ct)

    def total(pred) -> float:
        return sum(ct for (file, _, func), (_, _, _, ct, _) in stats.items() if pred(file, func))

    builds = {
        "keras_load_weights": total(lambda f, fn: "keras" in f and fn == "load_weights"),
        "keras_load_model": total(lambda f, fn: "keras" in f and fn == "load_model"),
        "tf_function_tracing": total(lambda f, fn: f.endswith("tracing_compilation.py")
                                     and fn == "trace_function"),
        "plotly_chart": total(lambda f, fn: f.endswith("plotly_chart.py")
                              and fn == "plotly_chart"),
    }
    here = os.getcwd()

    def named(key) -> str:
        file, line, func = key
        return f"{os.path.relpath(file, here) if file.startswith(here) else _short(file)}" \
               f":{line}({func})"

    ranked = sorted(stats.items(), key=lambda kv: -kv[1][3])

    def folded(keep, n: int) -> list:
        """The first ``n`` of ``ranked`` that ``keep`` accepts, each pass-through chain
        (a caller whose time is almost all one callee's) shown by its deepest function."""
        out = []
        for k, v in ranked:
            if not keep(k):
                continue
            if out and out[-1][0] in v[4] and v[3] >= 0.95 * out[-1][1]:
                out[-1] = (k, v[3])
            elif len(out) < n:
                out.append((k, v[3]))
        return [[named(k), round(ct, 2)] for k, ct in out]

    skip = ("<frozen", "~", "/streamlit/runtime/", "/streamlit/testing/", "/threading.py",
            "/streamlit/navigation/")

    def package_import(k) -> bool:        # a top-level package's __init__ (its import)
        parts = Path(k[0]).parts
        return (k[2] == "<module>" and "site-packages" in parts
                and parts[parts.index("site-packages") + 2:] == ("__init__.py",))

    own = folded(lambda k: k[0].startswith(here) and k[2] != "<module>"
                 and "/bench/" not in k[0] and "/tests/" not in k[0], 8)
    top = folded(lambda k: not any(s in k[0] for s in skip)
                 and (k[2] != "<module>" or package_import(k)), 10)
    print(json.dumps({"page": script or "home", "first_run_seconds": round(state["wall"], 2),
                      "imports": {k: round(v, 2) for k, v in imports.items() if v >= 0.05},
                      "builds": {k: round(v, 2) for k, v in builds.items() if v >= 0.01},
                      "own_top": own, "top10_cumulative": top}), flush=True)


def _short(file: str) -> str:
    parts = Path(file).parts
    if "site-packages" in parts:
        return "/".join(parts[parts.index("site-packages") + 1:])
    return "/".join(parts[-2:])             # the standard library: its module is enough


def profile_part(keys: list[str], baseline: Path | None) -> None:
    trees = [("this", ROOT)] + ([("baseline", baseline)] if baseline else [])
    for key in keys:
        for tree, root in trees:
            script = PAGES[key][1] or "home"
            env = {**os.environ, "CVLAB_RUNS_DIR": tempfile.mkdtemp(),
                   "TF_CPP_MIN_LOG_LEVEL": "2"}
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--profile-one", script],
                                 cwd=root, env=env, capture_output=True, text=True)
            lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode or not lines:
                emit(profile=key, tree=tree, error=out.stderr[-2000:])
                continue
            result = json.loads(lines[-1])
            emit(profile=key, tree=tree, load=load_average(),
                 process_seconds=time.perf_counter() - t0, **result)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", default=",".join(PAGES), help="comma-separated page keys")
    ap.add_argument("--baseline", type=Path, help="another tree, measured alternately")
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="also profile each page's run")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--profile-one", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.profile_one:
        profile_one(None if args.profile_one == "home" else args.profile_one)
        return
    keys = [k for k in args.pages.split(",") if k]
    unknown = set(keys) - set(PAGES)
    if unknown:
        sys.exit(f"unknown pages {sorted(unknown)}; choose from {list(PAGES)}")
    emit(start=time.strftime("%Y-%m-%d %H:%M:%S"), load=load_average(), pages=keys,
         baseline=str(args.baseline) if args.baseline else None)
    if not args.no_browser:
        browser_part(keys, args.baseline, args.repeats)
    if args.profile:
        profile_part(keys, args.baseline)
    emit(end=time.strftime("%Y-%m-%d %H:%M:%S"), load=load_average())


if __name__ == "__main__":
    main()
