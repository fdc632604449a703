"""Scenario comparisons, by their older address: the work is done in ``statistics`` (numbers),
``tables`` (loading and formatting), ``figures`` and ``report`` (``compare``, ``report.md``)."""

from .figures import FigureMaker
from .report import Analysis, compare, compare_results, held_equal
from .statistics import (
                         along_axis,
                         bounded_mean_ci,
                         end_values,
                         mean_ci,
                         paired_differences,
                         relative_ci,
                         summarise,
)
from .tables import fill_dropped, fmt, headline_table, load_metrics, ordered, pct, signed

__all__ = ["Analysis", "FigureMaker", "along_axis", "bounded_mean_ci", "compare", "compare_results",
           "end_values", "fill_dropped", "fmt", "headline_table", "held_equal", "load_metrics",
           "mean_ci", "ordered", "paired_differences", "pct", "relative_ci", "signed", "summarise"]
