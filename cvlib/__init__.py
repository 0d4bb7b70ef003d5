"""cvlib: the library under CV Lab.

Importing ``cvlib`` is cheap: it imports neither TensorFlow nor Streamlit. Heavy imports
happen in the submodule that needs them (``cvlib.train``, ``cvlib.zoo.load`` ...), so the
home page renders fast and a notebook pays only for what it uses.

Example:
    >>> import cvlib.data
    >>> x, y, info = cvlib.data.load_dataset("mnist", split="test")  # doctest: +SKIP
    >>> info.source  # doctest: +SKIP
    'CVLIB_DATA_DIR'
    >>> import cvlib
    >>> sorted(cvlib.TASKS)
    ['classify', 'detect', 'generate', 'segment', 'sequence']
"""

__version__ = "0.1.0"


class CVLibError(Exception):
    """Base class of every error cvlib raises on purpose.

    Its message (``str(exc)``) is written for the user of the app, in English: what went
    wrong and what to try. For a user interface that speaks other languages it also
    carries a machine-readable ``kind`` (a short id, unique across cvlib, e.g.
    ``"video_too_long"``; ``None`` when the raise site gives none) and the ``params`` the
    message was made from (plain numbers and strings), so the UI can word the same error
    from its own catalogs (ui/models.py: ``user_message``, keys ``err_<kind>``) and fall
    back to the English message for a kind it does not know.

    Example:
        >>> err = CVLibError("The video is empty (0 bytes).", kind="video_empty")
        >>> str(err), err.kind, err.params
        ('The video is empty (0 bytes).', 'video_empty', {})
    """

    def __init__(self, *args, kind: str | None = None, **params):
        super().__init__(*args)
        self.kind = kind
        self.params = params


TASKS = ("classify", "generate", "segment", "detect", "sequence")


def load(task: str, name: str):
    """The predictor of ``task`` for ``name`` (a registry name or ``"run:<id>"``).

    See :func:`cvlib.predictor.load`; imports only the module of that task.
    """
    from cvlib.predictor import load as _load
    return _load(task, name)
