"""What a task is: a plain spec, and the parts every task plugs in.

A task is one kind of agent (a label per text, the named entities in a text, a generated
answer). It lives in one package under ``playground/tasks/`` and is registered once, in
``tasks/__init__.py``. The rest of the playground (config, CLI, service, worker, bundles,
tabs) asks the registry and the parts below; it never tests a task's name.

A task package holds ``SPEC`` (a ``TaskSpec``, in its ``__init__``, cheap to import)
and one module per part, each with the functions of its protocol below:

- ``prepare``: read, check, split and write the data (``TaskData``; service layer);
- ``training``: what the one job flow needs (``TaskTraining``; training core);
- ``agent``: ``load(model_dir)``, the trained agent (``TaskAgent``; training core);
- ``evaluate``: an agent on a user's file (``TaskEvaluate``; service layer);
- ``views``: what the Data and Test & chat tabs show (``TaskViews``; UI layer).

Heavy libraries (torch, transformers, sklearn, gradio) are imported by the parts, never
by ``SPEC``, so ``import playground`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class TaskSpec:
    """A task's plain description: what the form, the reports and the pickers say of it."""

    name: str  # as run folders, bundles and the --task option spell it
    title: tuple[str, str]  # (English, Chinese) for the task picker
    short_title: tuple[str, str]  # (English, Chinese) for tables and help texts: "Chat"
    help: tuple[str, str]  # a clause each, for the settings' help text
    # The scores it reports, headline first: (key in the scores, English, Chinese).
    metrics: tuple[tuple[str, str, str], ...]
    checkpoint_metrics: tuple[str, ...]  # early_stopping_metric choices besides auto, loss
    floor_name: tuple[str, str]  # what scoring without learning is called (en, zh)
    ready: tuple[str, str]  # the Data tab's "ready" line; {rows}, {labels} (en, zh)
    card_words: tuple[str, str]  # what a gallery card's score is (en, zh)
    not_useful: tuple[str, str]  # a card's warning when the agent is no better than floor
    auto_checkpoint: str = ""  # what "auto" picks the checkpoint by (default: the headline)
    metric_note: str = ""  # how its scores are counted, where a reader would ask
    run_suffix: tuple[str, str] = ("", "")  # added to a run's default name (en, zh)
    phases: dict[str, tuple[str, str]] = field(default_factory=dict)  # own phase words
    has_classic: bool = True  # fits a classic (non-neural) model, as a baseline or agent
    # What ``--json`` calls the floor and the classic model ("baseline_accuracy"), and which
    # of their scores it lists (none given: the headline alone).
    json_names: tuple[str, str] = ("baseline", "classic")
    json_compared: tuple[str, ...] = ()
    # The kind of model it fine-tunes: "encoder" (reads and scores a text) or "causal-lm"
    # (writes an answer); the catalog's ``choose`` and the Model tab offer only that kind.
    model_family: str = "encoder"
    methods: tuple[str, ...] = ("full", "head", "freeze", "lora", "bitfit")  # it allows
    # Settings whose default differs for this task ({"method": "lora"}): a config for it
    # starts from these, in the form, the CLI, presets and recipes (``config.task_defaults``).
    defaults: dict[str, Any] = field(default_factory=dict)
    has_rules: bool = False  # its agent answers through reply rules per label
    # Its agent has no labels: reply rules named by the user (keywords, lookups, web
    # calls) answer the messages they match, and its model writes the other answers.
    rules_first: bool = False
    no_rules: tuple[str, str] = ("", "")  # what the rules panel says when it has neither
    gives_entities: bool = False  # its agent can fill another agent's reply slots
    streams: bool = False  # its answers arrive piece by piece (``TaskAgent.stream``)
    exports_script: bool = False  # "Export training script" knows how to write its run
    bundles: bool = True  # its agents export to and import from an .agent.zip
    # The Model tab's hint under "Auto": what it picks for this task, and what the classic
    # model is here (en, zh); and the classic card's text when it differs by task.
    auto_hint: tuple[str, str] = (
        "Auto: the embedded MiniLM for English, Instant (classic) for Chinese",
        "自动：英文用内置 MiniLM，中文用秒训经典模型")
    classic_about: tuple[str, str] = ("", "")  # "" keeps the catalog card's own text
    # The Data tab's column pickers, role -> (English, Chinese): "text" and "label" always,
    # other roles when a file has them (``Preview.extra_columns``).
    column_words: dict[str, tuple[str, str]] = field(default_factory=lambda: {
        "text": ("Text column", "文本列"), "label": ("Label column", "标签列")})
    # Its bundled sample files (assets/), file name -> what the Data tab calls it (en, zh).
    samples: dict[str, tuple[str, str]] = field(default_factory=dict)
    # What its classic model is called in reports and charts (lowercase, en and zh).
    classic_name: tuple[str, str] = ("classic model", "经典模型")
    # A report's floor that is not ``floor_name``: its label in report.json -> (en, zh).
    floor_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    # The Data tab's chart of what its rows count: its title, the bars and their counts.
    count_words: dict[str, tuple[str, str]] = field(default_factory=lambda: {
        "title": ("Examples per label", "每个标签的样本数"), "x": ("label", "标签"),
        "y": ("examples", "样本数")})
    # "Save merged model" writes its agent as one plain transformers folder (the agent
    # module's ``save_merged(model_dir, out)``); a classifier's model/ is one already.
    merges: bool = False

    def floor_words(self, floor: dict[str, Any], zh: bool = False) -> str:
        """What a report's floor is called: the task's floor, or the other one it names
        (a chat run of retrieval alone scored answering nothing, not its base model)."""
        return self.floor_names.get(floor.get("label"), self.floor_name)[zh]

    @property
    def headline(self) -> str:
        """The key of the score that sums a run up (the first metric)."""
        return self.metrics[0][0]

    def metric_title(self, key: str, lang: str = "en") -> str:
        for name, en, zh in self.metrics:
            if name == key:
                return zh if lang == "zh" else en
        return key


