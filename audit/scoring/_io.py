"""Safe model files: scorers are saved and loaded with skops, never with pickle.

Loading checks every type a skops file would construct (``skops.io.get_untrusted_types``) against an
explicit allow-list — `SocialCreditScorer` and scikit-learn classes — and refuses anything else.
Pickle and joblib files are refused outright: unpickling runs arbitrary code.
This module must not train or score.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import zipfile
from pathlib import Path
from typing import Any

from audit.exceptions import InvalidInputError, UnsafeModelFileError

__all__ = ["PICKLE_SUFFIXES", "TRUSTED_TYPES", "load_scorer", "save_scorer", "trusted_type"]

TRUSTED_TYPES = ("audit.scoring._scorer.SocialCreditScorer",)
"""Types trusted by name in model files, besides scikit-learn classes (``sklearn.*``)."""

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib", ".pck", ".pcl", ".sav", ".dill")
"""File suffixes refused as pickle-based formats."""

_CONVERT = (
    "To convert a model you trust: in a trusted session, load it yourself (e.g. "
    "joblib.load(path)) and run audit.as_scorer(model).save('scorer.skops')."
)


def trusted_type(name: str) -> bool:
    """True if a skops type name may be loaded: our scorer, or a class defined in scikit-learn.

    ``sklearn.*`` names are accepted only if they resolve to a class (functions are refused).
    Importing a scikit-learn module to check is safe; other modules are never imported.
    """
    if name in TRUSTED_TYPES:
        return True
    if not name.startswith("sklearn."):
        return False
    module_name, _, attr = name.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return False
    return isinstance(getattr(module, attr, None), type)


def _pickle_reason(path: Path) -> str | None:
    if path.suffix.lower() in PICKLE_SUFFIXES:
        return f"its suffix {path.suffix!r} marks a pickle-based file"
    with path.open("rb") as f:
        head = f.read(2)
    if len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return f"it starts with the pickle protocol {head[1]} header"
    return None


def save_scorer(scorer: Any, path: str | os.PathLike[str]) -> None:
    """Write a fitted scorer to ``path`` as a skops file, atomically (temp file + ``os.replace``).

    Raises
    ------
    InvalidInputError
        ``path`` has a pickle suffix (the file could never be loaded back), or its folder is missing.
    NotFittedError
        The scorer is not fitted.
    """
    import skops.io as sio

    path = Path(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise InvalidInputError(
            f"Cannot save a scorer to '{path}': {path.suffix} is a pickle suffix and load_scorer "
            "refuses pickle files. Use a .skops file name."
        )
    if not path.parent.is_dir():
        raise InvalidInputError(f"Cannot save to '{path}': folder '{path.parent}' does not exist.")
    scorer._require_fitted("save")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        sio.dump(scorer, tmp, compression=zipfile.ZIP_DEFLATED)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def load_scorer(
    path: str | os.PathLike[str],
    *,
    threshold: float | None = None,
    feature_names: list[str] | None = None,
) -> Any:
    """Load a scorer from a skops file, constructing only trusted types.

    Parameters
    ----------
    path : str or PathLike
        A file written by ``scorer.save(path)`` (or ``skops.io.dump`` of a fitted scikit-learn
        classifier, which is then wrapped with ``as_scorer``).
    threshold, feature_names
        Only for a file holding a plain classifier (see ``as_scorer``).

    Returns
    -------
    Scorer

    Raises
    ------
    UnsafeModelFileError
        A pickle/joblib file (loading it would run arbitrary code), or a skops file that would
        construct types outside the allow-list (they are named).
    InvalidInputError
        The file is missing, or is not a skops model file, or holds no scorer.

    Examples
    --------
    >>> load_scorer("model.pkl")  # doctest: +SKIP
    Traceback (most recent call last):
    UnsafeModelFileError: Refusing to load 'model.pkl': ...
    """
    import skops.io as sio

    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"Model file '{path}' does not exist (or is not a file).")
    reason = _pickle_reason(path)
    if reason:
        raise UnsafeModelFileError(
            f"Refusing to load '{path}': {reason}, and loading pickle or joblib files runs "
            f"arbitrary code stored in them. Scorers are loaded only from skops files. {_CONVERT}"
        )
    if not zipfile.is_zipfile(path):
        raise InvalidInputError(
            f"'{path}' is not a skops model file (skops files are zip archives; this one is "
            "not). Save scorers with scorer.save('scorer.skops')."
        )
    try:
        types = sio.get_untrusted_types(file=path)
    except Exception as e:
        raise InvalidInputError(
            f"'{path}' is not a readable skops model file: {type(e).__name__}: {e}"
        ) from e
    refused = [t for t in types if not trusted_type(t)]
    if refused:
        raise UnsafeModelFileError(
            f"Refusing to load '{path}': it would construct types outside the allow-list "
            f"(audit's SocialCreditScorer and scikit-learn classes): {', '.join(refused)}. "
            "Inspect the file with skops.io.get_untrusted_types and load it yourself only if "
            "you trust its source."
        )
    try:
        obj = sio.load(path, trusted=types)
    except Exception as e:
        raise InvalidInputError(
            f"'{path}' could not be loaded as a skops model file: {type(e).__name__}: {e}"
        ) from e
    from audit.scoring._protocol import as_scorer
    from audit.scoring._scorer import SocialCreditScorer

    if isinstance(obj, SocialCreditScorer):
        if threshold is not None or feature_names is not None:
            raise InvalidInputError(
                f"'{path}' holds a SocialCreditScorer with its own threshold and feature_names; "
                "set them on the loaded scorer instead (scorer.set_params(threshold=...))."
            )
        obj._require_fitted("use")
        return obj
    if hasattr(obj, "predict_proba"):
        return as_scorer(obj, threshold=threshold, feature_names=feature_names)
    raise InvalidInputError(
        f"'{path}' holds a {type(obj).__name__}, not a scorer or a classifier with predict_proba."
    )
