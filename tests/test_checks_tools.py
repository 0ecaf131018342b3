"""Tool-calling checks on plain and streamed responses."""

from __future__ import annotations

from payloads import (
    TIME_TOOL,
    WEATHER_TOOL,
    calling,
    chat_request,
    chat_response,
    choice,
    exchange,
    fails,
    passes,
    skips,
    stream_exchange,
    to_chunks,
    tool_call,
)

TOOLS = [WEATHER_TOOL, TIME_TOOL]
WEATHER = tool_call("get_weather", {"city": "Oslo", "unit": "c"})
NAMED = {"type": "function", "function": {"name": "get_weather"}}


def tools_exchange(body: dict, **request: object):
    return exchange("tools", chat_request(tools=TOOLS, **request), body)


def streamed(body: dict, **request: object):
    return stream_exchange("tools", chat_request(tools=TOOLS, **request), to_chunks(body))


# -- tools.choice ---------------------------------------------------------------------------------


def test_required_passes_with_a_call_and_fails_without() -> None:
    passes("tools.choice", tools_exchange(chat_response(calling(WEATHER)), tool_choice="required"))
    failure = fails(
        "tools.choice", tools_exchange(chat_response(), tool_choice="required"), "'required'", "got none"
    )
    assert failure.path == "$.choices[0].message.tool_calls"


def test_required_applies_to_every_choice() -> None:
    body = chat_response(calling(WEATHER), choice(1))
    failure = fails("tools.choice", tools_exchange(body, n=2, tool_choice="required"), "got none")
    assert failure.path == "$.choices[1].message.tool_calls"


def test_a_named_function_must_be_the_one_called() -> None:
    passes("tools.choice", tools_exchange(chat_response(calling(WEATHER)), tool_choice=NAMED))
    other = chat_response(calling(tool_call("get_time", {})))
    failure = fails(
        "tools.choice", tools_exchange(other, tool_choice=NAMED), "'get_weather'", "got 'get_time'"
    )
    assert failure.path == "$.choices[0].message.tool_calls[0].function.name"


def test_none_forbids_calls() -> None:
    passes("tools.choice", tools_exchange(chat_response(), tool_choice="none"))
    fails(
        "tools.choice", tools_exchange(chat_response(calling(WEATHER)), tool_choice="none"), "no tool calls"
    )


def test_auto_leaves_nothing_to_judge() -> None:
    skips("tools.choice", tools_exchange(chat_response(), tool_choice="auto"))
    skips("tools.choice", tools_exchange(chat_response()))


def test_choice_is_judged_on_the_reassembled_stream() -> None:
    passes("tools.choice", streamed(chat_response(calling(WEATHER)), tool_choice=NAMED))
    fails("tools.choice", streamed(chat_response(), tool_choice="required"), "(in the reassembled stream)")


# -- tools.names ----------------------------------------------------------------------------------


def test_names_pass_for_declared_functions() -> None:
    passes(
        "tools.names", tools_exchange(chat_response(calling(WEATHER, tool_call("get_time", {}, "call_2"))))
    )


def test_names_fail_for_an_undeclared_function() -> None:
    body = chat_response(calling(WEATHER, tool_call("delete_everything", {}, "call_2")))
    failure = fails("tools.names", tools_exchange(body), "['get_time', 'get_weather']", "'delete_everything'")
    assert failure.path == "$.choices[0].message.tool_calls[1].function.name"


def test_names_fail_when_no_tools_were_declared() -> None:
    ex = exchange("chat", chat_request(), chat_response(calling(WEATHER)))
    fails("tools.names", ex, "declares no tools")


def test_names_are_not_judged_without_calls() -> None:
    skips("tools.names", tools_exchange(chat_response()))


# -- tools.arguments ------------------------------------------------------------------------------


def test_arguments_pass_when_valid() -> None:
    passes("tools.arguments", tools_exchange(chat_response(calling(WEATHER))))
    passes("tools.arguments", tools_exchange(chat_response(calling(tool_call("get_time", {"zone": "UTC"})))))


def test_arguments_that_are_not_json_fail() -> None:
    body = chat_response(calling(tool_call("get_weather", '{"city": "Oslo"')))
    failure = fails("tools.arguments", tools_exchange(body), "'get_weather' arguments to be JSON")
    assert failure.path == "$.choices[0].message.tool_calls[0].function.arguments"


def test_arguments_must_be_an_object() -> None:
    fails(
        "tools.arguments", tools_exchange(chat_response(calling(tool_call("get_time", [1])))), "a JSON object"
    )


def test_arguments_are_validated_against_the_declared_parameters() -> None:
    bad_unit = chat_response(calling(tool_call("get_weather", {"city": "Oslo", "unit": "kelvin"})))
    fails(
        "tools.arguments", tools_exchange(bad_unit), "valid against its parameters", "at $.unit", "'kelvin'"
    )
    no_city = chat_response(calling(tool_call("get_weather", {"unit": "c"})))
    fails("tools.arguments", tools_exchange(no_city), "at $:", "'city' is a required property")


def test_arguments_streamed_in_fragments_are_judged_once_joined() -> None:
    passes("tools.arguments", streamed(chat_response(calling(WEATHER))))
    bad = chat_response(calling(tool_call("get_weather", {"city": 42})))
    fails("tools.arguments", streamed(bad), "at $.city", "(in the reassembled stream)")


def test_arguments_of_a_choice_cut_by_the_limit_are_not_judged() -> None:
    cut = chat_response(choice(0, calling(tool_call("get_weather", '{"ci'))["message"], "length"))
    skips("tools.arguments", tools_exchange(cut, max_tokens=5))


def test_arguments_of_undeclared_functions_are_left_to_tools_names() -> None:
    skips("tools.arguments", exchange("chat", chat_request(), chat_response(calling(WEATHER))))
