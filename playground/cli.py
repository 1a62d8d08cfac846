"""The ``playground`` command: train, predict, chat, list runs and models, export and
import agents, save a chat agent's merged model (no arguments: the app).

Every setting of ``RunConfig`` is an option (``--learning-rate``, ``--method``, ...),
generated from the config's own specs, so the command line and the form never disagree.
Bad input exits with status 2 and one clear sentence, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playground import tasks
from playground.config import RunConfig, field_specs, load_preset, preset_names
from playground.errors import DataError, PlaygroundError, RunError
from playground.runfolder import LABELS

ALIASES = {"learning_rate": ["--lr"], "text_column": ["--text-col"],
           "label_column": ["--label-col"], "batch_size": ["--batch-size", "--bs"]}
EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 1, 2, 3
BOOLEANS = {f.name for f in dataclasses.fields(RunConfig) if f.type == "bool"}


def default_runs_dir() -> Path:
    return Path(os.environ.get("PLAYGROUND_RUNS_DIR", "runs"))


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (defaults: the 'balanced' preset)")
    group.add_argument("--preset", choices=preset_names(), help="start from a preset")
    group.add_argument("--config", type=Path, help="start from a saved settings JSON file")
    for name, spec in field_specs().items():
        flags = [f"--{name.replace('_', '-')}"] + [a for a in ALIASES.get(name, [])
                                                   if a != f"--{name.replace('_', '-')}"]
        if name in BOOLEANS:  # --fit-to-data / --no-fit-to-data
            group.add_argument(*flags, dest=name, default=None,
                               action=argparse.BooleanOptionalAction,
                               help=spec.help.replace("%", "%%"))
            continue
        extra = f" (choices: {', '.join(map(str, spec.choices))})" if spec.choices else ""
        group.add_argument(*flags, dest=name, default=None, metavar="VALUE",
                           help=spec.help.replace("%", "%%") + extra)


def _config_from_args(args: argparse.Namespace) -> RunConfig:
    if args.config:
        base = RunConfig.from_json(args.config)
    elif args.preset:
        base = load_preset(args.preset)
    else:
        base = RunConfig()
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(RunConfig)}
    return base.with_overrides(**overrides)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playground", description="Fine-tune a text agent from a labeled CSV, watch it "
        "learn, and talk to it. Without a command, starts the web app.")
    sub = parser.add_subparsers(dest="command")

    train = sub.add_parser("train", help="train an agent on a labeled file")
    train.add_argument("--data", required=True, type=Path,
                       help="CSV/TSV/XLSX/JSONL table of texts and labels; with --task ner, "
                            "a CoNLL file or a table of tokens and tags")
    train.add_argument("--eval-data", type=Path,
                       help="separate labeled file for the final score (default: hold out "
                            "part of --data)")
    train.add_argument("--runs-dir", type=Path, default=None, metavar="DIR",
                       help="where run folders go (default: ./runs)")
    train.add_argument("--json", action="store_true",
                       help="end with one JSON line: run_id, run_dir, status, metrics, timings")
    _add_config_options(train)

    predict = sub.add_parser("predict", help="ask a trained agent about a text or a file")
    predict.add_argument("run_dir", type=Path, help="the run folder of a finished agent")
    predict.add_argument("text", nargs="?", help="the text to ask about")
    predict.add_argument("--csv", type=Path, help="a file of texts to classify")
    predict.add_argument("--text-col", help="column with the texts (default: guessed)")
    predict.add_argument("--out", type=Path, help="where to write the predictions file")
    predict.add_argument("--json", action="store_true", help="answer as one JSON line")

    talk = sub.add_parser("chat", help="chat with a trained agent in the terminal (a chat "
                          "agent's answers stream as it writes them)")
    talk.set_defaults(command_of=_chat)  # its name is also a task's: no string compares it
    talk.add_argument("run_dir", type=Path, help="the run folder of a finished agent")
    talk.add_argument("--system", default="", metavar="TEXT",
                      help="instructions the agent follows (a system prompt)")
    # Defaults (None): the app's chat settings, which Sampling holds.
    talk.add_argument("--temperature", type=float, metavar="VALUE",
                      help="how freely it picks words, 0 to 2 (0: always the likeliest)")
    talk.add_argument("--top-p", type=float, metavar="VALUE",
                      help="pick among the likeliest words that make up this share of the "
                           "probability, 0 to 1")
    talk.add_argument("--max-new-tokens", type=int, metavar="VALUE",
                      help="the longest answer, in tokens")

    stop = sub.add_parser("stop", help="stop a queued or running run (a running one keeps "
                          "its best checkpoint as the agent)")
    stop.add_argument("run_dir", type=Path, help="the run folder, as `playground runs` lists it")

    runs = sub.add_parser("runs", help="list runs with their state and scores")
    runs.add_argument("--runs-dir", type=Path, default=None, metavar="DIR",
                      help="where run folders are (default: ./runs)")
    runs.add_argument("--json", action="store_true", help="the list as one JSON line")

    sub.add_parser("models", help="list the model catalog")

    export = sub.add_parser("export", help="pack a finished run's agent into one .agent.zip")
    export.add_argument("run_dir", type=Path, help="the run folder of a finished agent")
    export.add_argument("-o", "--out", default=None,  # text: a trailing "/" means a folder
                        help="file or folder to write (default: RUN_ID.agent.zip beside the "
                             "run folder)")

    merge = sub.add_parser("merge", help="save a chat agent's model as one transformers "
                                         "folder, its LoRA adapter merged")
    merge.add_argument("run_dir", type=Path, help="the run folder of a finished agent")
    merge.add_argument("out", type=Path, help="the new folder to write (loads with "
                                              "AutoModelForCausalLM.from_pretrained)")
    bundle = sub.add_parser("import", help="add the agent of an .agent.zip as a finished run")
    bundle.add_argument("bundle", type=Path, help="the .agent.zip file to add")
    bundle.add_argument("--runs-dir", type=Path, default=None, metavar="DIR",
                        help="where run folders go (default: ./runs)")

    parser.add_argument("--host", default="127.0.0.1", help="address to serve the app on")
    parser.add_argument("--port", type=int, default=None, help="port (default: 7860 or next)")
    parser.add_argument("--share", action="store_true", help="also make a public gradio link")
    parser.add_argument("--auth", help="require a login: user:password, or a file of such "
                        "lines (one per person: each run is then its starter's, from any browser)")
    parser.add_argument("--admin", help="the host's login, user:password, which may also stop "
                        "and delete anyone's run (needs --auth)")
    parser.add_argument("--allow-web-calls", action="store_true", default=None,
                        help="let agents' http actions call out from this server even when "
                        "others can reach the app (always allowed on 127.0.0.1 alone)")
    parser.add_argument("--api-key", help="key the HTTP API asks for (default: "
                        "$PLAYGROUND_API_KEY; made up and printed when others can reach the app)")
    parser.add_argument("--runs-dir", type=Path, default=None, dest="app_runs_dir", metavar="DIR",
                        help="where run folders go (default: ./runs)")
    parser.add_argument("--no-standby", action="store_true",
                        help="do not keep a training process started ahead, its imports done "
                        "(saves about 470 MB while no run trains; the first loss point of a "
                        "run then comes some seconds later)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "train":
            return _train(args)
        if args.command == "predict":
            return _predict(args)
        if getattr(args, "command_of", None):
            return args.command_of(args)
        if args.command == "runs":
            return _runs(args)
        if args.command == "stop":
            return _stop(args)
        if args.command == "models":
            return _models()
        if args.command == "export":
            return _export(args)
        if args.command == "merge":
            return _merge(args)
        if args.command == "import":
            return _import(args)
        return _app(args)
    except PlaygroundError as exc:
        # The form's label names a setting; a settings file or preset names it by its key.
        key = f"[{exc.field}] " if getattr(exc, "field", None) else ""
        print(f"error: {key}{exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"  {exc.hint}", file=sys.stderr)
        return EXIT_BAD_INPUT


# ----- train ---------------------------------------------------------------------------
_EVAL_SCORES = (("f1", "entity F1"), ("precision", "precision"), ("recall", "recall"),
                ("accuracy", "accuracy"), ("macro_f1", "macro-F1"))


def _clock(seconds: float) -> str:
    """A time left as a clock shows it: "04:05", "1:15:00" (hours are not dropped)."""
    minutes, secs = divmod(max(0, round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _progress_line(event: dict[str, Any], floor: str = "floor") -> str | None:
    """A line for an event of the run (``floor``: what the task's floor baseline is
    called: the most common label, finding nothing, the base model)."""
    kind = event.get("type")
    if kind == "train":
        eta = "--:--" if event.get("eta_s") is None else _clock(event["eta_s"])
        if event.get("eta_s") is not None and event.get("may_stop_early"):
            eta = f"at most {eta}"  # early stopping may end the run before its planned steps
        return (f"step {event['step']}/{event['total_steps']}  epoch {event['epoch']:.2f}  "
                f"loss {event['loss']:.4f}  lr {event['learning_rate']:.2e}  "
                f"{event['examples_per_s']:.0f} ex/s  ETA {eta}")
    if kind == "eval":  # the loss, and whichever scores the task computes while training
        scores = "".join(f"  {name} {event[key]:.4f}" for key, name in _EVAL_SCORES
                         if isinstance(event.get(key), (int, float)))
        return f"validation at epoch {event['epoch']:.2f}: loss {event['eval_loss']:.4f}{scores}"
    if kind == "baselines":  # the floor (most common label, no entity, base model), classic
        scores = ", ".join(f"{floor if who == 'majority' else who} {key} {value:.4f}"
                           for name, value in event.items()
                           if isinstance(value, (int, float))
                           and name not in ("classic_s", "time")  # seconds, not scores
                           for who, _, key in [name.partition("_")])
        return f"baselines: {scores} ({event.get('classic_s', 0):.1f} s)"
    if kind in ("phase", "failed"):
        return event.get("message")
    return None


def _train(args: argparse.Namespace) -> int:
    from playground.catalog import CLASSIC
    from playground.service.jobs import TrainingService

    started = time.time()
    config = _config_from_args(args)
    # The service starts a worker now (standby.py), whose seconds of imports (torch,
    # transformers) pass while the data is read and checked; the run then starts in it.
    # A classic model needs none of them.
    service = TrainingService(args.runs_dir or default_runs_dir(),
                              standby=config.model != CLASSIC)
    try:
        return _train_with(service, args, config, started)
    finally:
        service.shutdown()


def _train_with(service: Any, args: argparse.Namespace, config: RunConfig,
                started: float) -> int:
    from playground.service.owners import cli_owner
    from playground.service.prepare import create_run, prepare

    prep = prepare(args.data, config, args.eval_data)
    out = sys.stderr if args.json else sys.stdout

    def say(line: str) -> None:
        try:
            print(line, file=out, flush=True)
        except OSError:
            pass  # the terminal was closed (SIGHUP): the run still stops, with no one to tell

    for line in prep.report.summary_lines():
        say(line)
    for warning in prep.warnings:
        say(f"warning: {warning}")
    prep.raise_for_errors()
    say(prep.choice.note)
    for change in prep.adjustments:
        say(f"setting {change.field}: {change.old:g} -> {change.new:g}. {change.why}")
    say(f"Final score on {prep.splits.held_out}.")

    run = create_run(service.runs_dir, prep)
    stop = _StopSignals()
    with stop.caught():
        service.submit(run, cli_owner())
        service.standby = False  # the waiting one takes this run; no other comes here
        try:
            say(f"run {run.run_id} in {run.path}")
            status = _supervise(service, run, stop, say)
        except BaseException:  # whatever broke here (the terminal, a bug), no worker stays
            _stop_after_error(service, run)
            raise
        finally:
            service.shutdown()
    if stop.count:
        _say_what_is_left(run, status, say)
    return _finish(run, status, prep, args.json, time.time() - started, say)


class _StopSignals:
    """Counts Ctrl-C, SIGTERM and SIGHUP (a closed terminal) while a run trains, so the
    command stops its run instead of dying and leaving the worker to train on."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.count = 0

    def _note(self, signum: int, frame: Any) -> None:
        self.count += 1

    @contextlib.contextmanager
    def caught(self) -> Iterator[None]:
        before = {sig: signal.signal(sig, self._note) for sig in self.SIGNALS}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)


