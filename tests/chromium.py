"""What every real-browser test shares: Debian's Chromium driven by Playwright (its own
browser download does not work here), the marks that skip a test, saying why, where either
is missing, and the browser the `chromium` fixture (tests/conftest.py) launches."""

import shutil

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# pytestmark of every browser test module: run last (conftest), skip without Chromium.
BROWSER_TESTS = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
]
