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

    Its message is written for the user of the app: what went wrong and what to try.
    """


TASKS = ("classify", "generate", "segment", "detect", "sequence")


def load(task: str, name: str):
    """The predictor of ``task`` for ``name`` (a registry name or ``"run:<id>"``).

    See :func:`cvlib.predictor.load`; imports only the module of that task.
    """
    from cvlib.predictor import load as _load
    return _load(task, name)
