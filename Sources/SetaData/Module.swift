// Task streams and scoring.
