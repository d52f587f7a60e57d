"""A fitted torch classifier as if trained on a GPU, unpickled on a CPU-only machine."""

import pickle
import warnings

import numpy as np


def assert_loads_on_cpu_as_if_saved_on_cuda(clf, X, expected):
    """Pickle ``clf`` as if its net lived on CUDA; the copy must predict ``expected``.

    skorch stores tensors device-free and maps them to the CPU on unpickling
    when CUDA is absent, so this needs a machine without CUDA.
    """
    clf.net_.device = "cuda"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skorch's DeviceWarning says what we expect
        loaded = pickle.loads(pickle.dumps(clf))
    assert str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.predict_proba(X), expected)
