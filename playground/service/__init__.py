"""The training service: prepare runs, queue them, start and watch their workers."""