def _supervise(service: Any, run: Any, stop: _StopSignals, say: Any) -> dict[str, Any]:
    """Show the run's progress until it ends. On a first stop signal ask it to stop at
    its next step; on a second, or when it has not stopped in time, kill its worker."""
    from playground.service.states import State

    offset, asked_at, forced = 0, None, False
    floor = tasks.of_config(run.read_config()["config"]).floor_name[0]
    while True:
        status = service.status(run.run_id)
        finished = State(status.get("state", "queued")).finished
        events, offset = run.read_events(offset)  # after the status: the last ones too
        for event in events:
            line = _progress_line(event, floor)
            if line:
                say(line)
        if finished:
            service.wait_for_exit(run.run_id)  # no worker outlives the command
            return status
        if stop.count and asked_at is None:
            asked_at = time.monotonic()
            if service.cancel(run.run_id) == "stopping":
                say("Stopping at the next step: the best checkpoint so far will be kept "
                    "(Ctrl-C again to stop at once, without an agent).")
        elif asked_at is not None and not forced and (
                stop.count > 1 or time.monotonic() - asked_at > service.cancel_timeout_s):
            forced = service.force_stop(run.run_id, "Stopped at once on request, so no agent "
                                        "was saved." if stop.count > 1 else "Stopped by force: "
                                        "the worker did not stop in time, so no agent was saved.")
        time.sleep(service.poll_s)


