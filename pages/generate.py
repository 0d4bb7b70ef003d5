"""Generate page: sample a conditional GAN, walk its latent space, train a GAN live.

Length (~470 lines, on purpose): the three tabs (sample, latent space, live training)
share the model choice and the verdict; figures are in ui/gen_charts.

Page = controls -> cvlib.generate -> render. No model maths here: cvlib.generate samples
and trains (a GanJob in a background thread, polled by fragments, like the Train page).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from ui.streamlit_fix import require_router

require_router()   # a deep link on a fresh server must go through app.py

from cvlib import CVLibError, zoo
from cvlib.data import CLASS_NAMES, DatasetUnavailable
from ui import gen_charts
from ui.handoff import send
from ui.i18n import t, translated
from ui.job_panel import JobPanel
from ui.models import class_labels, describe, user_message
from ui.state import keep_settings

LIVE = "live"                     # the model key of the GAN trained on this page
POLL_SECONDS = 0.5
CHART_SECONDS = 1.0
TRAIN_SIZES = [1000, 2000, 5000, 10000, 20000, 60000]
LEARNING_RATES = [1e-5, 3e-5, 1e-4, 2e-4, 5e-4, 1e-3, 3e-3, 1e-2]
JUDGE = {"mnist": "mnist_cnn", "fashion_mnist": "fashion_cnn"}
# Settings that survive a visit to another page (ui/state.py): value widgets only, by
# their exact keys (never the download buttons, whose state Streamlit refuses to set).
KEPT = ("gen_model", "gen_s_class", "gen_s_n", "gen_s_seed", "gen_s_temp",
        "gen_i_a", "gen_i_b", "gen_i_class", "gen_i_steps",
        "gen_m_a", "gen_m_b", "gen_m_seed", "gen_m_steps",
        "gen_d_class", "gen_d_seed", "gen_d_0", "gen_d_1", "gen_d_2", "gen_d_3",
        "gen_t_ds", "gen_t_size", "gen_t_latent", "gen_t_epochs", "gen_t_glr", "gen_t_dlr",
        "gen_t_batch", "gen_t_smooth")


# --- models -----------------------------------------------------------------------------

def _live():
    return st.session_state.get("gen_live_result")


def _dataset_of(key: str) -> str:
    if key == LIVE:
        return _live().config.dataset
    return zoo.get(key).dataset


def _model(key: str):
    """What cvlib.generate takes: a registry name, or the live generator keras.Model."""
    return _live().generator if key == LIVE else key


@st.cache_resource(show_spinner=False)
def _load_generator(name: str):
    from cvlib.generate import sample
    sample(name, 1, 0, 0)           # load, verify and trace now
    return True


@st.cache_resource(show_spinner=False, max_entries=4)
def _judge(name: str):
    import cvlib
    return cvlib.load("classify", name)


def _verdict(key: str):
    """The verdict from the samples (cvlib.generate.verdict), once per model / live run."""
    from cvlib.generate import verdict
    if key == LIVE:
        result = _live()
        cache = st.session_state.setdefault("gen_verdicts", {})
        if id(result) not in cache:
            cache.clear()
            cache[id(result)] = verdict(result.generator, result.config.dataset)
        return cache[id(result)]
    return _verdict_cached(key, _dataset_of(key))


@st.cache_data(show_spinner=False, max_entries=8)
def _verdict_cached(name: str, dataset: str):
    from cvlib.generate import verdict
    return verdict(name, dataset)


def show_verdict(key: str) -> bool:
    """The plain verdict from the samples: success only when they earn it; a warning with
    what to try otherwise. Returns whether the generator is good."""
    try:
        v = _verdict(key)
    except (CVLibError, ValueError, OSError) as exc:
        st.caption(user_message(exc))
        return False
    args = dict(agree=f"{v.agreement:.0%}", chance=f"{v.chance:.0%}",
                div=f"{v.diversity:.2f}", judge=v.judge)
    if v.good:
        st.success(t("gen_verdict_good", **args), icon=":material/check_circle:")
    else:
        key = {"collapsed": "gen_verdict_collapsed", "untrained": "gen_verdict_untrained"
               }.get(v.status, "gen_verdict_weak")
        st.warning(t(key, **args), icon=":material/warning:")
    return v.good


@st.cache_data(show_spinner=False, max_entries=32)
def _directions(name: str, label: int, k: int = 4) -> np.ndarray:
    from cvlib.generate import principal_directions
    return principal_directions(name, k=k, label=label)


def _directions_any(key: str, label: int) -> np.ndarray:
    if key != LIVE:
        return _directions(key, label)
    from cvlib.generate import dims, principal_directions
    cache = st.session_state.setdefault("gen_live_dirs", {})
    if label not in cache:
        model = _model(key)
        # a live GAN may have a latent size below 4 (the slider starts at 2)
        cache[label] = principal_directions(model, k=min(4, dims(model)[0]), label=label)
    return cache[label]


def _label(key: str) -> str:
    if key == LIVE:
        return t("gen_live_model")
    return f"{key} · {t('status_' + zoo.status(key))}"


# --- controls ---------------------------------------------------------------------------

@dataclass
class Controls:
    model: str
    dataset: str
    class_names: list          # shown: in the session's language
    raw_names: list            # as cvlib names the classes (English)


def controls() -> Controls:
    names = zoo.list_models("generate") + ([LIVE] if _live() is not None else [])
    if st.session_state.get("gen_model") not in names:
        # the digits first (the default model everywhere), else any shipped generator
        preferred = sorted(names, key=lambda n: n != "cgan_mnist")
        st.session_state["gen_model"] = next(
            (n for n in preferred if n == LIVE or zoo.status(n) == "shipped"), preferred[0])
    key = st.sidebar.selectbox(t("gen_model"), names, key=translated("gen_model"),
                               format_func=_label)
    if key != LIVE:
        st.sidebar.caption(describe(key))
    dataset = _dataset_of(key)
    raw = CLASS_NAMES.get(dataset, [str(i) for i in range(10)])
    return Controls(key, dataset, class_labels(raw, dataset), list(raw))


def _class_select(label: str, key: str, names: list, allow_random: bool = False, index=0):
    options = ([-1] if allow_random else []) + list(range(len(names)))
    return st.selectbox(label, options, index=index, key=translated(key),
                        format_func=lambda i: t("gen_random") if i < 0 else names[i])


# --- sample -----------------------------------------------------------------------------

@dataclass
class SampleChoice:
    labels: int | None
    n: int
    seed: int
    temp: float


def sample_controls(ctl: Controls) -> SampleChoice:
    """The sample tab's controls: drawn before the generator loads (Keras: ~4 s cold)."""
    a, b, c, d = st.columns(4)
    with a:
        cls = _class_select(t("gen_class"), "gen_s_class", ctl.class_names, allow_random=True)
    n = b.slider(t("gen_count"), 1, 64, 16, key="gen_s_n")
    seed = c.number_input(t("gen_seed"), 0, 2**31 - 1, 0, 1, key="gen_s_seed",
                          help=t("gen_seed_help"))
    temp = d.slider(t("gen_temperature"), 0.1, 1.5, 1.0, 0.05, key="gen_s_temp",
                    help=t("gen_temperature_help"))
    return SampleChoice(None if cls < 0 else int(cls), int(n), int(seed), float(temp))


