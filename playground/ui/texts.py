"""Every word the web app shows, in English and Chinese.

Static labels go through ``gr.I18n`` (the browser's language picks them); sentences built
in event handlers go through ``say(lang, key)``, with ``lang`` read from the request's
Accept-Language header, so a message and the page around it speak the same language.
"""

from __future__ import annotations

from typing import Any

from playground import tasks
from playground.ui.texts_agents import AGENT_TEXTS


def sample_key(name: str) -> str:
    """The words' key of bundled sample file ``name`` (the page's translations take no
    dots: they would read as nested keys)."""
    return "sample_" + name.rsplit(".", 1)[0]


TEXTS: dict[str, tuple[str, str]] = {
    # page
    "title": ("Agent Playground", "智能体训练场"),
    "subtitle": ("Teach a text agent from your own examples: pick a model, add a labeled "
                 "spreadsheet, press Train, then talk to what you made.",
                 "用你自己的例子教会一个文本智能体：选模型、上传带标签的表格、点击训练，然后和它对话。"),
    "tab_model": ("1 · Model", "1 · 模型"),
    "tab_data": ("2 · Data", "2 · 数据"),
    "tab_settings": ("3 · Settings", "3 · 设置"),
    "tab_train": ("4 · Train", "4 · 训练"),
    "tab_test": ("5 · Test & chat", "5 · 测试与对话"),
    # model tab
    "model_next": ("Pick the model to teach. **Auto** chooses for your data's language. "
                   "Then go to **2 · Data**.",
                   "选择要训练的模型。**自动** 会按数据语言挑选。然后前往 **2 · 数据**。"),
    "model_choice": ("Model", "模型"),
    "model_auto_choice": ("Auto", "自动"),
    "model_auto": tasks.spec(tasks.DEFAULT).auto_hint,  # the task changes it (tab_model)
    "model_custom": ("Or a Hugging Face model id or a local model folder",
                     "或填写 Hugging Face 模型 id / 本地模型文件夹"),
    "model_check": ("Check this model", "检查该模型"),
    "model_task": ("Task", "任务"),
    "model_ok": ("{name} can be used.", "可以使用 {name}。"),
    "model_cards": ("Models", "模型目录"),
    "fits_here": ("fits this machine", "适合本机"),
    "needs_hub": ("downloads from the Hugging Face hub", "需从 Hugging Face 下载"),
    # data tab
    "data_next": ("Upload a table of examples (texts with their labels, tagged words, or "
                  "questions with their answers, as the task needs), or try a sample. "
                  "Fix anything marked ❌, then go to **3 · Settings**.",
                  "上传样本表格（按任务需要：带标签的文本、标注好的词，或问题和回答），或试用示例数据。"
                  "修正标记 ❌ 的问题，然后前往 **3 · 设置**。"),
    "data_file": ("Training data (CSV, TSV, Excel or JSON lines)", "训练数据（CSV、TSV、Excel 或 JSON lines）"),
    "data_eval_file": ("Optional: a separate file with the right answers, for the final "
                       "score", "可选：单独一份带正确答案的文件，用于最终评分"),
    "data_sample": ("Or try a sample", "或试用示例数据"),
    "text_column": ("Text column", "文本列"),
    "label_column": ("Label column", "标签列"),
    "preview": ("Preview (first rows)", "预览（前几行）"),
    "chat_role_system": ("System", "系统提示"),
    "chat_role_user": ("User", "用户"),
    "chat_role_assistant": ("Assistant", "助手"),
    "label_chart": ("Examples per label", "每个标签的样本数"),
    "data_checks": ("Checks", "检查结果"),
    "no_data": ("Add training data first (tab 2 · Data).", "请先添加训练数据（第 2 步 · 数据）。"),
    "no_file_here": ("Pick a file in the box next to this button first, then press it again.",
                     "请先在此按钮旁的文件框中选择一个文件，然后再点一次。"),
    "too_big": ("This file is {size} MB; the limit is {limit} MB. Use a smaller sample.",
                "该文件 {size} MB，上限为 {limit} MB。请使用更小的样本。"),
    # settings tab
    "settings_next": ("The defaults suit most data. Pick a preset, check the estimate, then "
                      "go to **4 · Train**.",
                      "默认设置适合大多数数据。选择预设、查看预估，然后前往 **4 · 训练**。"),
    "preset": ("Preset", "预设"),
    "preset_quick-demo": ("Quick demo (about 2 minutes)", "快速演示（约 2 分钟）"),
    "preset_balanced": ("Balanced (the defaults)", "均衡（默认）"),
    "preset_best-quality": ("Best quality (slower)", "最佳效果（较慢）"),
    "advanced": ("Advanced settings", "高级设置"),
    "preflight": ("Estimate time and memory", "预估时间和内存"),
    "save_settings": ("Save settings to a file", "保存设置到文件"),
    "load_settings": ("Load settings from a file", "从文件加载设置"),
    "settings_file": ("Settings file", "设置文件"),
    "estimate": ("About {minutes} to train ({steps} steps at {per_step:.2f} s each) and about "
                 "{memory} of memory; this machine has {free} free.",
                 "预计训练约 {minutes}（{steps} 步，每步 {per_step:.2f} 秒），需要约 {memory} 内存；本机可用 {free}。"),
    "estimate_at_most": ("That is the most it takes: early stopping may end the run sooner.",
                         "这是最长用时：提前停止可能让训练更早结束。"),
    "estimating": ("⏳ Timing a few training steps on this machine (10-30 s)…",
                   "⏳ 正在本机试跑几步训练来计时（10-30 秒）…"),
    "estimate_classic": ("The classic model trains in seconds and needs little memory.",
                         "经典模型几秒即可训练完成，占用内存很少。"),
    "too_slow": ("⚠️ That is long for a demo: try the Quick demo preset or fewer epochs.",
                 "⚠️ 对演示来说太久：试试“快速演示”预设或减少训练轮数。"),
    "too_much_memory": ("⚠️ It may not fit in memory: halve the batch size or the max length.",
                        "⚠️ 内存可能不足：把批次大小或最大长度减半。"),
    # train tab
    "train_next": ("Press **Start**. The curve shows the loss falling; when it is done, go to "
                   "**5 · Test & chat**.",
                   "点击 **开始**。曲线显示损失下降；完成后前往 **5 · 测试与对话**。"),
    "start": ("Start training", "开始训练"),
    "stop": ("Stop", "停止"),
    "loss_plot": ("Loss (lower is better)", "损失（越低越好）"),
    "metric_plot": ("Validation score (accuracy; entity F1 for entities)",
                    "验证得分（准确率；实体任务为实体 F1）"),
    "metric_plot_of": ("Validation score ({metric})", "验证得分（{metric}）"),
    "runs": ("All runs", "全部训练记录"),
    "open_run": ("Open run", "打开记录"),
    "runs_help": ("**score**: the held-out score of the run's task ("
                  + "; ".join(f"{spec.short_title[0].lower()}: {spec.metric_title(spec.headline)}"
                              for spec in tasks.specs())
                  + "). **macro-F1**: the average of the labels' own scores, so a rare label "
                  "counts as much as a common one.",
                  "**得分**：该任务在留出数据上的得分（"
                  + "；".join(f"{spec.short_title[1]}：{spec.metric_title(spec.headline, 'zh')}"
                             for spec in tasks.specs())
                  + "）。**宏平均 F1**：各标签得分的平均，少见标签与常见标签同等重要。"),
    "refresh": ("Refresh", "刷新"),
    "queued": ("Waiting in the queue: {ahead} run(s) ahead.", "排队中：前面还有 {ahead} 个任务。"),
    "running": ("Training: step {step} of {total}, epoch {epoch:.1f}, loss {loss:.3f} · {eta}",
                "训练中：第 {step}/{total} 步，第 {epoch:.1f} 轮，损失 {loss:.3f} · {eta}"),
    "eta_left": ("about {time} left", "约剩 {time}"),
    "eta_at_most": ("at most about {time} left (early stopping may end it sooner)",
                    "最多约剩 {time}（提前停止可能让训练更早结束）"),
    "starting": ("Starting: the training process is loading…", "正在启动：训练进程正在加载…"),
    "done": ("✅ Done. {text}", "✅ 完成。{text}"),
    "succeeded": ("{metric} {acc} on {held_out}. {floor}: {maj}.",
                  "{metric} {acc}（{held_out}）。{floor}：{maj}。"),
    "succeeded_classic": ("{name}: {classic}.", "{name}：{classic}。"),
    "eta_measuring": ("time left: measuring…", "剩余时间：测量中…"),
    "state_queued": ("waiting", "排队中"),
    "state_running": ("training", "训练中"),
    "state_succeeded": ("finished", "已完成"),
    "state_failed": ("failed", "失败"),
    "state_cancelled": ("stopped", "已停止"),
    "curve": ("Curve", "曲线"),
    "scores_plot": ("Held-out scores: what fine-tuning bought", "留出数据得分：微调带来了什么"),
    "scores_plot_classic": ("Held-out scores: the classic model against the simplest guess",
                            "留出数据得分：经典模型与最简单的猜法对比"),
    "bar_finetuned": ("fine-tuned model", "微调模型"),
    "axis_step": ("training step", "训练步数"),
    "axis_loss": ("loss", "损失"),
    "axis_score": ("score", "得分"),
    "axis_model": ("model", "模型"),
    "cancelled": ("⏹ Stopped. {reason}", "⏹ 已停止。{reason}"),
    "failed": ("❌ The run failed: {reason}", "❌ 训练失败：{reason}"),
    "nothing_running": ("Nothing is running in this window.", "此窗口没有正在进行的训练。"),
    "stopping": ("Stopping at the next step; the best checkpoint so far is kept.",
                 "将在下一步停止，并保留目前最好的检查点。"),
    "removed_from_queue": ("The run was removed from the queue.", "已从队列中移除该任务。"),
    "no_run": ("Pick a run first.", "请先选择一个训练记录。"),
    # test tab
    "test_next": ("Pick a finished run and talk to it, or test it on a labeled file.",
                  "选择已完成的训练记录与它对话，或用带标签的文件测试。"),
    "pick_run": ("Agent (a finished run)", "智能体（已完成的训练）"),
    "chat_box": ("Chat", "对话"),
    "message": ("Type a message and press Enter", "输入一句话并按回车"),
    "top3": ("The three most likely labels", "最可能的三个标签"),
    "run_name": ("Name", "名字"),
    "run_name_help": ("Edit it and press Enter to rename this agent.",
                      "修改后按回车即可重命名该智能体。"),
    "renamed": ("Renamed to “{name}”.", "已重命名为“{name}”。"),
    # who started a run
    "started_by": ("started by {owner}", "发起人：{owner}"),
    "owner_you": ("you", "你"),
    "owner_browser": ("another browser", "另一个浏览器"),
    "owner_cli": ("the server's command line ({user})", "服务器命令行（{user}）"),
    "per_label_count": ("Texts per label", "每个标签的条数"),
    "confidence_spread": ("How sure the agent was", "智能体的把握分布"),
    "examples": ("Examples per label", "每个标签的例子"),
    "trend": ("Labels per day", "每天的标签数"),
    "send": ("Send", "发送"),
    # chat with a language model (agents whose answers stream)
    "chat_settings": ("Chat settings", "对话设置"),
    "system_prompt": ("System prompt", "系统提示"),
    "system_prompt_help": ("Instructions the model reads before the conversation, e.g. "
                           "“Answer in one short sentence.” Leave empty for none.",
                           "模型在对话之前读到的指示，例如“用一句短话回答。”留空则不加。"),
    "temperature": ("Temperature", "温度"),
    "temperature_help": ("How freely the model picks its words: 0 always gives the same, "
                         "most likely answer; higher gives more varied ones.",
                         "模型选词的自由度：0 每次给出同一个最可能的回答；越高回答越多样。"),
    "top_p": ("Top-p", "Top-p"),
    "top_p_help": ("The model picks among the most likely words that together make up "
                   "this share; lower keeps it to safer words.",
                   "模型只在合计占这个比例的最可能的词中挑选；越低用词越稳妥。"),
    "max_new_tokens": ("Maximum new tokens", "最多生成的词元数"),
    "max_new_tokens_help": ("The longest answer, in tokens (a token is about three quarters "
                            "of an English word); each one costs the server a moment.",
                            "回答最长的词元数（一个汉字约一到两个词元）；每个词元都要花服务器一点时间。"),
    "compare_base": ("Answer with the base model too", "同时让基础模型回答"),
    "compare_base_help": ("The model before fine-tuning answers each message beside the "
                          "agent, so you see what fine-tuning changed. It doubles the time "
                          "each answer takes.",
                          "微调前的模型在智能体旁边回答每条消息，让你看到微调改变了什么。"
                          "每次回答的时间会加倍。"),
    "base_chat_box": ("Base model (before fine-tuning)", "基础模型（微调前）"),
    "agent_chat_box": ("Agent (fine-tuned)", "智能体（微调后）"),
    "retrieval_chat_box": ("Agent (retrieval: it scored best, so it answers)",
                           "智能体（检索：它得分最高，由它回答）"),
    "regenerate": ("Regenerate", "重新生成"),
    "clear_chat": ("Clear", "清空"),
    "test_file": ("File to test on, with the right answers", "用于测试的文件（带正确答案）"),
    "run_test": ("Test", "测试"),
    "predict_file": ("File of texts to label (no labels needed)", "待标注的文本文件（无需标签）"),
    "run_predict": ("Label this file", "标注该文件"),
    "download": ("Download the labeled file", "下载标注结果"),
    "download_export": ("Download the export", "下载导出文件"),
    "mistakes": ("Mistakes", "错误样本"),
    "per_label": ("Per-label scores", "各标签得分"),
    "confusion": ("Confusion matrix", "混淆矩阵"),
    "insights": ("What the agent found", "智能体的发现"),
    "test_score_chat": ("chrF {chrf:.1%} and exact match {exact:.1%} on {rows} questions "
                        "(chrF counts the character n-grams an answer shares with the "
                        "reference: 100% is the same text).",
                        "在 {rows} 个问题上 chrF 为 {chrf:.1%}，完全一致 {exact:.1%}"
                        "（chrF 统计回答与参考答案共有的字符 n-gram：100% 即文字相同）。"),
    "test_score_chat_precision": (" Answers written in {precision}, the number format the "
                                  "agent always answers in (its report was scored in it too).",
                                  "回答以 {precision} 数值格式生成，智能体平时回答也用它"
                                  "（报告中的得分同样以它计算）。"),
    "settings_fit_task": ("The file's settings were for another task; for the task picked on "
                          "1 · Model these changed: {changed}. Check them, or pick the "
                          "file's task first and load it again.",
                          "文件中的设置是为另一个任务准备的；按 1 · 模型 中选的任务，以下设置已更改："
                          "{changed}。请检查，或先选择文件对应的任务再重新加载。"),
    "test_score_chat_first": (" The file has {total:,} questions: a language model writes "
                              "each answer, so the first {rows} were scored.",
                              "文件共有 {total:,} 个问题：语言模型要逐一写出回答，因此只评估了前 "
                              "{rows} 个。"),
    "chat_label_rows": ("The file has {rows:,} questions; here a chat agent answers at most "
                        "{most} questions a file (it writes each answer, a second or more each). "
                        "Split the file into parts of {most} rows or fewer and label each.",
                        "该文件有 {rows:,} 个问题；在这里聊天智能体每个文件最多回答 {most} 个问题"
                        "（每个回答都要逐字写出，每个需一秒或更久）。"
                        "请把文件拆成每份不超过 {most} 行，再分别标注。"),
    "test_score_chat_cut": (" Each answer stops at most {margin} tokens past the longest reference "
                            "(words after that add little to the score), so a long one ends "
                            "mid-sentence.",
                            "每个回答最多写到比最长参考答案多 {margin} 个词元为止（之后的字对得分帮助不大），"
                            "所以较长的回答会在句中截止。"),
    "test_score_chat_base": (" The base model before fine-tuning: chrF {chrf:.1%}, exact "
                             "match {exact:.1%}.",
                             "微调前的基础模型：chrF {chrf:.1%}，完全一致 {exact:.1%}。"),
    "answers_table": ("Questions and answers", "问题与回答"),
    "answers_question": ("question", "问题"),
    "answers_reference": ("reference", "参考答案"),
    "answers_answer": ("agent's answer", "智能体的回答"),
    "answers_base_answer": ("base model's answer", "基础模型的回答"),
    "test_score": ("Accuracy {acc:.1%} on {rows} rows, and macro-F1 {f1:.1%} (the average "
                   "of the labels' scores, so a rare label counts as much as a common one). "
                   "Always answering the most common label would score {maj:.1%}.",
                   "在 {rows} 行上准确率 {acc:.1%}，宏平均 F1 {f1:.1%}（各标签得分的平均，少见标签与常见标签同等重要）。"
                   "总答最常见标签的准确率为 {maj:.1%}。"),
    "test_score_ner": ("Entity F1 {f1:.1%} (precision {p:.1%}, recall {r:.1%}) on {rows} "
                       "sentences with {entities} entities; an entity counts only when its "
                       "span and type are exact. Finding no entities scores 0.",
                       "在 {rows} 个句子（{entities} 个实体）上实体 F1 {f1:.1%}（精确率 {p:.1%}，"
                       "召回率 {r:.1%}）；实体的范围和类型都完全正确才算对。不标任何实体得 0 分。"),
    **AGENT_TEXTS,
    # each task's name in the picker, and what a gallery card's score of it is
    **{f"task_{spec.name}": spec.title for spec in tasks.specs()},
    **{f"card_{spec.name}": spec.card_words for spec in tasks.specs()},
    **{sample_key(name): words for spec in tasks.specs() for name, words in spec.samples.items()},
    **{f"card_not_useful_{spec.name}": spec.not_useful for spec in tasks.specs()},
}


