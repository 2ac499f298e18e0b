"""SAS lines: the configuration model and the adapter (``agent.lines.sas.adapter``)."""
