"""GAPI v1 protocol core (sans-I/O). Implemented by a later issue."""