# Gradio's page looks every plain string it shows (a dropdown choice, a column name) up in
# the translations too, so a column called "message" would show as our "message" label.
# Our keys carry a prefix no user data has.
KEY_PREFIX = "ap__"


def i18n() -> Any:
    """The gr.I18n object for the page (the browser's language picks the words).

    Call it with our own key (``words("title")``); it asks the page for the prefixed one.
    """
    import gradio as gr

    from playground.ui.tab_gallery import recipe_texts
    from playground.ui.tab_model import model_texts

    class Words(gr.I18n):
        def __call__(self, key: str) -> Any:
            return super().__call__(KEY_PREFIX + key)

    fields, recipe_words, models = field_texts(), recipe_texts(), model_texts()
    english = {**{k: v[0] for k, v in TEXTS.items()}, **fields["en"], **recipe_words["en"],
               **models["en"]}
    chinese = {**{k: v[1] for k, v in TEXTS.items()}, **fields["zh"], **recipe_words["zh"],
               **models["zh"]}
    return Words(en={KEY_PREFIX + k: v for k, v in english.items()},
                 zh={KEY_PREFIX + k: v for k, v in chinese.items()})


def lang_of(request: Any) -> str:
    """"zh" when the browser prefers Chinese, else "en"."""
    header = ""
    if request is not None:
        header = (request.headers.get("accept-language") or "").lower()
    return "zh" if header.startswith("zh") else "en"


