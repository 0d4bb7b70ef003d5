"""Every UI string exists in English and 中文, with the same placeholders."""

from __future__ import annotations

import re
import string

from tests.conftest import ROOT
from ui.i18n import LANGS, catalog, page_catalogs

TEXT = {k: (v, catalog("zh").get(k, "")) for k, v in catalog("en").items()}


def _fields(s: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(s) if f}


def test_every_catalog_has_the_same_pages_keys_and_placeholders():
    en = page_catalogs("en")
    for language in LANGS:
        other = page_catalogs(language)
        assert set(other) == set(en), language
        for page, texts in en.items():
            assert set(other[page]) == set(texts), (language, page)
            for key, text in texts.items():
                assert other[page][key].strip(), (language, page, key)
                assert _fields(other[page][key]) == _fields(text), (language, key)


def test_every_key_has_both_languages():
    for key, pair in TEXT.items():
        assert len(pair) == 2, key
        en, zh = pair
        assert en.strip() and zh.strip(), key
        assert _fields(en) == _fields(zh), key


def test_keys_used_in_pages_exist():
    used = set()
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]
    for path in files:
        if path.name != "i18n.py":
            used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+)["']\s*[,)]""",
                                   path.read_text()))
    assert "train_title" in used          # the scan finds keys at all
    missing = sorted(k for k in used if k not in TEXT)
    assert not missing, missing


def test_every_listed_page_has_its_texts():
    text = (ROOT / "app.py").read_text()
    keys = re.findall(r'\("pages/\w+\.py", "(\w+)"', text)
    assert "train" in keys
    for key in keys:
        assert f"nav_{key}" in TEXT and f"page_{key}_desc" in TEXT, key


def _fstring_templates() -> dict[str, set[str]]:
    """``t(f"...")`` calls in the UI code, as "prefix{}suffix" -> files using it."""
    found: dict[str, set[str]] = {}
    files = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").rglob("*.py")]
    for path in files:
        text = path.read_text()
        for m in re.finditer(r"""\bt\(\s*f(["'])(.*?)\1\s*[,)]""", text):
            body = m.group(2)
            template = re.sub(r"\{[^{}]*(\{[^{}]*\}[^{}]*)*\}", "{}", body)
            found.setdefault(template, set()).add(path.name)
    return found


def _domains() -> dict[str, tuple]:
    """Every value each f-string key can take, from the constants the code uses."""
    from cvlib import learn, train
    from cvlib.imageio import ERROR_KINDS
    from cvlib.learn_remedies import REMEDIES
    from ui.learn_sections.common import SECTIONS
    app = (ROOT / "app.py").read_text()
    pages = tuple(re.findall(r'\("pages/\w+\.py", "(\w+)"', app)) + ("home",)
    job_status = ("pending", "running", "stopping", "stopped", "finished", "failed")
    job_status += ("queued", "cancelled")   # waiting in / left the job queue (cvlib.jobs)
    job_status += ("interrupted",)    # a run whose server process ended (cvlib.runs)
    return {
        "ds_{}": train.LIVE_DATASETS, "opt_{}": train.LIVE_OPTIMIZERS,
        "sched_{}": train.LIVE_SCHEDULES, "status_{}": job_status,
        "nav_{}": pages, "map_{}": ("background", "concepts", "algorithm", "example",
                                    "applications", "tools", "trends"),
        "map_{}_text": ("background", "concepts", "algorithm", "example", "applications",
                        "tools", "trends"),
        "faq_{}_q": ("arch", "overfit", "lr"), "faq_{}_a": ("arch", "overfit", "lr"),
        "learn_act_{}": learn.ACTIVATIONS, "learn_ds_{}": learn.DATASETS,
        "learn_opt_{}": tuple(learn.OPTIMIZERS), "learn_surf_{}": tuple(learn.SURFACES),
        "learn_rem_{}": tuple(REMEDIES), "learn_sec_{}": SECTIONS,
        "learn_status_{}": ("converged", "slow", "diverged"),
        "learn_bp_phase_{}": ("start", "forward", "loss", "backward", "update"),
        "learn_{}": ("accuracy", "loss"),
        "gen_hint_{}": ("d_wins", "mode_collapse", "ok"),
        "rec_source_{}": ("samples", "upload", "camera", "draw"),
        "rec_empty_{}": ("upload", "camera"),
        "rec_lab_{}": ("noise", "blur", "rotate", "brightness", "patch", "fgsm"),
        "rec_ood_set_{}": __import__("cvlib.calibration", fromlist=["OOD_SETS"]).OOD_SETS,
        "decode_{}": ERROR_KINDS,
        "vid_live_js_{}": __import__("ui.live_camera", fromlist=["STRINGS"]).STRINGS,
        "err_{}": tuple(sorted({kind for path, _, _, kind, _ in _error_raises()
                                if kind not in (None, "*") and path != "cvlib/imageio.py"})),
    }


