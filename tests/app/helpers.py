"""What the page AppTests share: open a page through app.py, and read its text."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def open_page(script: str, lang: str = "en", timeout: float = 120, **state) -> AppTest:
    """app.py run once (language ``lang``, session ``state`` set first), then ``script``;
    fails on any exception."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.session_state["lang"] = lang
    for k, v in state.items():
        at.session_state[k] = v
    at.run()
    at.switch_page(script).run()
    assert not at.exception, at.exception
    return at


class GeneratedPicture:
    """A picture handed to Recognize the way Generate sends one (shaped like
    ``cvlib.samples.Sample``): put it in ``rec_generated`` with ``rec_sample="generated"``."""

    name = "generated"

    def __init__(self, data: bytes, label: str, model: str):
        self.data, self.label, self.model = data, label, model

    def read(self) -> bytes:
        return self.data


def image_captions(at: AppTest) -> list[str]:
    """The captions of the page's images (``st.image``), which ``at.caption`` does not hold."""
    return [c for el in at.get("image") for c in el.captions]


def texts(at: AppTest) -> str:
    """The page's visible prose: markdown, captions, headers, titles, errors and infos."""
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] +
                     [h.value for h in at.header] + [h.value for h in at.subheader] +
                     [h.value for h in at.title] + [e.value for e in at.error] +
                     [i.value for i in at.info])
