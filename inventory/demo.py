"""Demo data of this module for `manage.py load_demo`."""


def load_demo() -> str:
    """Create the module's demo data if missing; running it twice changes nothing. Returns a one-line summary."""
    return "No demo data for this module yet."