def test_keys_built_with_fstrings_exist_for_every_value():
    en = catalog("en")
    templates = _fstring_templates()
    assert "nav_{}" in templates            # the scan finds f-string keys at all
    domains = _domains()
    unknown = sorted(tk for tk in templates if tk not in domains)
    assert not unknown, (f"t(f'...') keys without a domain in test_i18n._domains(): "
                         f"{unknown}; add the values each can take")
    missing = sorted(tk.replace("{}", str(v)) for tk, vals in domains.items()
                     if tk in templates for v in vals if tk.replace("{}", str(v)) not in en)
    assert not missing, missing


def test_decode_errors_models_and_classes_in_chinese(monkeypatch):
    """cvlib stays English; ui/models.py shows its errors, model descriptions and class
    names in the session's language."""
    import ui.i18n
    import ui.models
    from cvlib.imageio import ImageDecodeError, decode_image
    monkeypatch.setattr(ui.i18n, "lang", lambda: "zh")
    monkeypatch.setattr(ui.models, "lang", lambda: "zh")
    with __import__("pytest").raises(ImageDecodeError) as info:
        decode_image(b"", name="a.png")
    zh = ui.models.decode_error(info.value)
    assert "a.png" in zh and "空" in zh and "empty" not in zh
    assert ui.models.describe("mnist_cnn") == catalog("zh")["model_desc_mnist_cnn"]
    assert ui.models.class_label("Trouser", "fashion_mnist") == "裤子"
    assert ui.models.class_label("cat", "cifar10") == "猫"
    assert ui.models.class_label("background") == "背景"
    assert ui.models.class_label("7") == "7"
    assert ui.models.dataset_of(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]) \
        == "fashion_mnist"
    # every class of the data sets CV Lab ships models for has both languages
    from cvlib.data import CLASS_NAMES
    for dataset in ("fashion_mnist", "cifar10"):
        for name in CLASS_NAMES[dataset]:
            key = f"class_{dataset}_{ui.models.slug(name)}"
            assert key in TEXT, key


def _error_raises() -> list[tuple[str, int, str, str | None, set[str]]]:
    """Every ``raise`` of a cvlib.CVLibError subclass in cvlib, from the source (AST):
    (file, line, class, kind or None, names of its params). The classes are found the
    same way: CVLibError and every class deriving from one (``error`` is the name under
    which cvlib.predictor.registry_predictor, and others, raise a class chosen at run
    time). A kind that is not a string constant (``kind=exc.kind``: an error passed on
    with the kind and params of one raised elsewhere, checked there) is given as "*"."""
    import ast
    trees = {p: ast.parse(p.read_text()) for p in sorted((ROOT / "cvlib").rglob("*.py"))}
    classes, grew = {"CVLibError"}, True
    while grew:
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in classes and any(
                        getattr(b, "id", getattr(b, "attr", None)) in classes
                        for b in node.bases):
                    classes.add(node.name)
                    grew = True
    out = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            call = node.exc
            cls = getattr(call.func, "id", getattr(call.func, "attr", ""))
            if cls not in classes | {"error"}:
                continue
            kw = {k.arg: k.value for k in call.keywords if k.arg}
            kind = kw.get("kind")
            if kind is None and len(call.args) > 1:      # ImageDecodeError(message, kind)
                kind = call.args[1]
            kind = kind.value if isinstance(kind, ast.Constant) else \
                ("*" if kind is not None else None)
            out.append((path.relative_to(ROOT).as_posix(), node.lineno, cls, kind,
                        set(kw) - {"kind"}))
    return out


def test_every_cvlib_error_has_a_kind_worded_in_both_languages():
    """Every error cvlib raises on purpose carries a ``kind`` whose catalog text exists in
    English and Chinese with placeholders the raise site fills (ui.models.user_message
    words it; an image-decode kind goes through decode_<kind>)."""
    from cvlib.imageio import ERROR_KINDS
    raises = _error_raises()
    assert len(raises) > 50 and any(r[2] == "VideoDecodeError" for r in raises)
    en, zh = catalog("en"), catalog("zh")
    problems = []
    for path, line, cls, kind, params in raises:
        where = f"{path}:{line} {cls}"
        if not kind:
            problems.append(f"{where} raises without kind= (see cvlib.CVLibError)")
        elif kind == "*":       # passed on from an error checked where it is raised
            continue
        elif path == "cvlib/imageio.py":
            if kind not in ERROR_KINDS or f"decode_{kind}" not in en:
                problems.append(f"{where}: image-decode kind {kind!r} without decode_{kind}")
        elif f"err_{kind}" not in en or f"err_{kind}" not in zh:
            problems.append(f"{where}: add err_{kind} to ui/locales/*/errors.json")
        else:
            fields = _fields(en[f"err_{kind}"])
            # {what} is made by the UI from a "name" param (a file); every other param shows
            if _fields(zh[f"err_{kind}"]) != fields or not fields <= params | {"what"} \
                    or not params - {"name"} <= fields:
                problems.append(f"{where}: err_{kind} has {sorted(fields)}, the raise "
                                f"gives {sorted(params)}")
    assert not problems, "\n".join(problems)
