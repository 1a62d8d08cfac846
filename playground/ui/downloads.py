"""Files the app writes for a user to download (labelled files, settings, bundles, scripts).

They are written straight into gradio's temporary folder, each in a folder of its own (two
users never share one): gradio then serves the file where it is, instead of copying it
there and leaving the original behind, and its hourly clean-up (app.DELETE_CACHE) removes
it with the uploads.
"""

from __future__ import annotations

import secrets
from pathlib import Path


def download_path(name: str) -> Path:
    """A fresh path called ``name`` in gradio's temporary folder."""
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder()) / f"playground-{secrets.token_hex(8)}"
    folder.mkdir(parents=True)
    return folder / name