def sample_section(ctl: Controls, choice: SampleChoice) -> None:
    from cvlib.generate import grid, sample, sample_labels, to_png
    labels, n, seed, temp = choice.labels, choice.n, choice.seed, choice.temp
    model = _model(ctl.model)
    try:
        images = sample(model, int(n), labels, int(seed), float(temp))
        asked = sample_labels(model, int(n), labels, int(seed))
    except (CVLibError, ValueError, TypeError) as exc:
        st.error(t("gen_bad_input", err=user_message(exc)))
        return
    picture = grid(images, cols=8, scale=3)
    st.image(picture, caption=t("gen_grid_caption", n=int(n), seed=int(seed), temp=f"{temp:g}"))
    st.download_button(t("gen_download_png"), data=to_png(grid(images, cols=8)),
                       file_name=f"{ctl.model}_seed{int(seed)}.png", mime="image/png",
                       key="gen_dl_png", icon=":material/download:", on_click="ignore")
    show_verdicts(ctl, images, asked)


def show_verdicts(ctl: Controls, images: np.ndarray, asked: np.ndarray) -> None:
    st.subheader(t("gen_verdicts_title"))
    judge = JUDGE.get(ctl.dataset)
    if judge is None or zoo.status(judge) != "shipped":
        st.caption(t("gen_no_judge"))
        return
    st.caption(t("gen_verdicts_help", judge=judge))
    show_verdict(ctl.model)
    try:
        probs = _judge(judge).probs(images[..., None])
    except CVLibError as exc:
        st.caption(user_message(exc))
        return
    seen = probs.argmax(1)
    names = ctl.class_names
    st.write(t("gen_agreement", judge=judge, k=int((seen == asked).sum()), n=len(asked)))
    st.image(list(images), width=80, caption=[
        t("gen_verdict_caption", asked=names[a], seen=names[s], score=f"{p[s]:.0%}")
        + ("" if a == s else " ✗") for a, s, p in zip(asked, seen, probs)])
    a, b, _ = st.columns([1, 2, 3])
    # The options themselves carry the class: a label computed by format_func can stay
    # stale in the browser when the samples change under the same option values.
    options = [f"#{i + 1} · {names[asked[i]]}" for i in range(len(images))]
    pick = a.selectbox(t("gen_send_pick"), options, key="gen_send_pick")
    b.write("")
    i = options.index(pick) if pick in options else 0
    b.button(t("gen_send"), key="gen_send", icon=":material/image_search:",
             on_click=send_to_recognize, args=(images[i], ctl.raw_names[asked[i]], judge))


