"""Real-time delivery: the durable event log is the truth, the bus only wakes processes up."""
