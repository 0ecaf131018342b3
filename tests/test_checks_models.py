"""models.listed and models.retrieve: the model routes list and describe what the target serves."""

from __future__ import annotations

from payloads import exchange, fails, model_record, models_exchange, passes, skips


def listing(*models: str) -> dict:
    return {"object": "list", "data": [model_record(m) for m in models]}


def test_a_list_naming_the_served_model_passes() -> None:
    passes("models.listed", models_exchange(listing("other", "mock-chat")))
    passes("models.listed", models_exchange(listing("other"), served=None))  # nothing answered to look for


def test_a_list_without_the_served_model_or_malformed_fails() -> None:
    failure = fails("models.listed", models_exchange(listing("other")), "name 'mock-chat'", "['other']")
    assert failure.path == "$.data"
    fails("models.listed", models_exchange({"data": [model_record()]}), "valid models_list", "object")
    fails("models.listed", models_exchange([model_record()]), "valid models_list")


def test_the_record_of_the_model_asked_for_passes() -> None:
    passes("models.retrieve", exchange("model", {}, model_record(), get="/models/mock-chat"))


def test_another_models_record_or_a_malformed_one_fails() -> None:
    fails("models.retrieve", exchange("model", {}, model_record("other"), get="/models/mock-chat"), "'other'")
    fails(
        "models.retrieve", exchange("model", {}, {"id": "mock-chat"}, get="/models/mock-chat"), "valid model"
    )


def test_refusals_are_not_judged_here() -> None:
    skips("models.listed", exchange("models", {}, {"error": {}}, status=404, get="/models"))
    skips("models.retrieve", exchange("chat", {}, model_record(), get="/models/mock-chat"))
