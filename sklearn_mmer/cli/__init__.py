"""The ``sklearn-mmer`` command line: ``run`` the comparison, ``search`` a grid."""

from ._main import main

__all__ = ["main"]
