"""Chat agents in bundles. A LoRA agent on a hub model travels as its adapter (a few
kB here) and the base model's id; on a local folder, which cannot travel by name, it
travels merged into whole weights. Either way the imported agent gives the same greedy
answers. A hostile adapter bundle (a base that is no hub id, one not on this machine,
one with code of its own, an adapter config that is not plain LoRA) is refused with a
sentence, and the runs folder stays as it was.

The "hub" is a Hugging Face cache made here, holding the tiny chat model under a hub id:
what a machine that downloaded a model has, with no network."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
from chat_samples import QUESTIONS, train_chat
from test_bundles import _rebuild, _snapshot

from playground import tasks
from playground.errors import BundleError
from playground.runfolder import RunFolder
from playground.service.agents import ask
from playground.service.bundles import export_bundle, import_bundle

HUB_ID = "tiny-org/tiny-chat"
CUSTOM_ID = "evil-org/custom-code"


def _cache_model(cache: Path, repo_id: str, folder: Path, **config_changes) -> None:
    """``folder`` as the hub cache holds a downloaded model: refs/main -> a snapshot."""
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / ("0" * 40)
    shutil.copytree(folder, snapshot)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    if config_changes:
        config = json.loads((snapshot / "config.json").read_text())
        (snapshot / "config.json").write_text(json.dumps({**config, **config_changes}))


@pytest.fixture(scope="module", autouse=True)
def hub_cache(tmp_path_factory: pytest.TempPathFactory, tiny_chat_model_dir: Path) -> Path:
    from huggingface_hub import constants

    cache = tmp_path_factory.mktemp("hf-cache")
    _cache_model(cache, HUB_ID, tiny_chat_model_dir)
    _cache_model(cache, CUSTOM_ID, tiny_chat_model_dir,
                 auto_map={"AutoModelForCausalLM": "modeling_evil.EvilModel"})
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(constants, "HF_HUB_CACHE", str(cache))
        patch.setenv("HF_HUB_OFFLINE", "1")
        yield cache


@pytest.fixture(scope="module")
def hub_lora(tmp_path_factory: pytest.TempPathFactory, hub_cache: Path) -> tuple[RunFolder, Path]:
    folder = tmp_path_factory.mktemp("hub-lora")
    run = train_chat(folder, HUB_ID)
    return run, export_bundle(run.path, folder / "hub.agent.zip")


def test_a_lora_agent_travels_as_its_adapter_and_answers_the_same(hub_lora, tmp_path: Path,
                                                                  hub_cache: Path) -> None:
    run, bundle = hub_lora
    assert run.read_report()["agent"]["kind"] == "finetuned"
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        adapter = json.loads(archive.read("model/adapter_config.json"))
        text = b"".join(archive.read(name) for name in names if not name.endswith(
            ".safetensors"))
    assert {"model/adapter_config.json", "model/adapter_model.safetensors",
            "model/chat_template.jinja"} <= names
    assert "model/config.json" not in names and "model/README.md" not in names
    assert bundle.stat().st_size < 200_000  # the adapter, not the base model's weights
    assert adapter["base_model_name_or_path"] == HUB_ID
    assert str(hub_cache).encode() not in text and str(run.path).encode() not in text
    imported = import_bundle(bundle, tmp_path / "runs")
    assert [ask(imported, q).to_dict() for q in QUESTIONS] == \
        [ask(run, q).to_dict() for q in QUESTIONS]
    # it answers in the precision its scores (the manifest's metrics) were written in
    agent = tasks.part("chat", "agent").load(imported.model_dir)
    assert agent.precision == run.read_report()["answer_precision"] == "bf16"


def test_a_precision_training_never_writes_is_refused(hub_lora, tmp_path: Path) -> None:
    bundle = hub_lora[1]
    with zipfile.ZipFile(bundle) as archive:
        saved = json.loads(archive.read("model/labels.json"))
    bad = _rebuild(bundle, tmp_path / "bad.agent.zip", replace={
        "model/labels.json": json.dumps({**saved, "precision": "int4"}).encode()})
    with pytest.raises(BundleError, match="precision in model/labels.json") as caught:
        import_bundle(bad, tmp_path / "runs")
    assert caught.value.zh
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def test_a_lora_agent_on_a_local_folder_travels_merged(tmp_path: Path, tiny_lora_run: Path,
                                                       tiny_chat_model_dir: Path) -> None:
    run = RunFolder(tiny_lora_run)  # exporting reads the run: the session's serves
    bundle = export_bundle(run.path, tmp_path / "local.agent.zip")
    with zipfile.ZipFile(bundle) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
    assert {"model/config.json", "model/model.safetensors"} <= names
    assert "model/adapter_config.json" not in names
    assert manifest["base_model"] == {"id": tiny_chat_model_dir.name,
                                      "name": tiny_chat_model_dir.name, "source": "local",
                                      "model_type": "llama"}
    imported = import_bundle(bundle, tmp_path / "other-runs")
    assert [ask(imported, q).to_dict() for q in QUESTIONS] == \
        [ask(run, q).to_dict() for q in QUESTIONS]
    # whole weights: no base model the importer could load to answer beside it
    assert not tasks.part("chat", "agent").load(imported.model_dir).has_base


@pytest.mark.parametrize("base", ["/etc/models/x", "someone/unknown"])
def test_labels_naming_another_base_than_the_manifest_are_refused(hub_lora, tmp_path: Path,
                                                                  base: str) -> None:
    """The agent loads its base from labels.json: a bundle may not name one there that
    its manifest (the base the import checks) does not."""
    bundle = hub_lora[1]
    with zipfile.ZipFile(bundle) as archive:
        saved = json.loads(archive.read("model/labels.json"))
    bad = _rebuild(bundle, tmp_path / "bad.agent.zip", replace={
        "model/labels.json": json.dumps({**saved, "base_model": base}).encode()})
    with pytest.raises(BundleError, match="base model named in model/labels.json") as caught:
        import_bundle(bad, tmp_path / "runs")
    assert caught.value.zh
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def _adapter(bundle: Path, **changes) -> bytes:
    with zipfile.ZipFile(bundle) as archive:
        config = json.loads(archive.read("model/adapter_config.json"))
    return json.dumps({**config, **changes}).encode()


def _base(model_id: str, source: str = "hub"):
    def change(manifest: dict) -> None:
        manifest["base_model"].update(id=model_id, source=source)
        manifest["settings"].update(model=model_id)
    return change


HOSTILE = {
    "not on this machine": (dict(base_model_name_or_path="someone/unknown"),
                            _base("someone/unknown"), "not on this machine"),
    "custom code": (dict(base_model_name_or_path=CUSTOM_ID), _base(CUSTOM_ID),
                    "code of its own"),
    "a path, not a hub id": (dict(base_model_name_or_path="/etc/models/x"),
                             _base("/etc/models/x"), "not a model.s id|nor a Hugging Face hub id"),
    "a path out of the cache": (dict(base_model_name_or_path="../../secret"),
                                _base("../../secret"), "not a model.s id|nor a Hugging Face hub id"),
    "a local base": (dict(base_model_name_or_path="x"), _base("x", "local"),
                     "nor a Hugging Face hub id"),
    "an encoder as base": (dict(base_model_name_or_path="minilm"), _base("minilm"),
                           "not the kind of model"),
    "another base in the adapter": (dict(base_model_name_or_path="other/base"), None,
                                    "names the base model"),
    "a regular expression": (dict(target_modules=".*(q|v)_proj"), None,
                             "not a list of plain module names"),
    "a huge rank": (dict(r=1_000_000), None, "rank r"),
    "a custom model class": (dict(auto_mapping={"base_model_class": "Evil",
                                                "parent_library": "evil.models"}), None,
                             "sets auto_mapping"),
    "another adapter method": (dict(peft_type="PROMPT_TUNING"), None, "not LoRA"),
    "a loader of its own": (dict(init_lora_weights="loftq", loftq_config={"loftq_bits": 4}),
                            None, "sets init_lora_weights"),
}


@pytest.mark.parametrize("adapter, manifest, message", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_adapter_bundle_is_refused_with_a_sentence(hub_lora, tmp_path: Path, adapter,
                                                             manifest, message) -> None:
    bundle = hub_lora[1]
    runs = tmp_path / "runs"
    import_bundle(bundle, runs)  # a runs folder that already holds an agent
    before = _snapshot(runs)
    bad = _rebuild(bundle, tmp_path / "bad.agent.zip", manifest=manifest,
                   replace={"model/adapter_config.json": _adapter(bundle, **adapter)})
    with pytest.raises(BundleError, match=message) as caught:
        import_bundle(bad, runs)
    assert caught.value.hint and caught.value.zh
    assert _snapshot(runs) == before


def test_an_oversize_chat_bundle_is_refused(hub_lora, tmp_path: Path) -> None:
    with pytest.raises(BundleError, match="too large"):
        import_bundle(hub_lora[1], tmp_path / "runs", max_bytes=10_000)
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
