"""AppTest: home and Train pages run without exceptions; language switch; a tiny training."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.e2e.fake_runs import fake_run
from ui.i18n import catalog

APP = str(ROOT / "app.py")


def new_app() -> AppTest:
    import streamlit as st
    st.cache_data.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    return at


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [h.value for h in at.header] + \
            [h.value for h in at.subheader] + [h.value for h in at.title]
    return "\n".join(parts)


def test_home_renders_map_models_and_data():
    at = new_app()
    assert not at.exception
    body = texts(at)
    for heading in ("Map of the subject", "Background", "Core concepts", "The algorithm",
                    "Applications", "Tools", "Trends", "FAQ", "Pages", "Models on this machine"):
        assert heading in body, heading
    table = next(m.value for m in at.markdown if m.value.startswith("| model |"))
    rows = {line.split("|")[1].strip(" `"): line for line in table.splitlines()[2:]}
    assert "shipped" in rows["mnist_cnn"] and "accuracy 99.3%" in rows["mnist_cnn"]
    assert "mobilenet_v3_small" in rows
    # every model with metrics in the manifest shows a quality figure, whatever its task
    manifest = json.loads((ROOT / "models" / "manifest.json").read_text())["models"]
    for name, entry in manifest.items():
        if name in rows and entry.get("metrics"):
            quality = rows[name].split("|")[4].strip()
            assert quality not in ("", "–"), (name, rows[name])
    assert "class consistency" in rows["cgan_mnist"] and "FID" in rows["cgan_mnist"]
    # page descriptions: one style (capital letter, full stop), each in full
    keys = re.findall(r'\("pages/\w+\.py", "(\w+)"', (ROOT / "app.py").read_text())
    shown = [m.value for m in at.markdown]
    for key in keys:
        desc = catalog("en")[f"page_{key}_desc"].rstrip(".")
        line = next(v for v in shown if v.lower().startswith(desc[:30].lower()))
        assert line[0].isupper() and line.endswith(".") and desc[1:] in line, line


def _fresh_process(steps: str, modules=("tensorflow", "keras")) -> list[bool]:
    """Run app.py (then ``steps`` on ``at``) in a fresh Python; which of ``modules`` it
    imported."""
    code = ("import sys\nfrom streamlit.testing.v1 import AppTest\n"
            f"at = AppTest.from_file({APP!r}, default_timeout=60); at.run()\n"
            f"{steps}\n"
            "assert not at.exception, at.exception\n"
            f"print(*[m in sys.modules for m in {list(modules)!r}])")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return [w == "True" for w in out.stdout.strip().splitlines()[-1].split()]


def test_home_does_not_import_tensorflow():
    # nor numpy: the Streamlit server itself never imports it, so the home page's first
    # run on a cold server would pay for it (issue 14: home cold <= 1.5 s)
    assert _fresh_process("", ("tensorflow", "keras", "pandas", "numpy")) == [False] * 4


def test_train_page_draws_before_tensorflow_loads():
    """The Train page's first render (controls and the layer table) imports no TensorFlow:
    it is imported when a training starts (issue 14: controls within 2 s)."""
    steps = ("at.switch_page('pages/train.py').run()\n"
             "assert any('93,322' in m.value for m in at.markdown), 'no layer table'")
    assert _fresh_process(steps) == [False, False]


def test_language_switch_changes_labels():
    at = new_app()
    assert "Map of the subject" in texts(at)
    at.sidebar.radio(key="lang_choice").set_value("zh").run()
    assert not at.exception
    body = texts(at)
    assert "知识地图" in body and "Map of the subject" not in body
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert at.title[0].value == "训练 CNN"
    assert at.button(key="train_start").label == "开始训练"


def train_page() -> AppTest:
    at = new_app()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    return at


def size_key(at) -> str:
    return next(w.key for w in at.sidebar.select_slider if w.key.startswith("tr_size_"))


def wait_job(at, timeout=120):
    job = at.session_state["train_job"]
    assert job.join(timeout)
    return job


def test_train_page_defaults_are_the_seed_network_with_the_fast_recipe():
    from cvlib.train import PAGE_RECIPE
    at = train_page()
    assert at.sidebar.selectbox(key="tr_dataset").value == "mnist"
    # the recipe of bench/time_to_accuracy.py: 99% in one epoch
    assert PAGE_RECIPE == {"epochs": 1, "batch_size": 64, "learning_rate": 1e-2,
                           "lr_schedule": "warmup_cosine", "label_smoothing": 0.1}
    assert at.sidebar.slider(key="tr_epochs").value == 1
    assert at.sidebar.select_slider(key="tr_batch").value == 64
    assert at.sidebar.select_slider(key="tr_lr").value == 1e-2
    assert at.sidebar.radio(key="tr_sched").value == "warmup_cosine"
    assert at.sidebar.select_slider(key="tr_smooth").value == 0.1
    assert at.sidebar.selectbox(key="tr_opt").value == "adam"
    assert [at.sidebar.selectbox(key=k).value for k in ("tr_f1", "tr_f2", "tr_f3")] == [32, 64, 64]
    summary = "\n".join(m.value for m in at.markdown)
    assert "93,322 parameters" in summary


def test_tiny_training_completes_from_the_page():
    at = train_page()
    at.sidebar.select_slider(key=size_key(at)).set_value(500)
    at.sidebar.slider(key="tr_epochs").set_value(1)
    at.run()
    at.button(key="train_start").click().run()
    assert not at.exception
    job = wait_job(at)
    assert job.snapshot().status == "finished"
    at.run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "Test accuracy" in labels
    acc = next(m.value for m in at.metric if m.label == "Test accuracy")
    assert acc.endswith("%")
    assert len(at.get("plotly_chart")) >= 2          # curves + confusion matrix
    assert "Confusion matrix" in texts(at)
    assert at.code, "copy-as-code shows the script"
    assert "model.fit(" in at.code[0].value
    assert any(b.label.startswith("Weights") for b in at.get("download_button"))
    assert at.dataframe[-1].value.shape[0] == 1        # the runs table has this run
    # "Open in Recognize" is offered (AppTest does not follow st.switch_page: the browser
    # test clicks it)
    assert at.button(key=f"rec_{job.run_id}").label == "Open in Recognize"


def test_second_start_while_running_says_so_and_loses_nothing():
    at = train_page()
    at.sidebar.slider(key="tr_epochs").set_value(30).run()
    at.button(key="train_start").click().run()
    job = at.session_state["train_job"]
    try:
        at.button(key="train_start").click().run()
        assert not at.exception
        assert any("still running" in w.value for w in at.warning)
        assert at.session_state["train_job"] is job and job.running
        at.button(key="train_stop").click().run()
        assert job.join(30)
        assert job.snapshot().status == "stopped"
    finally:
        job.stop()
        job.join(30)


def test_batch_sizes_offered_fit_the_training_set():
    at = train_page()
    at.sidebar.select_slider(key=size_key(at)).set_value(500)
    at.sidebar.slider(key="tr_val").set_value(0.3)
    at.run()
    assert max(map(int, at.sidebar.select_slider(key="tr_batch").options)) == 256  # 350 images
    # early stopping needs a validation split: the checkbox is disabled without one
    at.sidebar.slider(key="tr_val").set_value(0.0).run()
    assert at.sidebar.checkbox(key="tr_early").disabled


def test_offline_banner_and_missing_dataset(monkeypatch, tmp_path):
    monkeypatch.delenv("CVLIB_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    at = train_page()
    assert any("Offline" in w.value and "python -m cvlib fetch mnist" in w.value
               for w in at.warning)
    at.sidebar.selectbox(key="tr_dataset").set_value("fashion_mnist").run()
    assert not at.exception
    assert at.error and "python -m cvlib fetch fashion_mnist" in at.error[0].value
    assert "\n" not in at.error[0].value


def test_missing_dataset_keeps_results_and_runs_table(monkeypatch, tmp_path):
    # Fashion-MNIST missing offline: the message in the data section only; the results
    # and the runs table of earlier runs stay on the page.
    fake_run(Path(os.environ["CVLAB_RUNS_DIR"]), "20200101-100000-aaaa", 6.1, epochs=10,
             status="stopped", train_size=None)
    monkeypatch.delenv("CVLIB_DATA_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    at = train_page()
    at.sidebar.selectbox(key="tr_dataset").set_value("fashion_mnist").run()
    assert not at.exception
    assert [e for e in at.sidebar.error if "fetch fashion_mnist" in e.value]
    assert not [e for e in at.main.error if "fetch fashion_mnist" in e.value]
    assert at.button(key="train_start").disabled
    assert "Confusion matrix" in texts(at) and "All runs" in texts(at)
    # one number for one thing: label, table and curves agree on the epochs of a stopped run
    label = at.selectbox(key="result_run").format_func("20200101-100000-aaaa")
    assert "6.1 of 10 epochs" in label and " · all images · " in label, label
    table = at.dataframe[-1].value
    assert list(table["epochs"]) == ["6.1 of 10 epochs"]
    assert list(table["data"]) == ["MNIST digits · all"]


def test_run_labels_and_table_in_both_languages():
    from ui.owner import OWNER_STATE
    runs = Path(os.environ["CVLAB_RUNS_DIR"])
    at = train_page()
    me = at.session_state[OWNER_STATE]        # this browser's runs: it may delete them
    fake_run(runs, "20200101-100000-aaaa", 1, epochs=1, owner=me)
    fake_run(runs, "20200101-110000-bbbb", 5, epochs=5, train_size=None, owner=me)
    at.run()
    box = at.selectbox(key="result_run")
    assert "· 1 epoch ·" in box.format_func("20200101-100000-aaaa")       # not "1 epochs"
    assert "· all images · 5 epochs ·" in box.format_func("20200101-110000-bbbb")
    table = at.dataframe[-1].value
    # one type and one format a column: percentages as numbers (shown with one decimal)
    assert table["test acc."].dtype.kind == "f" and table["time"].dtype.kind == "f"
    assert at.button(key="del_20200101-110000-bbbb")      # the newest run is shown
    # delete asks first; Cancel keeps the run
    at.button(key="del_20200101-110000-bbbb").click().run()
    assert any("Delete run 20200101-110000-bbbb?" in w.value for w in at.warning)
    at.button(key="del_no_20200101-110000-bbbb").click().run()
    assert (runs / "20200101-110000-bbbb").exists()
    at.button(key="del_20200101-110000-bbbb").click().run()
    at.button(key="del_yes_20200101-110000-bbbb").click().run()
    assert not at.exception
    assert not (runs / "20200101-110000-bbbb").exists()
    assert at.dataframe[-1].value.shape[0] == 1
    at.sidebar.radio(key="lang_choice").set_value("zh").run()
    assert not at.exception
    table = at.dataframe[-1].value
    assert list(table["数据"]) == ["MNIST 手写数字 · 500"] and list(table["轮数"]) == ["1 轮"]
