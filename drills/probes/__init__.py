"""Read-only probes that scenarios name; every module here registers its probes on import."""
