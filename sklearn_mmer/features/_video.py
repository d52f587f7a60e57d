"""Video: faces found in frames sampled at a rate, embedded by a torch model."""

from __future__ import annotations

import contextlib
import os
from functools import cache
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from ._base import MediaExtractor, MediaProblem, check_file, media_path

# ImageNet statistics: what torchvision's pretrained models expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@cache
def _face_detector():
    """OpenCV's shipped frontal-face Haar cascade, loaded once per process."""
    import cv2

    path = os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml")
    detector = cv2.CascadeClassifier(path)
    if detector.empty():
        raise RuntimeError(f"OpenCV could not load its face detector {path!r}.")
    return detector


def sample_frames(item, fps: float, *, input_fps: float | None, max_frames):
    """Return RGB uint8 frames sampled every ``1 / fps`` seconds."""
    path = media_path(item)
    if path is None:
        frames = np.asarray(item)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise MediaProblem(
                "bad_input",
                "expected a video path or uint8 RGB frames (frames, height, "
                f"width, 3), got {type(item).__name__} of shape {np.shape(item)}",
            )
        if input_fps is None:
            raise MediaProblem(
                "bad_input", "in-memory frames need their rate: set input_fps"
            )
        step = max(1, round(input_fps / fps))
        return list(frames[::step][:max_frames]), "the frames"
    import cv2

    check_file(path)
    capture = cv2.VideoCapture(path)
    try:
        if not capture.isOpened():
            raise MediaProblem("unreadable", f"{path!r} cannot be opened as a video")
        rate = capture.get(cv2.CAP_PROP_FPS) or fps
        frames, index, next_time = [], 0, 0.0
        while max_frames is None or len(frames) < max_frames:
            ok, frame = capture.read()
            if not ok:
                break
            # Keep the first frame at or after each sampling instant.
            if index / rate >= next_time - 1e-9:
                frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                next_time += 1.0 / fps
            index += 1
    finally:
        capture.release()
    if index == 0:
        raise MediaProblem("empty", f"{path!r} holds no decodable frame")
    return frames, repr(path)