@dataclass(frozen=True)
class GeneratedSample:
    """A generated image, shaped like a cvlib.samples.Sample for the Recognize page."""

    name: str
    label: str         # the class asked for, as cvlib names it (shown translated)
    data: bytes
    model: str = ""    # the classifier it suits (its data set translates the label)

    def read(self) -> bytes:
        return self.data


def send_to_recognize(image: np.ndarray, label: str, judge: str) -> None:
    """Make the Recognize page open on this image, with the classifier that judged it
    (a button callback: the page switch itself happens in the script run)."""
    from cvlib.generate import to_png
    send("recognize", rec_generated=GeneratedSample("generated", label, to_png(image), judge),
         rec_sample="generated", rec_source="samples", rec_model=judge)


# --- latent space -----------------------------------------------------------------------

def _strip(frames: np.ndarray) -> np.ndarray:
    from cvlib.generate import grid
    return grid(frames, cols=len(frames), scale=3)


def latent_section(ctl: Controls) -> None:
    from cvlib.generate import class_morph, interpolate, move_along, to_gif
    model = _model(ctl.model)
    names = ctl.class_names

    st.subheader(t("gen_interp_title"))
    st.caption(t("gen_interp_help"))
    a, b, c, d = st.columns(4)
    seed_a = a.number_input(t("gen_seed_a"), 0, 2**31 - 1, 0, 1, key="gen_i_a")
    seed_b = b.number_input(t("gen_seed_b"), 0, 2**31 - 1, 1, 1, key="gen_i_b")
    with c:
        cls = _class_select(t("gen_class"), "gen_i_class", names, index=min(3, len(names) - 1))
    steps = d.slider(t("gen_steps"), 2, 16, 8, key="gen_i_steps")
    try:
        frames = interpolate(model, int(seed_a), int(seed_b), int(steps), int(cls))
    except (CVLibError, ValueError, TypeError) as exc:
        st.error(t("gen_bad_input", err=user_message(exc)))
        return
    left, right = st.columns([3, 1])
    left.image(_strip(frames))
    gif = to_gif(frames, scale=4)
    right.image(gif, width=112)
    right.download_button(t("gen_download_gif"), data=gif, mime="image/gif",
                          file_name=f"{ctl.model}_interp_{int(seed_a)}_{int(seed_b)}.gif",
                          key="gen_dl_gif", icon=":material/download:", on_click="ignore")

    st.subheader(t("gen_morph_title"))
    st.caption(t("gen_morph_help"))
    a, b, c, d = st.columns(4)
    with a:
        ca = _class_select(t("gen_class_a"), "gen_m_a", names, index=1)
    with b:
        cb = _class_select(t("gen_class_b"), "gen_m_b", names, index=min(7, len(names) - 1))
    seed = c.number_input(t("gen_seed"), 0, 2**31 - 1, 0, 1, key="gen_m_seed")
    msteps = d.slider(t("gen_steps"), 2, 16, 8, key="gen_m_steps")
    st.image(_strip(class_morph(model, int(ca), int(cb), int(msteps), int(seed))))

    st.subheader(t("gen_dirs_title"))
    st.caption(t("gen_dirs_help"))
    left, right = st.columns([3, 2])
    with left:
        a, b = st.columns(2)
        with a:
            dcls = _class_select(t("gen_class"), "gen_d_class", names, index=min(8, len(names) - 1))
        dseed = b.number_input(t("gen_seed"), 0, 2**31 - 1, 0, 1, key="gen_d_seed")
        dirs = _directions_any(ctl.model, int(dcls))
        amounts = [st.slider(t("gen_dir_slider", i=i + 1), -3.0, 3.0, 0.0, 0.25,
                             key=f"gen_d_{i}") for i in range(len(dirs))]
    with right:
        image = move_along(model, dirs, amounts, int(dcls), int(dseed))
        st.image(np.kron(image, np.ones((6, 6), np.uint8)), width=168)
    cols = st.columns(2)
    for i in range(len(dirs)):
        walk = np.stack([move_along(model, dirs, np.eye(len(dirs))[i] * v, int(dcls), int(dseed))
                         for v in np.linspace(-3, 3, 7)])
        cols[i % 2].image(_strip(walk), caption=t("gen_dirs_strip", i=i + 1))


