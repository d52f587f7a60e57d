"""Version of the sklearn-mmer package."""

__version__ = "0.1.0.dev0"
