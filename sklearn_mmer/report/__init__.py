"""Write a comparison as tables, figures, JSON and one Markdown report."""

from ._environment import environment
from ._figures import (
    plot_comparison,
    plot_confusion_matrices,
    plot_modality_importance,
    plot_pairwise,
    plot_per_class_f1,
)
from ._metadata import RunMetadata
from ._search import format_search, write_search_report
from ._tables import format_mean_std, format_summary
from ._write import write_report

__all__ = [
    "RunMetadata",
    "environment",
    "format_mean_std",
    "format_search",
    "format_summary",
    "plot_comparison",
    "plot_confusion_matrices",
    "plot_modality_importance",
    "plot_pairwise",
    "plot_per_class_f1",
    "write_report",
    "write_search_report",
]
