// Continual strategies and the trainer.
