"""Splitting a Qwen-Long conversation into its role prompt, its documents and its turns.

The first system message sets the role. Later system messages carry either ``fileid://``
references (comma-separated, or one per message) or a document's text itself. Documents may be
added mid-conversation; they keep their order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from longdoc.core.errors import InvalidRequest

FILEID = re.compile(r"fileid://([A-Za-z0-9_\-]+)")
_FILEID_LIST = re.compile(r"^\s*fileid://[A-Za-z0-9_\-]+(\s*,\s*fileid://[A-Za-z0-9_\-]+)*\s*,?\s*$")


@dataclass(frozen=True)
class Message:
    role: str  # system, user, assistant
    content: str
    # keys of documents resolved outside the conversation (DashScope doc_url parts), read before it
    attachments: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileSource:
    file_id: str


@dataclass(frozen=True)
class TextSource:
    text: str


@dataclass(frozen=True)
class AttachedSource:
    key: str


DocumentSource = FileSource | TextSource | AttachedSource


@dataclass(frozen=True)
class Conversation:
    system_prompt: str | None
    documents: list[DocumentSource]
    turns: list[Message]  # user and assistant messages, in order

    @property
    def file_ids(self) -> list[str]:
        return [d.file_id for d in self.documents if isinstance(d, FileSource)]

    @property
    def last_user_message(self) -> str:
        for turn in reversed(self.turns):
            if turn.role == "user":
                return turn.content
        return ""


def split_conversation(messages: list[Message]) -> Conversation:
    system_prompt: str | None = None
    documents: list[DocumentSource] = []
    turns: list[Message] = []
    seen_system = False
    for message in messages:
        documents.extend(AttachedSource(key) for key in message.attachments)
        if message.role != "system":
            turns.append(message)
            continue
        if _FILEID_LIST.match(message.content):
            documents.extend(FileSource(file_id) for file_id in FILEID.findall(message.content))
        elif not seen_system and not documents and not turns:
            system_prompt = message.content
        elif message.content.strip():
            documents.append(TextSource(message.content))
        seen_system = True
    if not any(turn.role == "user" for turn in turns):
        raise InvalidRequest("messages must contain at least one user message", param="messages")
    return Conversation(system_prompt, documents, turns)