def _stop_after_error(service: Any, run: Any) -> None:
    """Stop the run of a command that failed while it watched: at its next step (keeping
    its best checkpoint), by force when it has not stopped in time; return once its
    worker has exited."""
    from playground.service.states import State

    if service.cancel(run.run_id) == "stopping":
        deadline = time.monotonic() + service.cancel_timeout_s
        while not State(service.status(run.run_id).get("state", "queued")).finished:
            if time.monotonic() > deadline:
                service.force_stop(run.run_id, "Stopped by force: the command that started it "
                                   "failed and the worker did not stop in time, so no agent "
                                   "was saved.", "已强制停止：启动它的命令出错，且训练进程没有及时"
                                   "停止，所以没有保存智能体。")
                break
            time.sleep(service.poll_s)
    service.wait_for_exit(run.run_id)


def _say_what_is_left(run: Any, status: dict[str, Any], say: Any) -> None:
    """After a stop: where the agent is, or that the run never started."""
    if status.get("started_at") is None:
        say(f"Run {run.run_id} was removed from the queue before it started.")
    elif status["state"] != "failed" and (run.model_dir / LABELS).exists():
        say(f"The agent (the best checkpoint so far) is in {run.model_dir}; ask it with: "
            f'playground predict {run.path} "your text"')
    else:
        say(f"Run {run.run_id} stopped before it saved an agent.")


