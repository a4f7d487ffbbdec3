"""Model performance with delayed ground truth: predictions and their later outcomes, realised
performance over windows against the version's reference metrics, estimated performance
before the labels arrive (CBPE for classifiers, DLE for regressors; `estimate.py`), and
fairness by segment (`fairness.py`)."""
