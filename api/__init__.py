"""The HTTP API (FastAPI app factory, transparency endpoints) and the command line."""
