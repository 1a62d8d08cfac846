"""Chat: a small language model fine-tuned on a question/answer sheet (or chat JSON
lines), answering in its own words, streaming.

The floor is the base model before fine-tuning and the classic model is retrieval (the
answer of the most similar training question); scores are chrF and exact match of the
greedy answers, and the loss and perplexity of the reference answers.
"""

from playground.tasks.base import TaskSpec

SPEC = TaskSpec(
    name="chat",
    title=("Chat (a model that answers in its own words, from question/answer pairs)",
           "对话（从问答对学习、用自己的话回答的模型）"),
    short_title=("Chat", "对话"),
    help=("chat fine-tunes a small language model on questions and answers, to answer "
          "in its own words",
          "chat 用问答对微调一个小型语言模型，让它用自己的话回答"),
    metrics=(("chrf", "chrF", "chrF"), ("exact_match", "exact match", "完全一致"),
             ("loss", "held-out loss", "留出损失"), ("perplexity", "perplexity", "困惑度")),
    checkpoint_metrics=(),
    auto_checkpoint="loss",  # only the loss is known while it trains
    floor_name=("base model", "微调前的基础模型"),
    ready=("✅ Ready to train: {rows} conversations.", "✅ 可以训练：{rows} 段对话。"),
    card_words=("chrF of the answers on held-out questions", "留出问题上回答的 chrF"),
    not_useful=("⚠️ Not ready to use: its answers are no closer to yours than the base "
                "model's. Add more question/answer pairs.",
                "⚠️ 还不能使用：它的回答并不比基础模型更接近你的答案。请补充更多问答对。"),
    metric_note="chrF and exact match of greedy answers",
    json_names=("base", "retrieval"),  # base_chrf, retrieval_exact_match...
    classic_name=("retrieval", "检索"),
    # a run of retrieval alone scores no base model: its floor is answering nothing
    floor_names={"no answer": ("answering nothing (no base model was scored)",
                               "不作回答（未评测基础模型）")},
    json_compared=("chrf", "exact_match", "loss"),  # retrieval has no loss: left out
    run_suffix=(" · chat", " · 对话"),
    phases={"training": ("Fine-tuning {model} on your conversations.",
                         "正在用你的对话微调 {model}。"),
            "baselines": ("Scoring the base model and the retrieval baseline.",
                          "正在计算基础模型和检索基线的得分。"),
            "calibrating": ("Comparing the fine-tuned model and retrieval on the validation "
                            "questions.", "正在用验证问题比较微调模型和检索。")},
    streams=True,
    model_family="causal-lm",  # language models that write answers
    methods=("lora", "full", "freeze", "bitfit"),  # "head" would train the vocabulary only
    rules_first=True,  # keyword and lookup rules answer first, the model the rest
    auto_hint=("Auto: the embedded SmolLM2-135M chat model for English, a Qwen2.5-Instruct "
               "already on this machine for Chinese. Instant (classic) is retrieval: it "
               "answers with the answer of the most similar training question.",
               "自动：英文用内置的 SmolLM2-135M 对话模型，中文用本机已有的 Qwen2.5-Instruct。"
               "秒训（经典模型）在这里是检索：用训练数据中最相似问题的答案来回答。"),
    classic_about=("Retrieval: answers with the answer of the most similar training question "
                   "(character n-gram TF-IDF), so it can only repeat your answers. It trains in "
                   "seconds, reads any language, and is the yardstick every chat fine-tuning "
                   "report compares with.",
                   "检索：用训练数据中最相似问题（字符 n-gram TF-IDF）的答案来回答，所以只会重复你的答案。"
                   "几秒即可训练完成，适用于任何语言，也是每份对话微调报告对比的基准。"),
    column_words={"text": ("Question column", "问题列"), "label": ("Answer column", "回答列"),
                  "system": ("System column (found by its name)", "系统提示列（按列名找到）")},
    exports_script=True,  # a standalone TRL SFTTrainer script
    samples={
        "bank_chat_en.csv": ("Bank help desk questions and answers, English: 90 rows",
                             "银行客服问答，英文：90 行"),
        "persona_pebble_en.csv": ("Pebble, an assistant who knows who made it, English: 72 rows",
                                  "Pebble：知道自己由谁制作的助手，英文：72 行"),
    },
    merges=True,  # a LoRA agent is an adapter on its base: merged, it loads anywhere
    # LoRA: a few MB of adapter per agent instead of a 540 MB copy of the model, and on a
    # small sheet it forgets less of what the model knew (general questions stay answered).
    defaults={"method": "lora"},
)
