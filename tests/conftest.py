"""Suite-wide settings: no skip goes unnoticed in CI, and nothing writes outside tmp dirs."""

import os

import pytest
from servers import postgres_server, s3_server  # noqa: F401  (session fixtures)

IN_CI = bool(os.environ.get("CI"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (``CI`` set) a skipped test is a failure: every test must run there.

    Locally a test may skip when an optional tool (chromium, the raw shared data) is
    missing; CI installs all of them, so a skip there means a broken install step.
    """
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped in CI, where every test must run: {reason}"


@pytest.fixture(autouse=True, scope="session")
def _vzb_home(tmp_path_factory):
    """Runners created without a store write under a temporary VZB_HOME, not ./.vzb."""
    previous = os.environ.get("VZB_HOME")
    os.environ["VZB_HOME"] = str(tmp_path_factory.mktemp("vzb_home"))
    yield
    if previous is None:
        os.environ.pop("VZB_HOME", None)
    else:
        os.environ["VZB_HOME"] = previous
