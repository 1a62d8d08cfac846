"""Words of the agent features (gallery, reply rules, sharing), in English and Chinese.

Merged into ``texts.TEXTS``; kept apart so each file stays readable.
"""

from __future__ import annotations

AGENT_TEXTS: dict[str, tuple[str, str]] = {
    # gallery tab
    "tab_gallery": ("★ Gallery", "★ 智能体库"),
    "gallery_next": ("Start from a ready recipe: **Train this** trains it on its bundled data "
                     "(you watch it in **4 · Train**), **Chat now** opens a trained one.",
                     "从现成的配方开始：**训练它** 会用自带数据训练（在 **4 · 训练** 中观看），"
                     "**立即对话** 打开已训练好的智能体。"),
    "train_this": ("Train this", "训练它"),
    "chat_now": ("Chat now", "立即对话"),
    "your_agents": ("Your agents", "你的智能体"),
    "card_stopped_early": ("⏹ Stopped early: it trained for less than planned and kept the "
                           "best it had.", "⏹ 提前停止：训练少于计划，保留了停止前最好的结果。"),
    "no_agents": ("No trained agents yet: train a recipe above, or import a bundle.",
                  "还没有训练好的智能体：训练上面的配方，或导入一个智能体包。"),
    "import_bundle": ("Import an agent (.agent.zip)", "导入智能体（.agent.zip）"),
    "imported": ("Imported agent “{name}”: it is in the list below.",
                 "已导入智能体“{name}”，见下方列表。"),
    "expected": ("Expected: accuracy about {acc:.0%}, trained in about {time} on a laptop CPU.",
                 "预期：在笔记本 CPU 上约 {time} 训练完成，准确率约 {acc:.0%}。"),
    "expected_ner": ("Expected: entity F1 about {acc:.0%}, trained in about {time} on a laptop "
                     "CPU.", "预期：在笔记本 CPU 上约 {time} 训练完成，实体 F1 约 {acc:.0%}。"),
    "expected_chat": ("Measured: chrF {chrf:.2f} on held-out questions, against {base:.2f} for the "
                      "base model and {retrieval:.2f} for retrieval; trained in about {time} on a "
                      "2-core CPU.",
                      "实测：留出问题上 chrF {chrf:.2f}，基础模型 {base:.2f}，检索 {retrieval:.2f}；"
                      "在双核 CPU 上约 {time} 训练完成。"),
    "last_run": ("Last run “{name}”: held-out score {acc:.1%}.",
                 "最近一次“{name}”：留出数据得分 {acc:.1%}。"),
    "not_trained": ("Not trained here yet.", "尚未在本机训练。"),
    "recipe_started": ("Training {name}: follow it in 4 · Train.",
                       "正在训练 {name}：请在 4 · 训练 中查看。"),
    "entities": ("Entities found", "找到的实体"),
    "entity_run": ("Entity agent that fills the slots (optional)", "填充槽位的实体智能体（可选）"),
    # reply rules
    "rules": ("Replies and rules", "回复与规则"),
    "rules_help": ("One row per label: the **reply** may use {text}, {label}, {answer} and "
                   "entity slots; **keywords** (comma-separated) pick the label whatever the "
                   "model says; **action** is reply, lookup (in an uploaded table: **tool** = "
                   "its name, **key** = text, label or a slot) or http (**tool** = the URL). "
                   "Below the threshold the agent asks which label you meant.",
                   "每个标签一行：**回复** 可以使用 {text}、{label}、{answer} 和实体槽位；"
                   "**关键词**（逗号分隔）命中时直接决定标签；**动作** 为 reply、lookup（查上传的表："
                   "**工具** 填表名，**键** 填 text、label 或槽位）或 http（**工具** 填网址）。"
                   "把握低于阈值时，智能体会反问用户指的是哪一个。"),
    "rules_help_named": (
        "Each row is a rule that answers **before the model**: when one of its **keywords** "
        "(comma-separated) is in a message, it answers with its **reply**. With **action** "
        "lookup and an uploaded table's name as **tool**, it answers from the table's row "
        "whose key (first column) is in the message; its reply may use {answer} (the "
        "second column) and the table's column names. With action http, **tool** is a web "
        "address the message is sent to (only when web calls are allowed). The model "
        "answers every message no rule matches.",
        "每一行是一条在**模型之前**回答的规则：消息中出现它的某个**关键词**（逗号分隔）时，"
        "用它的**回复**回答。**动作**设为 lookup、**工具**填上传的表名时，消息中出现表中某行的键"
        "（第一列），就用这一行回答；回复可以使用 {answer}（第二列）和表的列名。动作设为 http 时，"
        "**工具**填接收消息的网址（仅在允许网络调用时）。没有规则匹配的消息都由模型回答。"),
    "threshold": ("Ask back below this confidence", "把握低于此值时反问"),
    "clarify": ("Question when unsure ({option1}, {option2})", "拿不准时的提问（{option1}、{option2}）"),
    "not_found": ("Answer when a lookup or web call finds nothing", "查表或网络调用无结果时的回答"),
    "allow_http": ("Allow web calls (http actions)", "允许网络调用（http 动作）"),
    "web_calls_off": ("This app was started without web calls: they need "
                      "`playground --allow-web-calls`.",
                      "本应用启动时未开启网络调用：需要使用 `playground --allow-web-calls` 启动。"),
    "http_timeout": ("Web call timeout (s)", "网络调用超时（秒）"),
    "tables": ("Lookup tables (CSV/Excel: key in the first column, answer in the second)",
               "查询表（CSV/Excel：第一列为键，第二列为答案）"),
    "tables_now": ("Tables: {names}", "已有的表：{names}"),
    "no_tables": ("No tables yet.", "还没有表。"),
    "table_rule_added": ("A lookup rule for {name} is in the table: save the rules to use "
                         "it.", "表格里已加入查 {name} 的规则：保存规则后生效。"),
    "table_missing": ("The lookup table {names} is not uploaded: upload it below, then "
                      "save again.", "查询表 {names} 还没有上传：请在下方上传后再保存。"),
    "save_rules": ("Save rules", "保存规则"),
    "rules_saved": ("Saved: the chat uses these rules now.", "已保存：对话立即使用这些规则。"),
    "streamed": ("written as you watched", "边写边显示"),
    "retrieved": ("the answer of the most similar training question",
                  "训练数据中最相似问题的答案"),
    "streamed_base": ("before fine-tuning, written as you watched", "微调前，边写边显示"),
    "answered_generated": ("answered by {source}: {detail}", "由{source}回答：{detail}"),
    "answered_entities": ("answered by the entity model: {detail}", "由实体模型回答：{detail}"),
    "answered_by": ("{label} · {confidence:.0%} sure · answered by {source}: {detail}",
                    "{label} · 把握 {confidence:.0%} · 由{source}回答：{detail}"),
    "answered_reply": ("{label} · {confidence:.0%} sure · answered by its reply template",
                       "{label} · 把握 {confidence:.0%} · 由回复模板回答"),
    "answered_keyword": ("{label} · picked by a keyword rule: {detail}",
                         "{label} · 由关键词规则选定：{detail}"),
    "answered_rule": ("answered by the rule “{rule}” before the model: {detail}",
                      "由规则“{rule}”在模型之前回答：{detail}"),
    "answered_clarify": ("Not sure enough, so the agent asks back: {detail}",
                         "把握不够，智能体反问：{detail}"),
    "no_entities_found": ("No entities found.", "没有找到实体。"),
    "rules_columns": ("label, reply, keywords, action, tool, key",
                      "标签、回复、关键词、动作、工具、键"),
    # share panel
    "share": ("Share and use from code", "分享与代码调用"),
    "export_bundle": ("Export agent (.agent.zip)", "导出智能体（.agent.zip）"),
    "export_script": ("Export training script (.py)", "导出训练脚本（.py）"),
    "save_merged": ("Save merged model (.zip)", "保存合并后的模型（.zip）"),
    "delete_agent": ("Delete this run", "删除该训练记录"),
    "deleted": ("Deleted {run_id}.", "已删除 {run_id}。"),
    "confirm_delete": ("Delete this run and its agent? Export it first to keep a copy.",
                       "删除该训练记录及其智能体？如需保留请先导出。"),
    "use_from_code": ("Use from code", "代码调用"),
    "code_help": ("Call this agent over HTTP: POST {{\"text\": ...}} to the address below.",
                  "通过 HTTP 调用该智能体：向下面的地址 POST {{\"text\": ...}}。"),
    "code_help_openai": ("Call this agent with any OpenAI client: the address ends in /v1 "
                         "and the model is the run's id. pip install openai, then:",
                         "可用任何 OpenAI 客户端调用该智能体：地址以 /v1 结尾，模型名是训练记录的 ID。"
                         "先 pip install openai，然后："),
    "code_locked": (" This app needs an API key: put it in the PLAYGROUND_API_KEY environment "
                    "variable (the host sees it when the app starts).",
                    " 本应用需要 API 密钥：请放入环境变量 PLAYGROUND_API_KEY（主持人在启动应用时可以看到）。"),
}
