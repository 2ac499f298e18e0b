"""GAPI lines: the configuration model (the adapter comes with the GAPI issue)."""