def duration(seconds: float, lang: str, rough: bool = False) -> str:
    """``seconds`` in the page's language: "1 min 08 s" / "1 分 08 秒", "45 s" / "45 秒",
    "2 h 05 min" / "2 小时 05 分"; ``rough``: whole minutes from a minute on ("4 min" /
    "4 分钟"), for an expected time."""
    zh = lang == "zh"
    seconds = max(0, int(round(seconds)))
    if rough and seconds >= 60:
        seconds = round(seconds / 60) * 60
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} 小时 {minutes:02d} 分" if zh else f"{hours} h {minutes:02d} min"
    if minutes and rough:
        return f"{minutes} 分钟" if zh else f"{minutes} min"
    if minutes:
        return f"{minutes} 分 {secs:02d} 秒" if zh else f"{minutes} min {secs:02d} s"
    return f"{secs} 秒" if zh else f"{secs} s"


def say(lang: str, key: str, **values: Any) -> str:
    """A sentence in ``lang`` with ``values`` filled in."""
    english, chinese = TEXTS[key]
    return (chinese if lang == "zh" else english).format(**values)


def field_texts() -> dict[str, dict[str, str]]:
    """i18n entries field_<name>, help_<name> and choice_<name>_<value> for the generated
    settings form."""
    from playground.config import CHOICE_LABELS, FIELD_LABELS, field_specs

    en, zh = {}, {}
    for name, spec in field_specs().items():
        if name in FIELD_LABELS:
            en[f"field_{name}"], zh[f"field_{name}"] = FIELD_LABELS[name]
            en[f"help_{name}"], zh[f"help_{name}"] = spec.help, spec.help_zh
        for value, words in CHOICE_LABELS.get(name, {}).items():
            en[f"choice_{name}_{value}"], zh[f"choice_{name}_{value}"] = words
    return {"en": en, "zh": zh}


def error_for(exc: Any, lang: str) -> Any:
    """A gr.Error for a PlaygroundError, wholly in the page's language, that stays on the
    page until the user closes it. The toast renders HTML, and messages quote names, file
    names and labels: escaped, they show as text."""
    import html

    import gradio as gr

    text = exc.text(lang) if hasattr(exc, "text") else str(exc)
    return gr.Error(html.escape(text, quote=False), title="出错了" if lang == "zh" else "Error",
                    duration=None)
