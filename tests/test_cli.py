"""The command line as a user runs it: a separate process, real files, real runs."""

from __future__ import annotations

import getpass
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import intent_rows

from playground.cli import main
from playground.runfolder import RunFolder


def playground(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "playground", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def _write(path: Path, rows, columns=("text", "intent")) -> Path:
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[str, tuple[Path, list[str], str]]:
    """name -> (file, extra args, words the message must contain)."""
    good = intent_rows()
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    png = tmp_path / "picture.csv"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    return {
        "missing": (tmp_path / "nope.csv", [], "not found"),
        "empty": (empty, [], "empty"),
        "not a table": (png, [], "not a table"),
        "no label column": (_write(tmp_path / "one_col.csv", [(t,) for t, _ in good],
                                   ("text",)), [], "label"),
        "given column missing": (_write(tmp_path / "ok.csv", good), ["--text-col", "body"],
                                 "body"),
        "one label": (_write(tmp_path / "one.csv", [(t, "x") for t, _ in good]), [],
                      "only one label"),
        "rare label": (_write(tmp_path / "rare.csv", good + [("odd one", "odd")]), [],
                       "odd"),
        "bad setting": (_write(tmp_path / "ok2.csv", good), ["--lr", "7"], "learning_rate"),
    }


def test_bad_input_exits_2_with_a_sentence_and_no_traceback(bad_files, tmp_path: Path) -> None:
    for name, (path, extra, words) in bad_files.items():
        result = playground("train", "--data", str(path), "--runs-dir", str(tmp_path / "r"),
                            "--model", "classic", *extra)
        assert result.returncode == 2, (name, result.stderr)
        assert "Traceback" not in result.stderr, name
        assert "error:" in result.stderr and words.lower() in result.stderr.lower(), \
            (name, result.stderr)


def test_train_json_then_predict_and_list(tmp_path: Path, intent_csv: Path,
                                         capsys) -> None:
    runs = tmp_path / "runs"
    result = playground("train", "--data", str(intent_csv), "--model", "classic",
                        "--runs-dir", str(runs), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["status"] == "succeeded"
    assert set(summary["metrics"]) == {"accuracy", "macro_f1", "baseline_accuracy",
                                       "classic_accuracy"}
    assert summary["metrics"]["accuracy"] > summary["metrics"]["baseline_accuracy"]
    assert set(summary["timings"]) == {"total_s", "train_s", "first_loss_s", "examples_per_s"}
    assert summary["peak_rss_mb"] > 0 and "held out" in summary["held_out"]
    assert "most common label accuracy" in result.stderr  # progress went to stderr
    owner = RunFolder(Path(summary["run_dir"])).read_status()["owner"]
    assert owner == {"cli": getpass.getuser()}  # a page may not stop it; the host may

    answer = playground("predict", summary["run_dir"], "I lost my card", "--json")
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["label"] == "lost_card"

    # a file, in this process (a process each would load torch again)
    texts = tmp_path / "texts.csv"
    pd.DataFrame({"message": ["good morning", "refund my order"]}).to_csv(texts, index=False)
    assert main(["predict", summary["run_dir"], "--csv", str(texts)]) == 0
    assert "rows/s once the model was loaded" in capsys.readouterr().out
    predicted = pd.read_csv(tmp_path / "texts.predictions.csv")
    assert predicted["predicted_label"].tolist() == ["greeting", "refund"]
    assert main(["predict", summary["run_dir"], "--csv", str(texts), "--text-col", "body"]) == 2
    wrong = capsys.readouterr().err
    assert "no column 'body'" in wrong and "message" in wrong

    table = playground("runs", "--runs-dir", str(runs))
    assert summary["run_id"] in table.stdout and "succeeded" in table.stdout


def test_the_admin_login_sits_next_to_the_rooms(tmp_path: Path) -> None:
    alone = playground("--admin", "host:secret", "--runs-dir", str(tmp_path / "runs"))
    assert alone.returncode == 2 and "--admin needs --auth" in alone.stderr
    twice = playground("--auth", "host:a", "--admin", "host:b")
    assert twice.returncode == 2 and "admin login host is also an --auth login" in twice.stderr
    bare = playground("--auth", "room:a", "--admin", "host")
    assert bare.returncode == 2 and "--admin needs user:password" in bare.stderr
    assert "Traceback" not in alone.stderr + twice.stderr + bare.stderr


def test_predict_on_a_missing_run_is_a_sentence(tmp_path: Path) -> None:
    result = playground("predict", str(tmp_path / "nothing"), "hello")
    assert result.returncode == 2 and "There is no run folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_fit_to_data_is_a_switch_on_the_command_line() -> None:
    from playground.cli import _config_from_args, build_parser

    def config(*flags: str):
        return _config_from_args(build_parser().parse_args(["train", "--data", "x.csv", *flags]))

    assert config().fit_to_data is True
    assert config("--no-fit-to-data").fit_to_data is False
    assert config("--preset", "quick-demo", "--no-fit-to-data").fit_to_data is False
    assert config("--fit-to-data", "--bs", "16").batch_size == 16


def test_the_eta_keeps_its_hours() -> None:
    """75 minutes left read "1:15:00", not "15:00" (a clock of minutes and seconds)."""
    from playground.cli import _progress_line

    event = {"type": "train", "step": 3, "total_steps": 900, "epoch": 0.1, "loss": 1.0,
             "learning_rate": 1e-4, "examples_per_s": 10.0}
    assert _progress_line({**event, "eta_s": 75 * 60}).endswith("ETA 1:15:00")
    assert _progress_line({**event, "eta_s": 245.4}).endswith("ETA 04:05")
    assert _progress_line({**event, "eta_s": 75 * 60, "may_stop_early": True}).endswith(
        "ETA at most 1:15:00")
    baselines = {"type": "baselines", "time": 1796370942.932, "majority_accuracy": 0.25,
                 "classic_accuracy": 0.9, "classic_s": 1.5}
    assert _progress_line(baselines, "most common label") == (
        "baselines: most common label accuracy 0.2500, classic accuracy 0.9000 (1.5 s)")


def test_chat_on_the_command_line_trains_lora_unless_told_otherwise() -> None:
    from playground.cli import _config_from_args, build_parser

    def config(*flags: str):
        return _config_from_args(build_parser().parse_args(["train", "--data", "x.csv", *flags]))

    assert config("--task", "chat").method == "lora"
    assert config("--preset", "quick-demo", "--task", "chat").method == "lora"
    assert config("--task", "chat", "--method", "full").method == "full"
    assert config().method == "full"


def test_chat_json_lists_the_scores_of_the_base_model_and_retrieval(
        tmp_path: Path, tiny_chat_model_dir: Path) -> None:
    from conftest import INTENTS

    rows = [(f"{phrase} {i}", f"my name is ada and {label.replace('_', ' ')}")
            for label, phrases in INTENTS.items() for phrase in phrases for i in range(2)]
    data = _write(tmp_path / "qa.csv", rows, ("question", "answer"))
    result = playground("train", "--task", "chat", "--data", str(data), "--model",
                        str(tiny_chat_model_dir), "--runs-dir", str(tmp_path / "runs"),
                        "--epochs", "1", "--max-length", "32", "--no-fit-to-data", "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(summary["metrics"]) == {
        "chrf", "exact_match", "loss", "perplexity", "base_chrf", "base_exact_match",
        "base_loss", "retrieval_chrf", "retrieval_exact_match"}  # retrieval has no loss
    assert summary["headline"] == "chrf" and summary["metrics"]["base_loss"] > 0
    assert 0 <= summary["metrics"]["retrieval_chrf"] <= 1
    # the answers' precision, the agent's (training's is "precision")
    assert summary["answer_precision"] == "bf16" and summary["precision"] == "fp32"
    assert "written in bf16" in result.stdout + result.stderr  # the lines for people
