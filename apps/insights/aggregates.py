"""SQL building blocks for the dashboards: percentiles and durations computed by PostgreSQL."""

from typing import Any

from django.db.models import Aggregate, F, FloatField, Func
from django.db.models.expressions import Combinable


class Percentile(Aggregate):
    """``percentile_cont(p) WITHIN GROUP (ORDER BY expr)``: p is a fixed literal from our code."""

    function = "percentile_cont"
    name = "Percentile"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: str | Combinable, fraction: float, **extra: Any) -> None:
        if not 0 <= float(fraction) <= 1:
            raise ValueError("fraction must be between 0 and 1")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def Median(expression: str | Combinable, **extra: Any) -> Percentile:
    return Percentile(expression, 0.5, **extra)


def P90(expression: str | Combinable, **extra: Any) -> Percentile:
    return Percentile(expression, 0.9, **extra)


class Seconds(Func):
    """Seconds between two timestamps: ``EXTRACT(EPOCH FROM (end - start))``."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, end: str, start: str, **extra: Any) -> None:
        super().__init__(F(end), F(start), **extra)
