"""A downstream service: answers support questions with a Meibel agent, citing its sources."""

from __future__ import annotations

from meibel import AsyncMeibelClient, MeibelClient


def answer(question: str, *, agent_id: str = "support_agent") -> str:
    """The agent's answer, followed by its sources. Key and server come from the environment."""
    with MeibelClient() as client:
        session = client.agents.create_session(agent_id=agent_id)
        reply = session.chat(question)
    sources = ", ".join(source.title for source in reply.citations)
    return f"{reply.message} (sources: {sources})" if sources else reply.message


async def answer_streaming(
    question: str, attachment: bytes, *, agent_id: str = "support_agent"
) -> str:
    """The same, streamed, with a log file attached."""
    async with AsyncMeibelClient() as client:
        session = await client.agents.create_session(agent_id=agent_id)
        stream = await session.stream(question, files=[("app.log", attachment)])
        return "".join([text async for text in stream.text_stream()])
