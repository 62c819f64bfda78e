"""Model files: skops round trip; pickle/joblib and untrusted types refused; non-skops files named."""

import os
import pickle
import zipfile

import joblib
import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils.validation import check_array

from audit.exceptions import InvalidInputError, NotFittedError, UnsafeModelFileError
from audit.scoring import SocialCreditScorer, as_scorer, load_scorer
from audit.scoring._io import trusted_type

FEATURES = ["missed_repayments", "gaming_hours"]


class Gadget:
    """Not on the allow-list."""


def test_round_trip_is_exact(tmp_path, fitted, frame):
    path = tmp_path / "scorer.skops"
    fitted.save(path)
    loaded = load_scorer(path)
    assert isinstance(loaded, SocialCreditScorer)
    assert loaded.get_params()["rules"] == fitted.rules and loaded.threshold == 550
    np.testing.assert_array_equal(loaded.score(frame), fitted.score(frame))
    assert sorted(os.listdir(tmp_path)) == ["scorer.skops"]  # no temp file left behind


def test_save_refuses_pickle_suffix_and_unfitted(tmp_path, fitted):
    with pytest.raises(InvalidInputError, match=r"\.pkl is a pickle suffix"):
        fitted.save(tmp_path / "scorer.pkl")
    with pytest.raises(NotFittedError):
        SocialCreditScorer().save(tmp_path / "x.skops")
    with pytest.raises(InvalidInputError, match="does not exist"):
        fitted.save(tmp_path / "nope" / "x.skops")
    assert os.listdir(tmp_path) == []


def test_plain_classifier_file_is_wrapped(tmp_path, frame):
    clf = LogisticRegression().fit(frame[FEATURES], frame["observed"])
    sio.dump(clf, tmp_path / "clf.skops")
    scorer = load_scorer(tmp_path / "clf.skops", threshold=600)
    assert scorer.threshold == 600 and scorer.feature_names == FEATURES


@pytest.mark.parametrize("suffix", [".pkl", ".pickle", ".joblib"])
def test_pickle_suffixes_refused_with_why_and_how(tmp_path, suffix, fitted):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"anything")
    with pytest.raises(UnsafeModelFileError) as info:
        load_scorer(path)
    message = str(info.value)
    assert "runs arbitrary code" in message
    assert "as_scorer(model).save('scorer.skops')" in message


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_pickle_bytes_refused_whatever_the_name(tmp_path, protocol):
    path = tmp_path / "innocent.skops"
    path.write_bytes(pickle.dumps({"a": 1}, protocol=protocol))
    with pytest.raises(UnsafeModelFileError, match=f"pickle protocol {protocol} header"):
        load_scorer(path)


def test_joblib_file_refused(tmp_path, fitted):
    path = tmp_path / "model.bin"
    joblib.dump(fitted, path)
    with pytest.raises(UnsafeModelFileError, match="arbitrary code"):
        load_scorer(path)


def test_untrusted_types_refused_and_named(tmp_path):
    path = tmp_path / "gadget.skops"
    sio.dump({"x": Gadget()}, path)
    with pytest.raises(UnsafeModelFileError, match=r"test_io\.Gadget"):
        load_scorer(path)


def test_sklearn_function_is_not_a_trusted_class(tmp_path, frame):
    pipe = make_pipeline(FunctionTransformer(check_array), LogisticRegression())
    pipe.fit(frame[FEATURES].to_numpy(), frame["observed"])
    path = tmp_path / "pipe.skops"
    sio.dump(pipe, path)
    with pytest.raises(UnsafeModelFileError, match="sklearn.utils.validation.check_array"):
        load_scorer(path, feature_names=FEATURES)


def test_trusted_type_allow_list():
    assert trusted_type("audit.scoring._scorer.SocialCreditScorer")
    assert trusted_type("sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor")
    assert not trusted_type("posix.system")
    assert not trusted_type("builtins.eval")
    assert not trusted_type("sklearn.utils.validation.check_array")  # a function, not a class
    assert not trusted_type("sklearn.no_such_module.Thing")
    assert not trusted_type("sklearnx.Thing")


def test_not_a_skops_file(tmp_path):
    text = tmp_path / "scores.csv"
    text.write_text("person_id,score\n1,600\n")
    with pytest.raises(InvalidInputError, match="not a skops model file"):
        load_scorer(text)
    other_zip = tmp_path / "other.skops"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(InvalidInputError, match="not a readable skops model file"):
        load_scorer(other_zip)
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_scorer(tmp_path / "missing.skops")
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_scorer(tmp_path)


def test_skops_file_without_a_scorer(tmp_path):
    path = tmp_path / "list.skops"
    sio.dump([1, 2, 3], path)
    with pytest.raises(InvalidInputError, match="holds a list, not a scorer"):
        load_scorer(path)


def test_conversion_recipe_from_the_error_message(tmp_path, frame):
    # What the refusal message tells users to do with a model they trust.
    clf = LogisticRegression().fit(frame[FEATURES], frame["observed"])
    joblib.dump(clf, tmp_path / "model.joblib")
    model = joblib.load(tmp_path / "model.joblib")  # the user's own trusted session
    as_scorer(model).save(tmp_path / "scorer.skops")
    loaded = load_scorer(tmp_path / "scorer.skops")
    np.testing.assert_array_equal(loaded.score(frame), as_scorer(clf).score(frame))
