"""Hypothesis strategies and random volumes shared by the format round-trip tests."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

DTYPES = ["uint8", "uint16", "int32", "float32", "bool"]
UNITS = ["nm", "µm", "mm", "m", "voxel"]
volumes = st.sampled_from(DTYPES).flatmap(lambda dt: hnp.arrays(dt, st.tuples(*[st.integers(1, 9)] * 3)))
spacings = st.tuples(*[st.floats(1e-3, 1e3)] * 3)
json_values = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False),
                        st.text(st.characters(exclude_categories=["Cs"]), max_size=8), st.booleans())
metas = st.dictionaries(st.text(st.characters(exclude_categories=["Cs"]), max_size=8).filter(
    lambda k: k not in ("format", "source")), json_values | st.lists(json_values, max_size=3), max_size=4)


def random_volume(dtype: str, shape, seed: int) -> np.ndarray:
    """A volume of ``dtype`` filled with seeded random values over the dtype's whole range."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if dtype.startswith("float"):
        return rng.normal(size=shape).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True, dtype=dtype)