@dataclass
class Preview:
    """What the Data tab shows of a file, as a task reads it."""

    rows: Any  # a DataFrame of the first rows (texts and their labels or entities)
    columns: list[str]  # the file's columns to pick from (none for CoNLL files)
    text_column: str | None
    label_column: str | None
    report: Any  # the checks' DataReport
    # Columns read beside the text and the label, role -> column (a chat sheet's system
    # column); ``TaskSpec.column_words`` names each role.
    extra_columns: dict[str, str] = field(default_factory=dict)
    # Titles of the columns the task made for ``rows`` (not the file's own), column ->
    # (English, Chinese): the page shows them in its language.
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)


class TaskData(Protocol):
    """``tasks/<task>/prepare.py``."""

    def prepare(self, data_path: str | Path, config: Any,
                eval_path: str | Path | None = None) -> Any:
        """Read and check the file(s), choose the model, split: a ``Preparation``
        (``service/prepare.py``) whose reports list every problem as a sentence."""

    def write_splits(self, run: Any, splits: Any) -> dict[str, Any]:
        """Write data/ of a new run; the config.json fields that describe the data:
        ``labels`` (what the model outputs), ``rows`` per part, and any extras."""

    def example_text(self, run: Any) -> str | None:
        """A held-out question of a run, for the "Use from code" snippet (None: none)."""

    def estimate(self, prep: Any) -> dict[str, float]:
        """Time and memory a prepared fine-tuning run will need (a few timed steps)."""

    def preview(self, path: str | Path, text_column: str | None, label_column: str | None,
                model: str, rows: int) -> Preview:
        """Read and check a file alone, for the Data tab."""


