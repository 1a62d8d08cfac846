"""Chat settings a user or an API call sends are bounded, and a bad one is named."""

import pytest

from playground.data.limits import MAX_TEXT_CHARS
from playground.errors import DataError
from playground.service.agents import MAX_NEW_TOKENS, Sampling


def test_settings_within_range_pass() -> None:
    settings = Sampling(system="Be brief.", temperature=0.0, top_p=1.0, max_new_tokens=1)
    assert settings.checked() is settings


@pytest.mark.parametrize("field, value", [("temperature", -0.1), ("temperature", 2.5),
                                          ("top_p", 1.5), ("max_new_tokens", 0),
                                          ("max_new_tokens", MAX_NEW_TOKENS + 1),
                                          ("temperature", "hot"), ("max_new_tokens", True)])
def test_a_setting_out_of_range_is_named(field: str, value: object) -> None:
    with pytest.raises(DataError) as caught:
        Sampling(**{field: value}).checked()
    assert field in caught.value.message and field in caught.value.zh


def test_a_system_prompt_over_the_text_limit_is_refused() -> None:
    with pytest.raises(DataError) as caught:
        Sampling(system="x" * (MAX_TEXT_CHARS + 1)).checked()
    assert "system prompt" in caught.value.message and "系统提示" in caught.value.zh
