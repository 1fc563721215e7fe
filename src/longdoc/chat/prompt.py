"""How documents are shown to the model: each named and numbered, with its pages marked, so the
model can tell them apart and say where an answer comes from."""

from __future__ import annotations

from collections.abc import Sequence

from longdoc.chat.conversation import Conversation
from longdoc.core.documents import Document
from longdoc.documents.ready import ReadyDocument
from longdoc.inference.base import ChatMessage

DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."
DOCUMENTS_INSTRUCTION = (
    "Answer from the documents below. When you use a document, name it; "
    "if the documents do not contain the answer, say so."
)
PASSAGES_INSTRUCTION = (
    "Answer from the passages below, taken from the documents; each starts with its number, "
    "document and page. Cite the passages you use as [1], [2]. If they do not contain the answer, say so."
)
NOTES_INSTRUCTION = (
    "The documents were read part by part, and the notes below were taken for the question; each "
    "starts with the numbers of the parts it came from. Answer from the notes, citing the parts you use "
    "as [1], [2]. If the notes do not contain the answer, say so."
)


def with_page_markers(document: Document) -> str:
    """The text with ``[page N]`` before each page, when there is more than one."""
    if len(document.pages) < 2:
        return document.text
    parts = []
    for page in document.pages:
        label = f" {page.label}" if page.label and not page.label.isdigit() else ""
        parts.append(f"[page {page.number}{label}]\n{document.text[page.start : page.end]}")
    return "\n\n".join(parts)


def render_document(doc: ReadyDocument, text: str | None = None) -> str:
    ident = f' file_id="{doc.file_id}"' if doc.file_id else ""
    ident += f' url="{doc.url}"' if doc.url else ""
    body = with_page_markers(doc.document) if text is None else text
    return f'<document index="{doc.index}" name="{doc.name}"{ident}>\n{body}\n</document>'


def build_messages(
    conversation: Conversation,
    documents: Sequence[ReadyDocument],
    rendered: Sequence[str] | None = None,
    *,
    instruction: str = DOCUMENTS_INSTRUCTION,
) -> list[ChatMessage]:
    """The model's messages: role prompt and documents (or ``rendered`` blocks of them) in one
    system message, then the turns."""
    system = conversation.system_prompt or DEFAULT_SYSTEM_PROMPT
    if documents:
        blocks = rendered if rendered is not None else [render_document(d) for d in documents]
        system = f"{system}\n\n{instruction}\n\n" + "\n\n".join(blocks)
    messages = [ChatMessage(role="system", content=system)]
    for turn in conversation.turns:
        if turn.role == "assistant":
            messages.append(ChatMessage(role="assistant", content=turn.content))
        else:
            messages.append(ChatMessage(role="user", content=turn.content))
    return messages
