"""Fault injectors with their undo; every module here registers its faults on import."""