def _compared(task: Any, scores: dict[str, Any]) -> dict[str, Any]:
    """The floor's and the classic model's scores as --json lists them ("base_chrf"); a
    score a baseline does not have (retrieval's loss) is left out, the headline never."""
    floor, classic = task.json_names
    found = {}
    for key in task.json_compared or (task.headline,):
        for name, row in ((floor, scores.get("majority", {})), (classic, scores.get("classic", {}))):
            if key == task.headline or row.get(key) is not None:
                found[f"{name}_{key}"] = row.get(key)
    return found


def _finish(run: Any, status: dict[str, Any], prep: Any, as_json: bool, total_s: float,
            say: Any) -> int:
    report = run.read_report() or {}
    scores = report.get("scores", {})
    model_scores = scores.get("model", {})
    task = tasks.spec(prep.config.task)
    keys = [key for key, _, _ in task.metrics]
    metrics = {key: model_scores.get(key) for key in keys}
    metrics.update(_compared(task, scores))
    summary = {
        "run_id": run.run_id, "run_dir": str(run.path), "status": status["state"],
        "reason": status.get("reason", ""), "model": prep.choice.card.name,
        "held_out": prep.splits.held_out, "task": prep.config.task,
        "metrics": metrics, "headline": task.headline,
        "timings": {"total_s": round(total_s, 1), **{k: report.get("timings", {}).get(k)
                    for k in ("train_s", "first_loss_s", "examples_per_s")},
                    # a fine-tuning's validation passes and checkpoints, apart from examples/s
                    **{k: v for k, v in report.get("timings", {}).items()
                       if k in ("eval_s", "checkpoint_s")}},
        "peak_rss_mb": report.get("peak_rss_mb"),
        "precision": report.get("precision"),
        # a language model's answers: the precision they were scored (and are given) in
        **{key: report[key] for key in ("answer_precision",) if key in report},
    }
    if report:
        answered = f", written in {report['answer_precision']}" \
            if "answer_precision" in report else ""
        note = f" ({task.metric_note}{answered})" if task.metric_note else ""
        say(f"\nOn {summary['held_out']}{note}:")
        rows = [(task.floor_words(scores["majority"]), scores["majority"]),
                (task.classic_name[0], scores.get("classic")),
                (summary["model"][:26], model_scores)]
        for name, row in filter(lambda r: r[1], rows):
            say(f"  {name:<26} " + "  ".join(f"{task.metric_title(key)} {row[key]:.4f}"
                                             for key in keys if row.get(key) is not None))
        for kind, row in model_scores.get("per_type", {}).items():  # entity types
            say(f"    {kind:<24} " + "  ".join(f"{task.metric_title(key)} {row[key]:.4f}"
                                               for key in keys if key in row)
                + f"  ({row['support']} entities)")
    if as_json:
        print(json.dumps(summary, ensure_ascii=False), flush=True)
    state = status["state"]
    return 0 if state == "succeeded" else EXIT_CANCELLED if state == "cancelled" else EXIT_FAILED


