"""How a downstream service tests its Meibel code: only `meibel.testing`, no key, no network.

The `meibel_fake` / `meibel_fake_server` fixtures come from the pytest plugin that installs with
`pip install meibel-sdk[testing]`.
"""

from __future__ import annotations

import anyio
import pytest
from support_bot import answer, answer_streaming

from meibel import InternalServerError
from meibel.testing import FakeMeibel


def test_answer_cites_its_sources(meibel_fake: FakeMeibel, meibel_fake_server: str) -> None:
    meibel_fake.reply("Restart the router.", sources=[{"title": "Router FAQ"}])

    assert answer("My internet is down") == "Restart the router. (sources: Router FAQ)"

    [chat] = meibel_fake.chats
    assert chat.user_message == "My internet is down"


def test_streamed_answer_sends_the_log(meibel_fake: FakeMeibel, meibel_fake_server: str) -> None:
    meibel_fake.reply("The log shows a DNS timeout.")

    text = anyio.run(answer_streaming, "What failed?", b"ERROR dns timeout")

    assert text == "The log shows a DNS timeout."
    [attached] = meibel_fake.chats[0].files
    assert (attached.filename, attached.data) == ("app.log", b"ERROR dns timeout")


def test_an_outage_is_an_error_not_an_answer(
    meibel_fake: FakeMeibel, meibel_fake_server: str
) -> None:
    # A 503 stays until unstubbed, so the client's retries get it too, as when the API is down.
    meibel_fake.stub("createSession", status=503, headers={"Retry-After": "0"})

    with pytest.raises(InternalServerError, match="Service Unavailable"):
        answer("Anyone there?")

    assert meibel_fake.chats == []
