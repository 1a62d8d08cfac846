"""Agent bundles: an imported agent answers exactly as the exported one did, the manifest
schema holds, and every bad bundle is refused with a sentence and changes nothing.

The bad bundles are real zip files, built here with ``zipfile`` from a good export.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import stat
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import intent_rows, tiny_settings

from playground.config import RunConfig
from playground.errors import BundleError, ConfigError, RunError
from playground.runfolder import RunFolder
from playground.service.agents import ask, finished_runs
from playground.service.bundles import (
    FORMAT_VERSION,
    MANIFEST,
    check_manifest,
    export_bundle,
    import_bundle,
)
from playground.service.jobs import TrainingService
from playground.service.prepare import create_run, prepare
from playground.service.replies import AgentRules, LabelRule, save_rules
from playground.service.tables import add_tool_table
from playground.training.job import run_job

LABELS = ["greeting", "lost_card", "refund"]
QUESTIONS = ["I lost my card today", "my card was stolen", "where is my order A-17?",
             "money back please", "hello there", "hmm", "good morning, refund my order B-2"]


def _trained_run(root: Path, **settings) -> RunFolder:
    """A real run, trained in-process, with reply rules and a lookup table."""
    data = root / "intents.csv"
    pd.DataFrame(intent_rows(), columns=["text", "intent"]).to_csv(data, index=False)
    prep = prepare(data, RunConfig(**settings))
    prep.raise_for_errors()
    run = create_run(root / "runs", prep)
    run_job(run, time.time())
    run.update_status(state="succeeded")  # what the worker writes when run_job returns
    orders = root / "orders.csv"
    pd.DataFrame({"order": ["A-17", "B-2"], "status": ["shipped", "packed"]}) \
        .to_csv(orders, index=False)
    table = add_tool_table(run, orders)
    save_rules(run, AgentRules(rules=[
        LabelRule("refund", reply="Order {order} is {answer}.", keywords=["order"],
                  action="lookup", tool=table),
        LabelRule("lost_card", reply="Card blocked. You said: {text}", keywords=["stolen"]),
        LabelRule("greeting", reply="Hello! ({confidence})")], threshold=0.45), LABELS)
    return run


@pytest.fixture(scope="module")
def classic(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunFolder, Path]:
    run = _trained_run(tmp_path_factory.mktemp("classic"), model="classic")
    return run, export_bundle(run.path)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> tuple[RunFolder, Path]:
    root = tmp_path_factory.mktemp("tiny")
    # Enough epochs to match the classic model on validation, so the transformer serves.
    run = _trained_run(root, **tiny_settings(tiny_model_dir, epochs=10))
    return run, export_bundle(run.path, root / "tiny.agent.zip")


def _manifest(bundle: Path) -> dict:
    with zipfile.ZipFile(bundle) as archive:
        return json.loads(archive.read(MANIFEST))


# ----- round trips -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["classic", "tiny"])
def test_an_imported_agent_answers_exactly_as_the_exported_one(kind: str, request,
                                                               tmp_path: Path) -> None:
    run, bundle = request.getfixturevalue(kind)
    runs = tmp_path / "runs"
    new = import_bundle(bundle, runs)
    before = [ask(run, q).to_dict() for q in QUESTIONS]
    after = [ask(new, q).to_dict() for q in QUESTIONS]
    assert after == before  # reply text, label, probabilities, source and detail
    # The rules and the table travelled too: a keyword picks refund, whose lookup answers.
    assert [r["text"] for r in after if r["source"] == "keyword"] == [
        "Card blocked. You said: my card was stolen", "Order A-17 is shipped.",
        "Order B-2 is packed."]
    assert sorted(p.name for p in new.path.iterdir()) == \
        ["agent.json", "config.json", "model", "report.json", "status.json", "tools"]
    service = TrainingService(runs, gpu_count=0)
    try:
        assert finished_runs(service) == [new.run_id]
        row = service.list_runs()[0]
        assert (row["state"], row["imported_from"]) == ("succeeded", bundle.name)
        assert row["accuracy"] == run.read_report()["scores"]["model"]["accuracy"]
    finally:
        service.shutdown()


def test_an_imported_agent_exports_again_with_its_fingerprint(classic, tmp_path: Path) -> None:
    run, bundle = classic
    new = import_bundle(bundle, tmp_path / "runs")
    again = export_bundle(new.path, tmp_path)
    first, second = _manifest(bundle), _manifest(again)
    assert second["data"] == first["data"] and second["files"] == first["files"]
    assert second["source_run"] == new.run_id
    third = import_bundle(again, tmp_path / "more")
    assert ask(third, "money back please").to_dict() == ask(run, "money back please").to_dict()


# ----- the manifest ------------------------------------------------------------------------
def test_the_manifest_describes_the_agent_but_not_the_data(classic) -> None:
    run, bundle = classic
    manifest = check_manifest(_manifest(bundle))
    assert manifest.format_version == FORMAT_VERSION == 1
    assert (manifest.task, manifest.labels) == ("text-classification", LABELS)
    assert manifest.base_model == {"id": "classic", "name": "Instant (classic)",
                                   "source": "builtin", "model_type": None}
    assert manifest.rules == json.loads(run.agent_path.read_text())
    assert manifest.settings == run.read_config()["config"]
    assert manifest.metrics == run.read_report()
    assert manifest.source_run == run.run_id and manifest.created_at.endswith("+00:00")
    train = run.split_path("train")
    assert manifest.data["sha256"]["train.csv"] == hashlib.sha256(train.read_bytes()).hexdigest()
    assert manifest.data["rows"] == run.read_config()["data"]["rows"]
    assert set(manifest.files) == {"model/classic.json", "model/classic.safetensors",
                                   "model/labels.json", "tools/orders.csv"}
    # A fingerprint, not the data: no training text is anywhere in the bundle.
    texts = pd.read_csv(train)["text"].tolist()
    with zipfile.ZipFile(bundle) as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert not [t for t in texts if t.encode() in everything]


def test_a_local_base_model_is_exported_by_name_not_path(tiny, tiny_model_dir: Path) -> None:
    manifest = _manifest(tiny[1])
    assert manifest["base_model"] == {"id": tiny_model_dir.name, "name": tiny_model_dir.name,
                                      "source": "local", "model_type": "bert"}
    assert manifest["settings"]["model"] == tiny_model_dir.name
    with zipfile.ZipFile(tiny[1]) as archive:  # nor in the model's own config files
        assert not [n for n in archive.namelist()
                    if str(tiny_model_dir).encode() in archive.read(n)]
    assert "model/model.safetensors" in manifest["files"]
    assert not [name for name in manifest["files"] if name.endswith((".bin", ".pt", ".pkl"))]


def test_a_run_whose_classic_model_serves_exports_the_classic_agent(
        tmp_path: Path, tiny_model_dir: Path) -> None:
    # A fine-tuning that learns nothing: the classic model wins on validation and serves.
    run = _trained_run(tmp_path, **tiny_settings(tiny_model_dir, epochs=1, learning_rate=1e-7))
    assert run.read_report()["agent"]["kind"] == "classic"
    bundle = export_bundle(run.path)
    assert _manifest(bundle)["base_model"]["id"] == "classic"
    # The settings name the model the bundle holds, not the folder the run tried.
    assert _manifest(bundle)["settings"]["model"] == "classic"
    assert not [name for name in _manifest(bundle)["files"] if "finetuned" in name]
    new = import_bundle(bundle, tmp_path / "imported")
    assert [ask(new, q).to_dict() for q in QUESTIONS] == [ask(run, q).to_dict()
                                                          for q in QUESTIONS]


def _drop(key: str) -> Callable[[dict], None]:
    return lambda m: m.pop(key)


def _set(key: str, value) -> Callable[[dict], None]:
    return lambda m: m.__setitem__(key, value)


def _set_in(key: str, inner: str, value) -> Callable[[dict], None]:
    return lambda m: m[key].__setitem__(inner, value)


MANIFEST_CASES = {
    "missing key": (_drop("labels"), "lacks labels"),
    "unknown key": (_set("script", "rm -rf /"), "unknown fields: script"),
    "newer version": (_set("format_version", 2), "newer playground"),
    "old version": (_set("format_version", 0), "format_version 0"),
    "version as text": (_set("format_version", "1"), "format_version should be a whole number"),
    "labels as text": (_set("labels", "refund"), "labels should be a list"),
    "labels not names": (_set("labels", [1, 2]), "list of label names"),
    "duplicate labels": (_set("labels", ["refund", "refund"]), "twice"),
    "unknown task": (_set("task", "translation"), "task 'translation'"),
    "settings out of range": (_set_in("settings", "learning_rate", 7), "settings do not"),
    "unknown setting": (_set_in("settings", "shell", "bash"), "Unknown setting"),
    "bad date": (_set("created_at", "yesterday"), "not a date"),
    "bad source": (_set_in("base_model", "source", "ftp"), "base_model.source"),
    "no scores": (_set("metrics", {}), "no held-out scores"),
    "bad fingerprint": (_set_in("data", "sha256", {"train.csv": "abc"}), "data.sha256"),
    "bad file entry": (_set("files", {"model/labels.json": {"bytes": 3}}), r"files\['model"),
    "rule for an unknown label": (lambda m: m["rules"]["rules"][0].update(label="nope"),
                                  "reply rules are not valid"),
    "rules naming an entity agent": (_set_in("rules", "entity_run", "../../elsewhere"),
                                     "entity agent"),
    "rule of the wrong type": (lambda m: m["rules"]["rules"][0].update(tool=5, action="lookup"),
                               "tool of a rule must be text"),
    "settings naming an unknown model": (_set_in("settings", "model", "someone/unknown-model"),
                                         "neither its base model 'classic'"),
    # Text: what the playground writes, no more (bundle_texts.py).
    "escape codes in a name": (_set_in("base_model", "name", "Agent\x1b[31m"),
                               r"base_model.name holds the control character U\+001B"),
    "a direction override in a label": (_set("labels", ["greeting", "lost_card\u202e",
                                                        "refund"]), r"U\+202E"),
    "a label of two lines": (_set("labels", ["greeting", "lost\ncard", "refund"]),
                             r"labels holds the control character U\+000A"),
    "a 10,000-character reply": (lambda m: m["rules"]["rules"][0].update(reply="x" * 10_000),
                                 "rules.rules.reply is too long"),
    "a long held-out description": (_set_in("data", "held_out", "rows " * 300),
                                    "data.held_out is too long"),
    "a path as the source run": (_set("source_run", "../../etc/passwd"), "not a run's id"),
    "a path as the data's name": (_set_in("data", "name", "/srv/data/secret.csv"),
                                  "not a file's name"),
    "markup as the version": (_set("playground_version", "<img src=x>"), "not a version"),
    "markup as the model type": (_set_in("base_model", "model_type", "<b>bert</b>"),
                                 "not a model type"),
    "a long key": (_set_in("metrics", "k" * 5000, 1), "a key of metrics is too long"),
    "JSON 900 deep": (_set_in("metrics", "deep", json.loads("[" * 900 + "]" * 900)),
                      "metrics.deep is nested too deeply"),
}


@pytest.mark.parametrize("change, message", MANIFEST_CASES.values(), ids=MANIFEST_CASES.keys())
def test_check_manifest_names_what_is_wrong(classic, change, message) -> None:
    manifest = _manifest(classic[1])
    check_manifest(manifest)
    change(manifest)
    with pytest.raises(BundleError, match=message):
        check_manifest(manifest)


def test_a_manifest_must_be_an_object() -> None:
    with pytest.raises(BundleError, match="not a JSON object"):
        check_manifest(["format_version", 1])


# ----- bad bundles -------------------------------------------------------------------------
def _entry(content: bytes) -> dict:
    return {"sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}


def _rebuild(good: Path, target: Path, *, manifest: Callable[[dict], None] | None = None,
             replace: dict[str, bytes] | None = None, add: list | None = None,
             drop: tuple[str, ...] = (), listed: bool = True, damage: str = "") -> Path:
    """A copy of a good bundle with entries changed. The manifest lists what is replaced
    or added (``listed``), so the check under test, not the file list, refuses it;
    ``damage`` flips a byte of one file and keeps the manifest as it was."""
    with zipfile.ZipFile(good) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    data = json.loads(members.pop(MANIFEST))
    for name, content in (replace or {}).items():
        members[name] = content
        data["files"][name] = _entry(content)
    for name in drop:
        members.pop(name)
    if damage:
        content = bytearray(members[damage])
        content[-1] ^= 0xFF
        members[damage] = bytes(content)
    if manifest:
        manifest(data)
    extra = []
    for item, content in add or []:
        if listed:
            data["files"][getattr(item, "filename", item)] = _entry(content)
        extra.append((item, content))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Duplicate name": wanted here
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST, json.dumps(data))
            for name, content in members.items():
                archive.writestr(name, content)
            for item, content in extra:
                archive.writestr(item, content)
    return target


def _link(name: str, to: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, to.encode()


def _zeros(name: str, size: int) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info, bytes(size)


def _wrong_shape_weights() -> bytes:
    from safetensors.numpy import save

    return save({"idf": np.ones(3), "coef": np.ones((2, 3)), "intercept": np.ones(2)})


def _classic_meta(good: Path, **vectorizer) -> bytes:
    with zipfile.ZipFile(good) as archive:
        meta = json.loads(archive.read("model/classic.json"))
    meta["vectorizer"].update(vectorizer)
    return json.dumps(meta).encode()


def _labels_json(good: Path, **changes) -> bytes:
    with zipfile.ZipFile(good) as archive:
        saved = json.loads(archive.read("model/labels.json"))
    return json.dumps({**saved, **changes}).encode()


PICKLE = pickle.dumps({"weight": [0.1, 0.2]})  # written, never loaded
BAD_BUNDLES = {
    # name: (build(good, target), words of the message, which good bundle)
    "pickled .bin weights": (lambda g, t: _rebuild(
        g, t, add=[("model/pytorch_model.bin", PICKLE)]), "pickled weights"),
    "a pickle file": (lambda g, t: _rebuild(g, t, add=[("model/agent.pkl", PICKLE)]),
                      "pickled weights"),
    "a pickle named .safetensors": (lambda g, t: _rebuild(
        g, t, replace={"model/classic.safetensors": PICKLE}), "not a safetensors file"),
    "another kind of file": (lambda g, t: _rebuild(g, t, add=[("model/run.sh", b"echo")]),
                             "may not hold"),
    "path traversal": (lambda g, t: _rebuild(g, t, add=[("../evil.csv", b"a,b")]),
                       "leads outside"),
    "deep traversal": (lambda g, t: _rebuild(g, t, add=[("tools/../../evil.csv", b"a,b")]),
                       "leads outside"),
    "absolute path": (lambda g, t: _rebuild(g, t, add=[("/tmp/evil.csv", b"a,b")]),
                      "absolute path"),
    "backslashes": (lambda g, t: _rebuild(g, t, add=[("tools\\evil.csv", b"a,b")]),
                    "Windows-style"),
    "drive letter": (lambda g, t: _rebuild(g, t, add=[("C:/evil.csv", b"a,b")]),
                     "Windows-style"),
    "symlink": (lambda g, t: _rebuild(g, t, add=[_link("tools/passwd.csv", "/etc/passwd")]),
                "link"),
    "folder entry": (lambda g, t: _rebuild(g, t, add=[("tools/", b"")]), "not a plain file"),
    "duplicate name": (lambda g, t: _rebuild(g, t, add=[("model/labels.json", b"{}")]),
                       "twice"),
    "zip bomb": (lambda g, t: _rebuild(g, t, add=[_zeros("model/zeros.txt", 20 << 20)]),
                 "zip bomb"),
    "too many files": (lambda g, t: _rebuild(g, t, add=[(f"tools/t{i}.csv", b"a,b")
                                                        for i in range(600)]), "too many"),
    "manifest missing a key": (lambda g, t: _rebuild(g, t, manifest=_drop("rules")),
                               "lacks rules"),
    "manifest of a newer format": (lambda g, t: _rebuild(
        g, t, manifest=_set("format_version", 2)), "newer playground"),
    "manifest of wrong types": (lambda g, t: _rebuild(g, t, manifest=_set("labels", "refund")),
                                "labels should be a list"),
    "manifest not JSON": (lambda g, t: _replace_manifest(_rebuild(g, t), b"{not json"),
                          "not valid JSON"),
    "no manifest": (lambda g, t: _replace_manifest(_rebuild(g, t), None), "no manifest.json"),
    "labels mismatch": (lambda g, t: _rebuild(
        g, t, manifest=_set("labels", LABELS[::-1])), "do not match"),
    "bad rules": (lambda g, t: _rebuild(
        g, t, manifest=lambda m: m["rules"]["rules"][0].update(action="email")),
        "reply rules are not valid"),
    "unknown builtin base model": (lambda g, t: _rebuild(
        g, t, manifest=_set_in("base_model", "id", "classic-xl")), "not one this playground"),
    "unlisted file": (lambda g, t: _rebuild(g, t, add=[("tools/extra.csv", b"a,b")],
                                            listed=False), "does not list"),
    "missing file": (lambda g, t: _rebuild(g, t, drop=("tools/orders.csv",)), "lacks tools"),
    "damaged file": (lambda g, t: _rebuild(g, t, damage="model/classic.safetensors"),
                     "checksum"),
    "a classic model that would read files": (lambda g, t: _rebuild(g, t, replace={
        "model/classic.json": _classic_meta(g, input="filename")}), "never writes"),
    # 3,000 characters with n-grams up to 100,000 long cost 22 s and 4.8 GB per question.
    "n-grams 100,000 characters long": (lambda g, t: _rebuild(g, t, replace={
        "model/classic.json": _classic_meta(g, ngram_range=[1, 100000])}),
        r"never writes \(ngram_range \[1, 100000\]\)"),
    "another analyzer": (lambda g, t: _rebuild(g, t, replace={
        "model/classic.json": _classic_meta(g, analyzer="word")}), "never writes"),
    "more features than the playground keeps": (lambda g, t: _rebuild(g, t, replace={
        "model/classic.json": _classic_meta(g, max_features=10**9)}), "never writes"),
    "min_df of true": (lambda g, t: _rebuild(g, t, replace={
        "model/classic.json": _classic_meta(g, min_df=True)}), "never writes"),
    # The temperature divides every answer's logits: 0 breaks them, a tiny one makes the
    # agent 100% sure of everything, a word fails each question.
    "a temperature of zero": (lambda g, t: _rebuild(g, t, replace={
        "model/labels.json": _labels_json(g, temperature=0)}), r"temperature .*\(0\)"),
    "a temperature that makes every answer sure": (lambda g, t: _rebuild(g, t, replace={
        "model/labels.json": _labels_json(g, temperature=1e-6)}), "not one training fits"),
    "a temperature that is a word": (lambda g, t: _rebuild(g, t, replace={
        "model/labels.json": _labels_json(g, temperature="warm")}), "not one training fits"),
    "weights that do not fit": (lambda g, t: _rebuild(
        g, t, replace={"model/classic.safetensors": _wrong_shape_weights()}),
        "does not load"),
    "not a zip": (lambda g, t: _text_file(t), "not a zip file"),
    "no file": (lambda g, t: t.with_name("nowhere.agent.zip"), "no file"),
}


def _text_file(path: Path) -> Path:
    path.write_text("text,label\nhello,greeting\n")
    return path


def _replace_manifest(bundle: Path, content: bytes | None) -> Path:
    with zipfile.ZipFile(bundle) as archive:
        members = {n: archive.read(n) for n in archive.namelist() if n != MANIFEST}
    with zipfile.ZipFile(bundle, "w") as archive:
        if content is not None:
            archive.writestr(MANIFEST, content)
        for name, data in members.items():
            archive.writestr(name, data)
    return bundle


def _snapshot(folder: Path) -> list[tuple[str, int, float]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime)
                  for p in folder.rglob("*"))


@pytest.fixture
def used_runs(classic, tmp_path: Path) -> Path:
    """A runs folder that already holds an imported agent."""
    runs = tmp_path / "runs"
    import_bundle(classic[1], runs)
    return runs


@pytest.mark.parametrize("build, message", BAD_BUNDLES.values(), ids=BAD_BUNDLES.keys())
def test_a_bad_bundle_is_refused_and_changes_nothing(classic, used_runs: Path, tmp_path: Path,
                                                     build, message) -> None:
    bad = build(classic[1], tmp_path / "bad.agent.zip")
    before = _snapshot(used_runs)
    with pytest.raises(BundleError, match=message) as caught:
        import_bundle(bad, used_runs)
    assert caught.value.hint
    assert _snapshot(used_runs) == before


def test_a_bundle_over_the_size_limit_is_refused(classic, used_runs: Path) -> None:
    bundle = classic[1]
    before = _snapshot(used_runs)
    with pytest.raises(BundleError, match="too large"):
        import_bundle(bundle, used_runs, max_bytes=1000)  # the file itself
    with zipfile.ZipFile(bundle) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    assert unpacked > bundle.stat().st_size + 1
    with pytest.raises(BundleError, match="too large"):  # what it unpacks to
        import_bundle(bundle, used_runs, max_bytes=bundle.stat().st_size + 1)
    assert _snapshot(used_runs) == before


def _tiny_config(tiny_bundle: Path, **changes) -> bytes:
    with zipfile.ZipFile(tiny_bundle) as archive:
        config = json.loads(archive.read("model/config.json"))
    return json.dumps({**config, **changes}).encode()


def test_an_unknown_base_model_or_custom_code_is_refused(tiny, used_runs: Path,
                                                         tmp_path: Path) -> None:
    bundle = tiny[1]
    before = _snapshot(used_runs)
    secret = _rebuild(bundle, tmp_path / "secret.agent.zip",
                      replace={"model/config.json": _tiny_config(bundle, model_type="secret")},
                      manifest=lambda m: (m["base_model"].update(
                          id="someone/secret", source="hub", model_type="secret"),
                          m["settings"].update(model="someone/secret")))
    with pytest.raises(BundleError, match="not one this playground knows"):
        import_bundle(secret, used_runs)
    remote = _rebuild(bundle, tmp_path / "remote.agent.zip", replace={
        "model/config.json": _tiny_config(bundle, auto_map={
            "AutoModelForSequenceClassification": "modeling_evil.EvilModel"})})
    with pytest.raises(BundleError, match="code of its own"):
        import_bundle(remote, used_runs)
    with zipfile.ZipFile(bundle) as archive:
        tokenizer = json.loads(archive.read("model/tokenizer_config.json"))
    tokenizer["auto_map"] = {"AutoTokenizer": ["tokenization_evil.EvilTokenizer", None]}
    remote_tokenizer = _rebuild(bundle, tmp_path / "tokenizer.agent.zip", replace={
        "model/tokenizer_config.json": json.dumps(tokenizer).encode()})
    with pytest.raises(BundleError, match="auto_map in its tokenizer_config.json"):
        import_bundle(remote_tokenizer, used_runs)
    claims_classic = _rebuild(bundle, tmp_path / "claims.agent.zip", manifest=lambda m: (
        m["base_model"].update(id="classic"), m["settings"].update(model="classic")))
    with pytest.raises(BundleError, match="classic model, but"):
        import_bundle(claims_classic, used_runs)
    assert _snapshot(used_runs) == before


def test_export_refuses_unfinished_runs_and_pickles(classic, tmp_path: Path) -> None:
    run, _ = classic
    copy = RunFolder(tmp_path / run.run_id)
    shutil.copytree(run.path, copy.path)
    with pytest.raises(BundleError, match="does not exist"):
        export_bundle(copy.path, tmp_path / "nowhere" / "x.agent.zip")
    rules = json.loads(copy.agent_path.read_text())
    copy.agent_path.write_text(json.dumps({**rules, "entity_run": "20261124-000000-ner"}))
    with pytest.raises(BundleError, match="entity agent"):
        export_bundle(copy.path, tmp_path)
    copy.agent_path.write_text(json.dumps(rules))
    (copy.model_dir / "pytorch_model.bin").write_bytes(PICKLE)
    with pytest.raises(BundleError, match="pickled weights"):
        export_bundle(copy.path, tmp_path)
    copy.update_status(state="running")
    with pytest.raises(RunError, match="no finished agent"):
        export_bundle(copy.path, tmp_path)
    with pytest.raises(RunError, match="no run folder"):
        export_bundle(tmp_path / "nothing-here")
    assert not list(tmp_path.glob("*.zip")) and not list(tmp_path.glob(".*.tmp"))


def test_an_agent_with_a_reply_too_long_for_a_bundle_says_so(classic, tmp_path: Path) -> None:
    """Rules hold replies of a bundle's length at most; an agent.json edited by hand past
    it is refused at export with the rules' sentence."""
    run, _ = classic
    copy = RunFolder(tmp_path / run.run_id)
    shutil.copytree(run.path, copy.path)
    rules = json.loads(copy.agent_path.read_text())
    rules["rules"][0]["reply"] = "x" * 5000
    copy.agent_path.write_text(json.dumps(rules))
    with pytest.raises(ConfigError, match="is 5,000 characters long; a reply takes at most "
                                          "4,000") as caught:
        export_bundle(copy.path, tmp_path)
    assert "Shorten" in caught.value.hint and "最多 4,000" in caught.value.zh


def test_web_calls_come_in_switched_off(classic, used_runs: Path, tmp_path: Path) -> None:
    calling = _rebuild(classic[1], tmp_path / "calls.agent.zip", manifest=lambda m: m[
        "rules"].update(allow_http=True, rules=[{"label": "refund", "action": "http",
                                                 "tool": "https://example.com/collect"}]))
    run = import_bundle(calling, used_runs)
    rules = json.loads(run.agent_path.read_text())
    assert rules["allow_http"] is False and rules["rules"][0]["action"] == "http"


def test_a_classic_model_beside_a_transformer_is_refused(classic, tiny, used_runs: Path,
                                                         tmp_path: Path) -> None:
    before = _snapshot(used_runs)
    with zipfile.ZipFile(classic[1]) as archive:
        classic_meta = archive.read("model/classic.json")
    both = _rebuild(tiny[1], tmp_path / "both.agent.zip",
                    add=[("model/classic.json", classic_meta)])
    with pytest.raises(BundleError, match="both a classic model and a transformers"):
        import_bundle(both, used_runs)
    assert _snapshot(used_runs) == before
