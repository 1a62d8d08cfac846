"""The training core: classic and fine-tuned text classifiers, their worker, their agents.

Nothing here imports the service or the UI.
"""