# --- live training ----------------------------------------------------------------------

PANEL = JobPanel("gen", poll=POLL_SECONDS)


@st.cache_data(show_spinner=False)
def _dataset_facts(name: str) -> dict:
    """How many training images the offline chain offers (the same chain GanJob uses)."""
    from cvlib.data import load_dataset
    x, _, info = load_dataset(name, "train")
    return {"n": int(len(x)), "subset": bool(info.subset)}


def _size_options(n_avail: int) -> list[int]:
    return sorted({s for s in TRAIN_SIZES if s < n_avail} | {n_avail})


def train_controls():
    from cvlib.generate import GanConfig
    a, b, c, d = st.columns(4)
    dataset = a.selectbox(t("dataset"), ["mnist", "fashion_mnist"], key=translated("gen_t_ds"),
                          format_func=lambda n: t(f"ds_{n}"))
    facts = _dataset_facts(dataset)       # DatasetUnavailable: train_section says so
    n_avail = facts["n"]
    if facts["subset"]:   # offline: the same banner as the Train page
        st.warning(t("subset_banner", name=t(f"ds_{dataset}")), icon=":material/cloud_off:")
    options = _size_options(n_avail)
    if st.session_state.get("gen_t_size") not in options:    # another data set's count
        st.session_state["gen_t_size"] = min(10000, n_avail) if min(10000, n_avail) in \
            options else n_avail
    size = b.select_slider(t("gen_train_size"), options, key="gen_t_size",
                           format_func=lambda n: f"{n:,}")
    latent = c.select_slider(t("gen_latent"), [2, 8, 16, 32, 64, 128], value=64,
                             key="gen_t_latent")
    epochs = d.slider(t("gen_epochs"), 1, 30, 5, key="gen_t_epochs")
    a, b, c, d = st.columns(4)
    g_lr = a.select_slider(t("gen_g_lr"), LEARNING_RATES, value=2e-4, key="gen_t_glr",
                           format_func=lambda v: f"{v:g}")
    d_lr = b.select_slider(t("gen_d_lr"), LEARNING_RATES, value=2e-4, key="gen_t_dlr",
                           format_func=lambda v: f"{v:g}")
    batch = c.select_slider(t("gen_batch"), [32, 64, 128, 256], value=128, key="gen_t_batch")
    smooth = d.slider(t("gen_smoothing"), 0.0, 0.3, 0.1, 0.05, key="gen_t_smooth",
                      help=t("gen_smoothing_help"))
    try:
        return GanConfig(dataset=dataset, train_size=None if size >= n_avail else int(size),
                         latent_dim=int(latent), g_learning_rate=float(g_lr),
                         d_learning_rate=float(d_lr), batch_size=int(batch),
                         epochs=int(epochs), label_smoothing=float(smooth)), ""
    except (ValueError, TypeError) as exc:
        return None, str(exc)


def use_live() -> None:
    st.session_state["gen_model"] = LIVE


