"""QR codes of TOTP provisioning URIs, made by the app (segno): inline SVG for the
enrolment page, text for the terminal. No CDN, no script, and the secret never
goes into a URL of ours."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup

# Medium error correction: phone cameras read it from a screen or a printout.
_ERROR = "m"


def qr_svg(uri: str, title: str = "QR") -> Markup:
    """The URI as an inline ``<svg>`` element (no XML declaration, no script)."""
    svg = segno.make(uri, error=_ERROR).svg_inline(
        scale=4, title=title, svgclass="totp-qr", lineclass=None, light="#fff"
    )
    # segno escapes what it writes; the markup is its own, never user text.
    return Markup(svg)  # noqa: S704


def qr_terminal(uri: str) -> str:
    """The URI as a QR code drawn with block characters, for a terminal."""
    out = io.StringIO()
    segno.make(uri, error=_ERROR).terminal(out=out, compact=True)
    return out.getvalue()
