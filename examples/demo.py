"""The vendor guide's "Sessions & Chat" flow, end to end, against the built-in fake on 127.0.0.1.

No key and no network: `make demo`. The client is built exactly as in the guide, from the
environment (MEIBEL_API_KEY, MEIBEL_BASE_URL), which point at the fake served here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from meibel import MeibelClient
from meibel.models import ChatMessageRequest
from meibel.testing import FakeMeibel


def main() -> None:
    fake = FakeMeibel()
    fake.reply(
        "Q4 revenue grew 12% year on year, driven by enterprise renewals [1].",
        sources=[{"title": "Q4 report", "url": "https://example.com/q4.pdf"}],
    )
    fake.reply(
        "Revenue rose each quarter: 4% in Q2, 7% in Q3 and 12% in Q4 [1].",
        sources=[{"title": "Quarterly results", "snippet": "Q2 4%, Q3 7%, Q4 12%"}],
        pause_after_first=0.5,
    )
    with fake.serve() as base_url, tempfile.TemporaryDirectory() as tmp:
        os.environ["MEIBEL_API_KEY"] = "demo-key"
        os.environ["MEIBEL_BASE_URL"] = base_url
        attachment = Path(tmp) / "q4-report.csv"
        attachment.write_text("quarter,revenue_growth\nQ2,4\nQ3,7\nQ4,12\n")

        client = MeibelClient(api_key=os.environ["MEIBEL_API_KEY"])
        print(f"fake Meibel at {base_url}\n")

        session = client.agents.create_session(agent_id="agent_123")
        print(f"session {session.id} (agent {session.agent_id})\n")

        response = client.sessions.send_chat_message(
            session_id=session.id,
            body=ChatMessageRequest(user_message="What are the key findings in the Q4 report?"),
        )
        print(f"chat: {response.message}")
        print(f"citations: {[source.title for source in response.citations]}\n")

        print("stream: ", end="", flush=True)
        stream = client.sessions.send_chat_message_stream(
            session_id=session.id,
            body=ChatMessageRequest(
                user_message="Summarize the revenue trends over the last 3 quarters."
            ),
            files=[attachment],
        )
        for event in stream:
            if event.type == "content":
                print(event.delta, end="", flush=True)
            elif event.type == "citations":
                print("\n\nCitations:", [source.title for source in event.citations])
            elif event.type == "done":
                print("\n[Stream complete]\n")

        print("history:")
        for msg in client.sessions.get_session_messages(session_id=session.id):
            print(f"  [{msg.role}] {msg.message}")
        client.close()
        print(f"\nthe fake received {fake.chats[-1].files[0].filename!r} with the stream")


if __name__ == "__main__":
    main()
