"""A re-implementation of the Numenta Anomaly Benchmark's scorer (numenta/NAB `nab/sweeper.py`,
`nab/optimizer.py`, `nab/scorer.py`, `nab/runner.py:normalize`), checked file by file against the
published scores of NAB's `numenta` and `windowedGaussian` detectors (tests/anomaly)."""
