"""Reference metrics per unit, against a small table worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from dashboard.metrics import reference_values

UNITS = pd.DataFrame(
    {
        "code": ["1", "2"],
        "name_zh": ["甲区", "乙县"],
        "name_en": ["Jia", "Yi"],
        "kind": ["district", "county"],
        "group": ["core", "county"],
        "population": [1000, 300],
    }
)
AREAS = {"1": 10.0, "2": 150.0}


@pytest.mark.parametrize(
    ("metric", "lang", "names", "values"),
    [
        ("population", "zh", ["甲区", "乙县"], [1000.0, 300.0]),
        ("area_km2", "en", ["Jia", "Yi"], [10.0, 150.0]),
        ("density", "en", ["Jia", "Yi"], [100.0, 2.0]),
    ],
)
def test_reference_values(metric, lang, names, values):
    expected = pd.DataFrame({"code": ["1", "2"], "group": ["core", "county"], "name": names, "value": values})
    assert_frame_equal(reference_values(UNITS, AREAS, metric, lang), expected)


def test_unknown_metric_is_refused():
    with pytest.raises(KeyError):
        reference_values(UNITS, AREAS, "happiness", "zh")
