from __future__ import annotations

from playground.tasks.classify.metrics import majority_baseline, majority_label, score
from playground.training.precision import cpu_has_native_bf16, resolve_precision


def test_scores_match_a_hand_count() -> None:
    truth = ["a", "a", "b", "c"]
    guess = ["a", "b", "b", "c"]
    result = score(truth, guess, ["a", "b", "c"])
    assert result["accuracy"] == 0.75
    assert result["per_label"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667,
                                        "support": 2}
    assert result["confusion_matrix"]["matrix"] == [[1, 1, 0], [0, 1, 0], [0, 0, 1]]


def test_majority_baseline() -> None:
    assert majority_label(["b", "a", "a", "b"]) == "a"  # ties broken by name
    base = majority_baseline(["x", "x", "y"], ["x", "y", "y", "y"], ["x", "y"])
    assert base["label"] == "x" and base["accuracy"] == 0.25


def test_cpu_bf16_detection_reads_flags() -> None:
    assert cpu_has_native_bf16("flags\t: fpu sse2 avx512f avx512_bf16\n")
    assert cpu_has_native_bf16("flags\t: fpu amx_bf16 amx_tile\n")
    assert not cpu_has_native_bf16("flags\t: fpu sse2 avx2\n")
    assert resolve_precision("fp16", "cpu") == "fp32"
    assert resolve_precision("bf16", "cpu") == "bf16"
    assert resolve_precision("auto", "cpu") in ("bf16", "fp32")
