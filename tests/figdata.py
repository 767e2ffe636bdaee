"""Reading figures as the browser receives them: plotly sends numeric arrays as base64 typed arrays."""

from __future__ import annotations

import base64

import numpy as np


def values(array) -> list:
    """A trace attribute as a plain list, decoding plotly's {'dtype', 'bdata'} typed arrays."""
    if isinstance(array, dict) and "bdata" in array:
        data = np.frombuffer(base64.b64decode(array["bdata"]), dtype=np.dtype(array["dtype"]))
        return (
            data.reshape(array["shape"]).tolist() if "shape" in array and "," in str(array["shape"]) else data.tolist()
        )
    return list(array)
