"""Safe model files: scorers are saved and loaded with skops, never with pickle.

Loading checks every type a skops file would construct (``skops.io.get_untrusted_types``) against an
explicit allow-list — `SocialCreditScorer` and scikit-learn classes — and refuses anything else.
Pickle and joblib files are refused outright: unpickling runs arbitrary code.
This module must not train or score, and knows no scorer class: it writes and reads objects
(``load_scorer``, in ``_protocol``, decides what the object read is).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import zipfile
from pathlib import Path
from typing import Any

from audit.exceptions import InvalidInputError, UnsafeModelFileError

__all__ = ["PICKLE_SUFFIXES", "TRUSTED_TYPES", "read_model", "save_scorer", "trusted_type"]

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


def read_model(path: Path) -> Any:
    """The object stored in a skops file, constructing only trusted types (see `trusted_type`).

    Raises
    ------
    UnsafeModelFileError
        A pickle/joblib file, or a skops file that would construct types outside the allow-list.
    InvalidInputError
        The file is missing, or is not a readable skops model file.
    """
    import skops.io as sio

    _refuse_unreadable(path)
    types = _checked_types(path)
    try:
        return sio.load(path, trusted=types)
    except Exception as e:
        raise InvalidInputError(
            f"'{path}' could not be loaded as a skops model file: {type(e).__name__}: {e}"
        ) from e


def _refuse_unreadable(path: Path) -> None:
    """Refuse a missing file, a pickle file and a file that is no zip archive (so no skops file)."""
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


def _checked_types(path: Path) -> list[str]:
    """The types the skops file would construct, all of them trusted (else refused, named)."""
    import skops.io as sio

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
    return types
