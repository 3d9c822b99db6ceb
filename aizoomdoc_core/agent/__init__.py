"""The question's path, top-down: each module uses only those below it.

- ``flow``: one question, end to end (``Agent.ask``), the answer saved however it ends;
- ``evidence``: what the question has shown and may cite, and the crops chosen for its hits;
- ``extractive``: the answer without a model, and its citations;
- ``labels``: a label's value on the sheet (its row, the block under it), for its crop and its quote;
- ``model_loop``: the model's turns and tool calls, under guards;
- ``tools``: the model's tools as classes, their schemas generated from their typed parameters;
- ``wire``: the OpenAI Chat Completions wire format (messages, image parts, streamed deltas);
- ``texts``: what a person reads, one table per language.

The agent is handed narrow collaborators, never the facade: the chat's log (``chats.ChatLog``),
the documents (``library.Library``), the renderer and the settings.
"""

from .flow import Agent

__all__ = ["Agent"]