class TaskTraining(Protocol):
    """``tasks/<task>/training.py``: the parts of the one job flow (``training/job.py``)
    that depend on the task. A "part" is the task's own kind of rows (a frame, a list of
    sentences); "outputs" its own kind of predictions (logits, tag lists)."""

    def read_splits(self, run: Any) -> dict[str, Any]:
        """The run's "train", "validation" and "test" parts."""

    def finetune(self, run: Any, spec: dict[str, Any], splits: dict[str, Any],
                 started_at: float, announce: Callable[[str], None]) -> Any:
        """Train with the shared engine (``training.engine.finetune`` and a ``Recipe``);
        return its ``Tuned``, with outputs for "validation" and "test"."""

    def join(self, *parts: Any) -> Any:
        """Several parts as one (the classic baseline learns from train and validation)."""

    def floor(self, splits: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
        """The test scores of not learning at all (has a "label" and the metrics)."""

    def fit_classic(self, part: Any, spec: dict[str, Any],
                    progress: Callable[[str, dict], None] | None = None) -> Any:
        """The classic model fitted on a part (only when ``SPEC.has_classic``); it has
        ``save(folder)``, and ``agent.load`` reads it back."""

    def classic_outputs(self, classic: Any, part: Any, spec: dict[str, Any]) -> Any:
        """The classic model's outputs on a part."""

    def score(self, part: Any, outputs: Any, spec: dict[str, Any]) -> dict[str, Any]:
        """The task's scores (every ``SPEC.metrics`` key) of outputs against a part."""

    def summary(self, scores: dict[str, Any]) -> dict[str, float]:
        """The numbers of ``score`` a table of runs shows."""

    def choose(self, splits: dict[str, Any], spec: dict[str, Any], tuned: Any,
               progress: Callable[[str, dict], None] | None = None) -> dict[str, Any]:
        """The agent, picked on the validation part: {"agent": report.json's "agent"
        (``training.choice.agent_choice``), "files": the agent's labels.json,
        "tuned_files": the fine-tuned model's, kept beside a classic agent}."""

    def report(self, spec: dict[str, Any], splits: dict[str, Any], outputs: Any,
               model_scores: dict[str, Any], chosen: dict[str, Any]) -> dict[str, Any]:
        """The task's own fields of report.json (its labels, calibration...)."""


class TaskAgent(Protocol):
    """What ``tasks/<task>/agent.py``'s ``load(model_dir)`` returns. The module also
    names its classic model's files (``CLASSIC_FILES``: metadata, weights), the key of
    labels.json that lists the model's outputs (``OUTPUTS``), and checks an imported
    classic model's metadata (``classic_fault(meta, labels)``: the bad setting or None);
    a task whose ``SPEC.merges`` also has ``save_merged(model_dir, out)``."""

    task: str  # SPEC.name
    labels: list[str]  # what it answers with (labels, entity types)
    kind: str  # "classic" or "transformer"
    file_kind: str  # a labelled file is saved as NAME.<file_kind>.csv

    def answer(self, text: str) -> dict[str, Any]:
        """One answer as plain data (the CLI's --json): label and probabilities, entities."""

    @staticmethod
    def answer_lines(answer: dict[str, Any]) -> list[str]:
        """The answer as a terminal shows it."""

    def reply(self, text: str) -> dict[str, Any]:
        """A chat reply (``service.respond.Reply``'s fields), for tasks without reply
        rules per label (``SPEC.has_rules`` False; with ``SPEC.rules_first``, for the
        messages no rule answers); tasks with rules per label answer through them."""

    def stream(self, text: str | list[dict[str, str]], *, system: str = "",
               max_new_tokens: int = 256, temperature: float = 0.7, top_p: float = 0.9,
               base: bool = False) -> Iterator[str]:
        """The reply to a question or conversation in pieces, for tasks whose
        ``SPEC.streams``; the base model's reply (before fine-tuning) when ``base``, for
        an agent whose ``has_base`` is True."""

    def label_frame(self, frame: Any, text_column: str | None = None) -> tuple[Any, str]:
        """``frame`` with the agent's answers added as columns, and the text column read."""


class TaskEvaluate(Protocol):
    """``tasks/<task>/evaluate.py`` (service layer)."""

    def evaluate_file(self, run: Any, path: str | Path) -> dict[str, Any]:
        """The agent's scores on a labelled file (the task's metrics), the floor's, and
        its mistakes as a table."""


class TaskViews(Protocol):
    """``tasks/<task>/views.py`` (UI layer)."""

    def test_file(self, run: Any, path: str, lang: str) -> tuple:
        """The Test tab's outputs for a labelled file: summary, table, picture, mistakes."""

    def label_file(self, run: Any, frame: Any, stem: str, lang: str) -> tuple:
        """The Label tab's outputs: the file to download, counts, spread, examples, trend."""

    def preview_html(self, rows: Any, lang: str) -> str | None:
        """The Data tab's preview of ``Preview.rows`` as HTML in ``lang`` (every text from
        the file escaped), or None to show the rows as a table."""
