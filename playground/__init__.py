"""Agent Playground: fine-tune a text agent from a labeled spreadsheet, no code needed.

Importing this package is cheap on purpose: no torch, no network, no file access.
Heavy libraries are imported inside the functions that need them.
"""

__version__ = "0.1.0"
