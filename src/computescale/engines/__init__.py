"""Engines: the NumPy sweep, Monte Carlo (NumPy and Dask) and the Dask engine; each runs any model."""
