"""Development tools, outside the shipped package: run from the repository root
with the dev dependencies installed (``python -m tools.<name>``). Nothing in
``gvi/`` imports them."""
