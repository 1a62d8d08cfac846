"""Named entities: the people, places, products... in a text, with their types.

Tagged tokens (CoNLL, token/tag tables or span spreadsheets, any common tag scheme read
as BIO); the agent marks each entity with its type, place in the text and confidence,
and can fill the reply slots of a text-classification agent.
"""

from playground.tasks.base import TaskSpec

SPEC = TaskSpec(
    name="ner",
    title=("Named entities (people, places, products… in each text)",
           "命名实体（文本中的人名、地名、产品等）"),
    short_title=("Named entities", "命名实体"),
    help=("ner finds named entities in it (people, places, products...), learned from "
          "tagged examples",
          "ner 从文本中找出命名实体（人名、地名、产品等），从标注好的例子中学习"),
    metrics=(("f1", "entity F1", "实体 F1"), ("precision", "precision", "精确率"),
             ("recall", "recall", "召回率")),
    checkpoint_metrics=("f1", "accuracy", "macro_f1"),
    metric_note="entity-level, strict spans",
    run_suffix=(" · entities", " · 实体"),
    floor_name=("finding nothing", "不标任何实体"),
    ready=("✅ Ready to train: {rows} sentences, {labels} entity types.",
           "✅ 可以训练：{rows} 个句子，{labels} 种实体。"),
    not_useful=("⚠️ Not ready to use: it finds entities no better than finding "
                            "none. Tag more examples.",
                            "⚠️ 还不能使用：找实体的效果并不比“不标任何实体”更好。请标注更多样本。"),
    card_words=("Entity F1 on held-out sentences", "留出句子上的实体 F1"),
    column_words={"text": ("Words or text column", "词或文本列"),
                  "label": ("Tags or entity type column", "标注或实体类型列")},
    samples={"msra_ner_zh_sample.conll": (
        "People, places, organisations, Chinese: 400 sentences",
        "人名、地名、机构名，中文：400 个句子")},
    count_words={"title": ("Entities per type", "每种实体的数量"),
                 "x": ("entity type", "实体类型"), "y": ("entities", "实体数")},
    gives_entities=True,
    no_rules=("An entity agent answers with the entities it finds. To use them in "
                     "replies, pick it as the entity agent of an intent agent.",
                     "实体智能体直接回答它找到的实体。若要在回复中使用实体，请在意图智能体中把它选为实体智能体。"),
    phases={"training": ("Fine-tuning {model} to tag entities.", "正在微调 {model} 以标注实体。"),
            "baselines": ("Scoring 'no entity at all' and the classic entity model.",
                          "正在计算“不标任何实体”和经典实体模型的得分。"),
            "calibrating": ("Comparing the fine-tuned and the classic model on the validation "
                            "sentences.", "正在用验证句子比较微调模型和经典模型。")},
)
