"""Text classification: one label per text (an intent, a sentiment, a topic).

A table of texts and labels; the agent answers a label with a calibrated confidence, and
its reply rules (``service/replies.py``) turn the label into an answer.
"""

from playground.tasks.base import TaskSpec

SPEC = TaskSpec(
    name="text-classification",
    title=("Text classification (intents, sentiment, topics)", "文本分类（意图、情感、主题）"),
    short_title=("Text classification", "文本分类"),
    help=("text-classification gives each text one label (an intent, a sentiment)",
          "text-classification 为每条文本给出一个标签（意图、情感）"),
    metrics=(("accuracy", "accuracy", "准确率"), ("macro_f1", "macro-F1", "宏平均 F1")),
    checkpoint_metrics=("accuracy", "macro_f1"),
    floor_name=("most common label", "总答最常见标签"),
    ready=("✅ Ready to train: {rows} rows, {labels} labels.",
           "✅ 可以训练：{rows} 行，{labels} 个标签。"),
    not_useful=("⚠️ Not ready to use: no better than always giving the most common "
                        "label. Add more examples per label.",
                        "⚠️ 还不能使用：并不比“总答最常见标签”更好。请为每个标签补充更多样本。"),
    card_words=("Accuracy on held-out texts", "留出文本上的准确率"),
    has_rules=True,
    exports_script=True,
    samples={
        "banking_intents_en.csv": ("Banking intents, English: 400 rows, 8 intents",
                                   "银行意图，英文：400 行，8 种意图"),
        "bank_help_desk_en.csv": ("Banking intents, English: 1,108 rows, 8 intents",
                                  "银行意图，英文：1,108 行，8 种意图"),
        "hotel_reviews_zh.csv": ("Hotel reviews, Chinese: good or bad, 600 rows",
                                 "酒店评论，中文：好评或差评，600 行"),
    },
)
