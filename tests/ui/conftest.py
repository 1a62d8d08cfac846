"""A live app on a free port with its own runs folder, for gradio_client and browser tests."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from playground.config import RunConfig


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def form(**overrides) -> list:
    """The settings form's values, in order, for a config with ``overrides``."""
    from playground.ui.tab_settings import form_names

    config = RunConfig(**overrides)
    return [getattr(config, name) for name in form_names()]


def tiny_form(**extra) -> list:
    """Settings that let the tiny test model learn in seconds."""
    return form(**{"epochs": 3, "learning_rate": 5e-3, "batch_size": 8, "max_length": 32,
                   "precision": "fp32", "early_stopping_patience": 0, **extra})


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory):
    from playground.service.jobs import TrainingService
    from playground.ui.app import launch

    runs = tmp_path_factory.mktemp("app-runs")
    service = TrainingService(runs, poll_s=0.2, gpu_count=0)
    port = free_port()
    app = launch(service, port=port, block=False)
    yield f"http://127.0.0.1:{port}/", service
    app.close()
    service.shutdown(cancel_running=True)


@pytest.fixture(scope="module")
def assets() -> Path:
    return Path(__file__).resolve().parents[2] / "assets"