class FaceEmbeddings(MediaExtractor):
    """Face embeddings from video frames sampled at a rate.

    Frames are taken every ``1 / fps`` seconds; in each, OpenCV's shipped
    Haar cascade finds the faces and the largest is cropped, resized to
    ``face_size`` pixels square, scaled to ``[0, 1]``, normalised by
    ``mean`` and ``std``, and passed to ``model``. Each cell is a float32
    array ``(frames, dim)``, one row per sampled frame that shows a face.

    A frame without a face is left out of the sequence (``no_face="drop"``)
    or embedded whole (``"whole_frame"``). A video in which no sampled frame
    shows a face is a problem (``no_face``): an error, or with
    ``on_error="skip"`` an empty cell listed as such, never a sequence of
    zero frames.

    Needs the optional extra ``[video]`` (opencv-python-headless).

    Parameters
    ----------
    model : torch.nn.Module
        Maps a float batch ``(n, 3, face_size, face_size)`` to ``(n, dim)``
        (more dimensions are flattened), e.g. a torchvision ResNet without
        its last layer, with weights you have on disk. A ``torch.nn.Module``
        is moved to ``device`` and put in eval mode, in place, as torch's
        ``.to()`` and ``.eval()`` do.
    fps : float, default=2.0
        Frames sampled per second of video.
    face_size : int, default=112
        Side of the square face crop given to the model.
    no_face : {"drop", "whole_frame"}, default="drop"
        What to do with a sampled frame in which no face is found.
    max_frames : int, default=None
        Most frames sampled per video (from the start); None for all.
    mean, std : tuple of 3 floats, default=ImageNet's
        Per-channel normalisation of the RGB crop in ``[0, 1]``.
    min_face_size : int, default=30
        Smallest face, in pixels, the detector looks for.
    input_fps : float, default=None
        Frame rate of in-memory frames ``(frames, height, width, 3)``.
    batch_size : int, default=32
        Faces passed to the model at once.
    device : str, default="cpu"
        Where the model runs.
    on_error : {"raise", "skip"}, default="raise"
        A missing, unreadable or faceless video raises
        :class:`ExtractionError`, or leaves the cell ``None`` (``"skip"``).
    modality : str, default="visual"
        Name of the output column.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_mmer.features import FaceEmbeddings
    >>> model = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten())
    >>> frames = np.zeros((4, 64, 64, 3), dtype=np.uint8)  # no face anywhere
    >>> embed = FaceEmbeddings(model, no_face="whole_frame", input_fps=2, fps=2)
    >>> embed.fit_transform([frames])["visual"][0].shape
    (4, 12)
    """

    # ``extract_features`` resolves this column's cells as files in MEDIA_DIR.
    _reads_files = True
    _requires = (("cv2", "video"),)

    _parameter_constraints: dict = {
        **MediaExtractor._parameter_constraints,
        "model": [callable],
        "fps": [Interval(Real, 0, None, closed="neither")],
        "face_size": [Interval(Integral, 8, None, closed="left")],
        "no_face": [StrOptions({"drop", "whole_frame"})],
        "max_frames": [Interval(Integral, 1, None, closed="left"), None],
        "mean": [tuple, list],
        "std": [tuple, list],
        "min_face_size": [Interval(Integral, 1, None, closed="left")],
        "input_fps": [Interval(Real, 0, None, closed="neither"), None],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str],
    }

    def __init__(
        self,
        model,
        *,
        fps: float = 2.0,
        face_size: int = 112,
        no_face: str = "drop",
        max_frames: int | None = None,
        mean: tuple = IMAGENET_MEAN,
        std: tuple = IMAGENET_STD,
        min_face_size: int = 30,
        input_fps: float | None = None,
        batch_size: int = 32,
        device: str = "cpu",
        on_error: str = "raise",
        modality: str = "visual",
    ):
        self.model = model
        self.fps = fps
        self.face_size = face_size
        self.no_face = no_face
        self.max_frames = max_frames
        self.mean = mean
        self.std = std
        self.min_face_size = min_face_size
        self.input_fps = input_fps
        self.batch_size = batch_size
        self.device = device
        self.on_error = on_error
        self.modality = modality

    def _extract_one(self, item) -> np.ndarray:
        self.check_extras()
        frames, where = sample_frames(
            item, self.fps, input_fps=self.input_fps, max_frames=self.max_frames
        )
        if not frames:
            raise MediaProblem("empty", f"{where} holds no frame")
        crops = [crop for crop in map(self._face_crop, frames) if crop is not None]
        if not crops:
            raise MediaProblem(
                "no_face",
                f"no face found in any of the {len(frames)} frame(s) sampled from "
                f"{where} at {self.fps} per second",
            )
        return self._embed(np.stack(crops))

    def detect_faces(self, frame: np.ndarray) -> np.ndarray:
        """Return the faces in an RGB frame as ``(x, y, width, height)`` rows."""
        import cv2

        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        faces = _face_detector().detectMultiScale(
            gray,
            scaleFactor=1.1,
            minNeighbors=5,
            minSize=(self.min_face_size, self.min_face_size),
        )
        return np.asarray(faces, dtype=int).reshape(-1, 4)

    def _face_crop(self, frame):
        import cv2

        faces = self.detect_faces(frame)
        if len(faces):
            x, y, w, h = faces[np.argmax(faces[:, 2] * faces[:, 3])]
            frame = frame[y : y + h, x : x + w]
        elif self.no_face == "drop":
            return None
        size = (self.face_size, self.face_size)
        return cv2.resize(frame, size, interpolation=cv2.INTER_AREA)

    def _embed(self, crops: np.ndarray) -> np.ndarray:
        import torch

        images = torch.from_numpy(crops).permute(0, 3, 1, 2).float().div_(255)
        mean = torch.tensor(self.mean, dtype=torch.float32).view(1, 3, 1, 1)
        std = torch.tensor(self.std, dtype=torch.float32).view(1, 3, 1, 1)
        images = (images - mean) / std
        model = self.model
        if isinstance(model, torch.nn.Module):
            model = model.to(self.device)
            # Dropout off, batch norm on its running statistics; a torch.export
            # module refuses eval(), being traced for inference already.
            with contextlib.suppress(NotImplementedError):
                model.eval()
        outputs = []
        with torch.inference_mode():
            for start in range(0, len(images), self.batch_size):
                batch = images[start : start + self.batch_size].to(self.device)
                outputs.append(model(batch).flatten(1).float().cpu())
        return torch.cat(outputs).numpy().astype(np.float32, copy=False)
