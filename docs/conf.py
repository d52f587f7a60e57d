"""Sphinx configuration for the sklearn-mmer documentation."""

import sklearn_mmer

project = "sklearn-mmer"
author = "sklearn-mmer developers"
release = sklearn_mmer.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
templates_path = ["_templates"]
exclude_patterns = ["_build"]
html_theme = "alabaster"
# Docstrings inherited from sklearn (e.g. ``score``, StackingClassifier's)
# point at labels and glossary terms of sklearn's own docs; the build runs
# offline, so those stay plain text.
suppress_warnings = ["ref.ref", "ref.term"]
