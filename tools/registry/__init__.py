"""Model registry capability: the registry store and drift statistics.

The drift engine lives in the `tools.registry.drift` sub-package (numpy/scipy only); the
registry store and the agent tools are separate modules of this package.
"""
