"""Fetch the pinned npm packages the page and sign-in tests use, before the suite runs.

``make test`` runs the SQLite and PostgreSQL suites side by side; both would
otherwise fetch axe-core and oidc-provider into the same ``.vendor/`` folders at
the same moment. Each download is verified against its pinned integrity, as
when a test fetches it. Without npm this does nothing: the tests that need the
packages say so themselves.
"""

from __future__ import annotations

import shutil
import sys


def main() -> int:
    if shutil.which("npm") is None or shutil.which("node") is None:
        print("npm/node not found: the axe and OIDC browser tests will say what is missing")
        return 0
    from tests.e2e.support import axe_source
    from tests.oidc.browser.idp import ensure_oidc_provider

    axe_source()
    ensure_oidc_provider()
    return 0


if __name__ == "__main__":
    sys.exit(main())
