"""End-to-end tests: the real app under uvicorn, driven by headless Chromium."""
