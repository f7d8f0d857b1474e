// Adapters and experts.
