// Continual-learning metrics.