# ----- predict, runs, models ---------------------------------------------------------------
def _predict(args: argparse.Namespace) -> int:
    from playground.training.agents import load_agent

    if (args.text is None) == (args.csv is None):
        raise PlaygroundError("Give either a text or --csv FILE, not both or neither.",
                              'Example: playground predict runs/RUN_ID "my card is lost"',
                              zh="请给出一段文本或 --csv 文件，二者只能选一个。"
                                 '例如：playground predict runs/RUN_ID "我的卡丢了"')
    from playground.data.limits import check_question, long_rows_note

    if args.text is not None:
        check_question(args.text)
        if not args.text.strip():  # as the API and the chat refuse it
            raise DataError("The text is empty.", 'Give the question in quotes: playground '
                            'predict runs/RUN_ID "my card is lost"',
                            zh='问题是空的。请把问题放在引号里：playground predict runs/RUN_ID "我的卡丢了"')
    loading = time.perf_counter()
    agent = load_agent(args.run_dir)
    load_s = time.perf_counter() - loading
    if args.text is not None:
        _say_answer(agent, args.text, args.json)
        return 0
    from playground.data import read_table
    from playground.data.writing import write_csv

    frame = read_table(args.csv)
    labelling = time.perf_counter()
    labelled, column = agent.label_frame(frame, args.text_col)
    rows_per_s = round(len(frame) / max(time.perf_counter() - labelling, 1e-9), 1)
    kind = agent.file_kind
    out = write_csv(labelled, args.out or args.csv.with_name(f"{args.csv.stem}.{kind}.csv"))
    note = long_rows_note(frame[column])
    if note:
        print(note[0], file=sys.stderr)
    print(json.dumps({"predictions": str(out), "rows": len(frame), "rows_per_s": rows_per_s,
                      "load_s": round(load_s, 2)}) if args.json
          else f"Wrote the {kind} of {len(frame):,} texts to {out} ({rows_per_s:,.0f} rows/s "
               f"once the model was loaded, in {load_s:.1f} s)")
    return 0


def _chat(args: argparse.Namespace) -> int:
    from playground.cli_chat import chat
    from playground.service.agents import Sampling

    given = {"temperature": args.temperature, "top_p": args.top_p,
             "max_new_tokens": args.max_new_tokens}
    return chat(args.run_dir, Sampling(system=args.system,
                                       **{k: v for k, v in given.items() if v is not None}))


def _say_answer(agent: Any, text: str, as_json: bool) -> None:
    """The agent's answer to ``text``: its top three labels, the entities in it..."""
    answer = agent.answer(text)
    if as_json:
        print(json.dumps(answer, ensure_ascii=False))
        return
    for line in agent.answer_lines(answer):
        print(line)


def _runs(args: argparse.Namespace) -> int:
    from playground.service.jobs import TrainingService

    runs_dir = args.runs_dir or default_runs_dir()
    if not runs_dir.is_dir():  # a listing creates nothing
        print("[]" if args.json else f"No runs yet in {runs_dir}.")
        return 0
    service = TrainingService(runs_dir, serve=False)  # a listing starts no worker
    rows = service.list_runs()
    if args.json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    if not rows:
        print(f"No runs yet in {service.runs_dir}.")
        return 0
    width = max(len(r["run_id"]) for r in rows)
    print(f"{'run':<{width}} {'state':<10} {'score':>8} {'macro-F1':>8} {'time':>7}  "
          "model / data (score: accuracy, or entity F1 for entities; macro-F1 over labels "
          "or entity types)")
    for r in rows:
        score = r["score"]
        acc = f"{score:.4f}" if score is not None else "-"
        f1 = f"{r['macro_f1']:.4f}" if r["macro_f1"] is not None else "-"
        took = f"{r['duration_s']:.0f}s" if r["duration_s"] is not None else "-"
        print(f"{r['run_id']:<{width}} {r['state']:<10} {acc:>8} {f1:>8} {took:>7}  "
              f"{r['model']} / {r['data']}")
    return 0


