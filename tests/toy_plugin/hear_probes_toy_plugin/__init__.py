"""A toy hear-probes plug-in: one model and one probe, registered through entry points."""
