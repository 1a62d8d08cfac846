"""Trainer callbacks: append progress events to the run folder; stop when asked to."""

from __future__ import annotations

import time
from typing import Any

from transformers import TrainerCallback

from playground.runfolder import RunFolder

# An ETA from the first steps (model warm-up, the first evaluation not yet seen) says
# minutes for a run of seconds: it is shown once this many steps, and this share of the
# run or this many seconds of training, have been timed.
ETA_MIN_STEPS = 5
ETA_MIN_SHARE = 0.1
ETA_MIN_SECONDS = 20.0


def eta_seconds(step: int, total_steps: int, elapsed_s: float) -> float | None:
    """Seconds left at ``step`` of ``total_steps`` after ``elapsed_s`` seconds of
    training (timed from the first step), or None while that says too little."""
    if step < ETA_MIN_STEPS or (step < ETA_MIN_SHARE * total_steps
                                and elapsed_s < ETA_MIN_SECONDS):
        return None
    return round(elapsed_s / step * max(total_steps - step, 0), 1)


class RunEvents(TrainerCallback):
    """Writes one event per Trainer log: train loss, learning rate, speed, ETA, eval scores.

    Also the cooperative stop: when the run folder holds the CANCEL flag, training
    stops at the end of the current step and the best checkpoint is kept. It times the
    evaluations and checkpoint writes, so the examples/s it reports are the training
    steps' own and those costs are shown apart.
    """

    def __init__(self, run: RunFolder, started_at: float, may_stop_early: bool = False) -> None:
        self.run = run
        self.started_at = started_at  # when the worker started, for time-to-first-loss
        # With early stopping the run may end before its planned steps: the ETA, which
        # counts them all, is then the most it can take, and the events say so.
        self.may_stop_early = may_stop_early
        self.train_started_at = 0.0
        self.first_step_at: float | None = None  # the ETA's clock starts here
        self.first_loss_s: float | None = None
        self.cancelled = False
        self.examples_per_step = 1
        self.eval_s = 0.0  # seconds spent in evaluations
        self.checkpoint_s = 0.0  # seconds spent writing checkpoints
        self._evaluated_at: float | None = None

    def on_train_begin(self, args, state, control, **kwargs: Any) -> None:
        self.train_started_at = time.time()
        self.examples_per_step = (args.per_device_train_batch_size * args.world_size
                                  * args.gradient_accumulation_steps)
        if state.is_world_process_zero:
            self.run.append_event({"type": "train_begin", "total_steps": state.max_steps,
                                   "may_stop_early": self.may_stop_early,
                                   "epochs": args.num_train_epochs,
                                   "examples_per_step": self.examples_per_step})

    def on_step_begin(self, args, state, control, **kwargs: Any) -> None:
        if self.first_step_at is None:
            self.first_step_at = time.time()

    def on_step_end(self, args, state, control, **kwargs: Any) -> None:
        if self.run.cancel_requested():
            self.cancelled = True
            control.should_training_stop = True

    def on_evaluate(self, args, state, control, metrics=None, **kwargs: Any) -> None:
        self.eval_s += float((metrics or {}).get("eval_runtime", 0.0))
        self._evaluated_at = time.time()

    def on_save(self, args, state, control, **kwargs: Any) -> None:
        # The Trainer saves right after the evaluation that decides the best checkpoint.
        if self._evaluated_at is not None:
            self.checkpoint_s += time.time() - self._evaluated_at
            self._evaluated_at = None

    def speed(self, train_metrics: dict[str, Any]) -> dict[str, float]:
        """examples/s over the training steps alone (the Trainer's clock less the
        evaluations and checkpoint writes), and those two costs in seconds."""
        runtime = float(train_metrics.get("train_runtime", 0.0))
        examples = float(train_metrics.get("train_samples_per_second", 0.0)) * runtime
        steps_s = max(runtime - self.eval_s - self.checkpoint_s, 1e-9)
        return {"examples_per_s": round(examples / steps_s, 1), "eval_s": round(self.eval_s, 2),
                "checkpoint_s": round(self.checkpoint_s, 2)}

    def on_log(self, args, state, control, logs=None, **kwargs: Any) -> None:
        if not state.is_world_process_zero or not logs:
            return
        elapsed = time.time() - self.train_started_at
        steps_s = elapsed - self.eval_s - self.checkpoint_s
        step = state.global_step
        base = {"step": step, "epoch": round(float(state.epoch or 0), 4),
                "elapsed_s": round(elapsed, 2)}
        if "eval_loss" in logs:
            # Entity runs add entity-level f1, precision and recall to the same event.
            extra = {key: logs[f"eval_{key}"] for key in ("f1", "precision", "recall")
                     if f"eval_{key}" in logs}
            self.run.append_event({
                "type": "eval", **base, "eval_loss": round(float(logs["eval_loss"]), 5),
                "accuracy": logs.get("eval_accuracy"), "macro_f1": logs.get("eval_macro_f1"),
                **extra})
        elif "loss" in logs:
            if self.first_loss_s is None:
                self.first_loss_s = round(time.time() - self.started_at, 2)
            self.run.append_event({
                "type": "train", **base, "loss": round(float(logs["loss"]), 5),
                "learning_rate": float(logs.get("learning_rate", 0.0)),
                "examples_per_s": round(self.examples_per_step * step / max(steps_s, 1e-9), 1),
                "eta_s": eta_seconds(step, state.max_steps,
                                     time.time() - (self.first_step_at or self.train_started_at)),
                "may_stop_early": self.may_stop_early, "total_steps": state.max_steps})