def _stop(args: argparse.Namespace) -> int:
    from playground.runfolder import RunFolder
    from playground.service.jobs import TrainingService

    folder = RunFolder(args.run_dir.expanduser().resolve())
    if not folder.exists():
        raise RunError(f"There is no run folder at {args.run_dir}.",
                       "Give a run folder as `playground runs` lists them, e.g. runs/RUN_ID.",
                       zh=f"{args.run_dir} 不是训练记录文件夹。请给出 `playground runs` 列出的文件夹，"
                          "例如 runs/RUN_ID。")
    service = TrainingService(folder.path.parent, serve=False)
    outcome = service.cancel(folder.run_id)
    if outcome == "removed":
        print(f"Run {folder.run_id} was waiting; it is removed from the queue.")
    elif outcome == "stopping":
        print(f"Run {folder.run_id} stops at its next step and keeps its best checkpoint as "
              "the agent; see it with: playground runs")
    else:
        state = service.status(folder.run_id).get("state", "finished")
        print(f"Run {folder.run_id} has already finished ({state}); there is nothing to stop.")
    return 0


def _models() -> int:
    from playground.catalog import catalog

    for card in catalog():
        size = f"{card.params_millions:.0f}M" if card.params_millions else "tiny"
        where = "installed" if card.installed else "needs the Hugging Face hub"
        print(f"{card.id:<36} {size:>5}  {'/'.join(card.languages):<6} {card.license:<28} "
              f"{where}\n    {card.description}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from playground.service.bundles import export_bundle

    out = Path(args.out) if args.out else None
    if args.out and args.out.endswith(("/", os.sep)) and not out.is_dir():
        raise PlaygroundError(f"The folder {args.out} does not exist.",
                              "Create it, or pick another place for the bundle.",
                              zh=f"文件夹 {args.out} 不存在。请先创建它，或为包另选一个位置。")
    print(export_bundle(args.run_dir, out))
    return 0


def _merge(args: argparse.Namespace) -> int:
    from playground.service.merged import save_merged

    print(save_merged(args.run_dir, args.out))
    return 0


def _import(args: argparse.Namespace) -> int:
    from playground.service.bundles import import_bundle
    from playground.service.owners import cli_owner

    print(import_bundle(args.bundle, args.runs_dir or default_runs_dir(),
                        owner=cli_owner()).path)
    return 0


def _auth_pairs(value: str | None, option: str = "--auth") -> list[tuple[str, str]] | None:
    """``user:password``, or a file with one such line per user."""
    if not value:
        return None
    lines = Path(value).read_text().splitlines() if Path(value).is_file() else [value]
    pairs = [tuple(line.strip().split(":", 1)) for line in lines if ":" in line]
    if not pairs:
        raise PlaygroundError(f"{option} needs user:password (or a file of such lines).",
                              f"Example: playground {option} teacher:secret",
                              zh=f"{option} 需要 用户名:密码（或每行一对的文件）。"
                                 f"例如：playground {option} teacher:secret")
    return pairs  # type: ignore[return-value]


def _admin_pairs(value: str | None, auth: str | None) -> list[tuple[str, str]] | None:
    """The host's ``user:password`` (``--admin``): a login of its own next to --auth's."""
    if not value:
        return None
    if not auth:
        raise PlaygroundError("--admin needs --auth: the admin login is the host's, next to "
                              "the room's.", "Example: playground --auth room:secret "
                              "--admin host:another-secret",
                              zh="--admin 需要同时使用 --auth：管理员登录属于主持人，与房间的登录并存。"
                                 "例如：playground --auth room:secret --admin host:another-secret")
    admins = _auth_pairs(value, "--admin") or []
    taken = {user for user, _ in _auth_pairs(auth) or []} & {user for user, _ in admins}
    if taken:
        raise PlaygroundError(f"The admin login {sorted(taken)[0]} is also an --auth login.",
                              "Give the admin a user name of its own.",
                              zh=f"管理员登录 {sorted(taken)[0]} 同时也是 --auth 的登录。"
                                 "请给管理员一个单独的用户名。")
    return admins


def _app(args: argparse.Namespace) -> int:
    # the logins are checked before the app's heavy imports: a typo is told at once
    auth, admins = _auth_pairs(args.auth), _admin_pairs(args.admin, args.auth)

    from playground.service.jobs import TrainingService
    from playground.ui.app import launch

    service = TrainingService(args.app_runs_dir or default_runs_dir(),
                              standby=not args.no_standby)
    print(f"Agent Playground: runs are kept in {service.runs_dir}", flush=True)
    launch(service, host=args.host, port=args.port, share=args.share, auth=auth,
           admins=admins, api_key=args.api_key, web_calls=args.allow_web_calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
