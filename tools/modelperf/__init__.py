"""Model performance with delayed ground truth, and fairness by segment."""
