"""Rebuild ``bank_chat_en.csv``, the help-desk chat recipe's sheet (presets/agents/).

Questions: banking77's training requests (PolyAI, CC-BY-4.0; see assets/README.md) of 15
intents that do not overlap, a few short ones per intent, drawn with a fixed seed. Answers:
one per intent, written for this project in a made-up bank's own words (``ANSWERS``).
The model has to learn both which intent a request is and the bank's exact wording.

    python assets/make_bank_chat.py [--banking77 ../shared/datasets/banking77]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_SOURCE = HERE.parent.parent / "shared" / "datasets" / "banking77"
ROWS_PER_INTENT = 6  # 90 rows: about three minutes of LoRA on a 2-core CPU (the recipe)
MAX_CHARACTERS = 80  # short requests: every row is a few tokens, so more rows fit
SEED = 0

ANSWERS = {
    "activate_my_card": "Open the app, go to Card > Activate and enter the code on the letter "
                        "that came with your card.",
    "age_limit": "You can open an account from age 18. Teenagers aged 13 to 17 can get a "
                 "junior account from a parent.",
    "atm_support": "Your card works at any ATM that shows the Visa or Mastercard sign, in "
                   "every country.",
    "card_swallowed": "If an ATM keeps your card, freeze it in the app under Card > Freeze and "
                      "order a new one for free.",
    "change_pin": "Change your PIN at any ATM under PIN services, or see it in the app under "
                  "Card > Show PIN.",
    "lost_or_stolen_phone": "Log in on our website and tap Lock account; your card keeps working "
                            "once you sign in on a new phone.",
    "lost_or_stolen_card": "Freeze your card in the app under Card > Freeze, then order a new "
                           "one under Card > Lost or stolen.",
    "terminate_account": "We're sorry to see you go. Move your money out, then close the account "
                         "under Profile > Close account.",
    "passcode_forgotten": "Tap Forgot passcode on the login screen and we'll text you a link to "
                          "set a new one.",
    "edit_personal_details": "Update your name, address or email in the app under Profile > "
                             "Personal details.",
    "getting_spare_card": "You can have up to three cards on one account. Order another under "
                          "Card > Add a card.",
    "country_support": "We open accounts for residents of the UK and the European Economic "
                       "Area. More countries are coming.",
    "visa_or_mastercard": "Our cards are Mastercard debit cards. We don't issue Visa cards.",
    "top_up_limits": "You can top up to 5,000 a day and 30,000 a month. See your limits under "
                     "Account > Limits.",
    "why_verify_identity": "The law asks us to verify who you are before you can pay or get "
                           "paid. It takes about five minutes.",
}


def build_sheet(requests: pd.DataFrame, answers: dict[str, str] = ANSWERS,
                rows_per_intent: int = ROWS_PER_INTENT, max_characters: int = MAX_CHARACTERS,
                seed: int = SEED) -> pd.DataFrame:
    """A question/answer sheet from banking77-like ``requests`` (columns text, category):
    ``rows_per_intent`` short distinct requests of each intent in ``answers``, each with
    its intent's answer, in the order of ``answers``."""
    texts = requests.assign(text=requests["text"].astype(str).str.strip())
    short = texts[texts["text"].str.len() <= max_characters].drop_duplicates("text")
    parts = []
    for intent, answer in answers.items():
        rows = short[short["category"] == intent]
        picked = rows.sample(min(rows_per_intent, len(rows)), random_state=seed)
        parts.append(pd.DataFrame({"question": picked["text"], "answer": answer}))
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--banking77", type=Path, default=DEFAULT_SOURCE,
                        help="the folder with banking77's train.csv")
    parser.add_argument("--out", type=Path, default=HERE / "bank_chat_en.csv")
    args = parser.parse_args()
    sheet = build_sheet(pd.read_csv(args.banking77 / "train.csv"))
    sheet.to_csv(args.out, index=False)
    print(f"{len(sheet)} rows, {sheet['answer'].nunique()} answers -> {args.out}")


if __name__ == "__main__":
    main()