def _keep_result() -> None:
    """Keep the finished (or stopped) job's GAN as this session's live model."""
    job = PANEL.job
    if job is not None and not job.running and job.result is not None \
            and _live() is not job.result:
        st.session_state["gen_live_result"] = job.result
        st.session_state.pop("gen_live_dirs", None)


def live_curves_body() -> None:
    """Losses, D outputs, the hint and the per-epoch grids (a fragment, every second)."""
    from cvlib.generate import gan_hint, grid
    job = PANEL.job
    if job is None:
        return
    snap = job.snapshot()
    labels = {"losses": t("gen_chart_losses"), "outputs": t("gen_chart_outputs"),
              "epoch": t("chart_epoch"), "g_loss": t("gen_chart_g_loss"),
              "d_loss": t("gen_chart_d_loss"), "d_real": t("gen_chart_d_real"),
              "d_fake": t("gen_chart_d_fake")}
    st.plotly_chart(gen_charts.gan_curves(snap.batches, snap.steps_per_epoch, labels,
                                          snap.epochs),
                    key="gen_live_curves", config={"displayModeBar": False})
    hint = gan_hint(snap.history, snap.batches)
    if hint is not None:
        st.warning(t(f"gen_hint_{hint}"), icon=":material/lightbulb:")
    elif len(snap.batches) >= 10:
        st.caption(t("gen_hint_ok"))
    if snap.grids:
        n = len(snap.grids)
        epoch = n if n == 1 else st.slider(t("gen_scrub"), 1, n, n, key=f"gen_scrub_{n}")
        st.image(grid(snap.grids[epoch - 1], cols=10, scale=3),
                 caption=t("gen_grid_epoch", epoch=epoch))


def train_section() -> None:
    st.caption(t("gen_train_intro"))
    config, error = train_controls()
    from cvlib.generate import GanJob
    PANEL.buttons(None if config is None else lambda: GanJob(config), t("gen_start"),
                  t("gen_stop"))
    if error:
        st.error(error)
    PANEL.progress()
    PANEL.live(live_curves_body, every=CHART_SECONDS)
    _keep_result()
    running = PANEL.running
    result = _live()
    if result is not None and not running:
        st.subheader(t("gen_result_title"))
        if show_verdict(LIVE):
            st.success(t("gen_result_ready", label=t("gen_live_model")))
        a, b, _ = st.columns([1, 2, 3])
        a.button(t("gen_use_live"), key="gen_use_live", on_click=use_live,
                 icon=":material/auto_awesome:")
        b.download_button(t("gen_download_weights"), data=lambda: _weights_bytes(result),
                          file_name=f"cgan_{result.config.dataset}_live.weights.h5",
                          mime="application/octet-stream", key="gen_dl_weights",
                          on_click="ignore", icon=":material/download:")


def _weights_bytes(result) -> bytes:
    from cvlib.export import model_bytes
    return model_bytes(result.generator, "weights.h5")


# --- page -------------------------------------------------------------------------------

def render() -> None:
    keep_settings(*KEPT)
    st.title(t("gen_title"))
    st.write(t("gen_intro"))
    ctl = controls()
    tab_sample, tab_latent, tab_train = st.tabs([t("gen_tab_sample"), t("gen_tab_latent"),
                                                 t("gen_tab_train")])
    with tab_sample:                 # the controls first; then the generator loads
        choice = sample_controls(ctl)
    ready = True
    if ctl.model != LIVE:
        try:
            if zoo.status(ctl.model) != "shipped":
                zoo.verified_weights_path(ctl.model)   # raises with a plain message
            with tab_sample, st.spinner(t("gen_loading")):
                _load_generator(ctl.model)
        except (zoo.ModelUnavailable, zoo.ModelIntegrityError, CVLibError, OSError) as exc:
            ready = False
            message = user_message(exc).splitlines()[0] if str(exc) else ""
            for tab in (tab_sample, tab_latent):
                with tab:
                    st.error(t("gen_model_missing", name=ctl.model, err=message))
                    st.info(t("gen_use_other"))
    if ready:
        with tab_sample:
            sample_section(ctl, choice)
        with tab_latent:
            latent_section(ctl)
    with tab_train:
        try:
            train_section()
        except DatasetUnavailable as exc:
            st.error(user_message(exc))


render()
