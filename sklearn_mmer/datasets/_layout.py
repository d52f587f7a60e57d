"""Conventions of the data model and of the on-disk layout."""

# Labels 0..3 of the IEMOCAP four-class setup, in order.
IEMOCAP_LABELS = ("anger", "sadness", "happiness", "neutral")

# Feature dimensions of the extractors the reference study used.
IEMOCAP_DIMS = {"visual": 2048, "acoustic": 128, "lexical": 768}
