"""Settings for every pytest session in this checkout (tests, doctests and notebooks)."""

import os


def pytest_configure(config):
    """pytest-playwright empties its output folder (default ``test-results``) at the start
    of every session, even one without a browser test: give it a subfolder, so the
    notebooks' screenshots in ``test-results/`` survive other test runs."""
    if getattr(config.option, "output", None) == "test-results":
        config.option.output = os.path.join("test-results", "playwright")
