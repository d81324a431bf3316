"""Grid worker pages: tasks with on-site verification and the patrol report (``worker``)."""
