"""Schemas for extraction: derived from an instruction, and the looser one each part is read with.

``derive_schema`` reads the fields an instruction names ("each object has model, name and
price", "fields: a, b, c", "return: a, b, items[c, d]", "包含型号、名称和价格") with what each
one's note says (its own fields, labels "one of: …", a list, a number), makes the answer an array
when it asks for "all …" / "所有…", and an ``enum`` when it asks to classify into listed labels. ``part_schema``
is what one part is extracted under: every leaf a string (the model copies the text as written —
"¥8,999" — which grounds well; ``normalise`` turns it into the final type) and every field
nullable, so a part lacking a field can say so. A caller's schema is read with its ``$ref``s
inlined (``refs``), as extraction reads each field's schema on its own; a recursive one is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from longdoc.extraction.refs import inline_refs
from longdoc.extraction.units import field_unit

_ARRAY = re.compile(r"\barray\b|数组|配列", re.IGNORECASE)
_ASKS_JSON = re.compile(r"(?<![a-z])json(?![a-z])|结构化|構造化", re.IGNORECASE)
_MANY = re.compile(
    r"\b(all|every|each|list|lists|array|entries|items)\b|所有|全部|每个|每一|列出|数组|列表|一覧|すべて|全て",
    re.IGNORECASE,
)
# What introduces the list of fields: "each object has …", "include the following: …", "包含…".
_FIELDS_INTRO = re.compile(
    r"(?:\b(?:has|have|having|with|contains?|containing|includes?|including)\b(?:\s+(?:the|following|fields?|keys?|"
    r"properties|attributes|columns?)\b)*\s*:?|\b(?:fields?|keys?|properties|attributes|columns?)\s*(?:are|:)"
    r"|包含|包括|含有|字段(?:为|是|有)?[:：]?|属性(?:为|是|有)?[:：]?|を含む|項目[:：]?|的|：)\s*",
    re.IGNORECASE,
)
_NOTE = re.compile(r"[(（\[]([^)）\]]*)[)）\]]")  # "price (in EUR)", "items[name, qty]"
# a note listing the labels a field takes: "(one of: invoice, credit_note)", "(either A or B)"
_ENUM_NOTE = re.compile(r"^\s*(?:one of|either|any of)\b\s*[:：]?\s*(.+)$", re.IGNORECASE)
# a note saying the field lists values: "parties (list of names)", "(a list)"
_LIST_NOTE = re.compile(r"^\s*(?:an?\s+)?list\b|^\s*(?:an?\s+)?array\b|列表|数组", re.IGNORECASE)
# a note naming an item's own fields: "items[description, quantity]", "line_items (description, amount)"
_MEMBER = re.compile(r"[a-z][A-Za-z0-9_]*")
# a field holding a date, which an instruction's "dates as YYYY-MM-DD" is about
_DATE_KEY = re.compile(r"date|日期|日付|datum|fecha", re.IGNORECASE)
_LITERALS = frozenset({"null", "none", "true", "false"})  # "…; null where it is silent" names no field
MASK = "\0"  # stands in for a note's characters while the list is cut (neither space nor separator)
_FIELD_SPLIT = re.compile(r"\s*(?:,|，|、|;|；|/|\band\b|\bor\b|以及|和|与|及|跟)\s*", re.IGNORECASE)
_END_OF_LIST = re.compile(r"[.。!！?？\n]|\b(?:from|in|for|as|that|which|where|whether|if)\b", re.IGNORECASE)
_ARTICLES = re.compile(r"^(?:the|a|an|its|their|each|product|item)\s+", re.IGNORECASE)
_CLASSIFY = re.compile(
    r"classif\w*|categori[sz]\w*|label\w*|moderat\w*|sentiment|分类|归类|类别|审核|判断|情感|分類",
    re.IGNORECASE,
)
_LABELS = re.compile(
    r"\b(?:one of|among|into|as|labels?|categories|classes)\b\s*[:：]?\s*(.+?)(?:[.。\n]|$)|(?:为|成|是|：|:)\s*(.+?)(?:[。\n]|$)",
    re.IGNORECASE,
)
_LABELS_LEAD = re.compile(
    r"^(?:(?:label|classify|mark|tag)\w*\s+)?(?:(?:it|them|this)\s+)?(?:(?:as|into)\s+)?(?:one of|either|among)?\s*[:：]?\s*",
    re.I,
)
# "all products", "all the invoice lines", "every line item": the one or two words a list is of
_LISTED = re.compile(
    r"\b(?:all|(?P<each>every|each))\s+(?:(?:of\s+)?the\s+)?"
    r"(?P<words>[a-z][a-z-]*(?:\s+(?!(?:with|and|or|in|on|of|for|from|to|by|at|per|as|that|which|"
    r"where|its|their)\b)[a-z][a-z-]*(?<!ed)\b)?)",
    re.IGNORECASE,
)
_SUMMARY = re.compile(r"summar\w*|摘要|总结|概括|要約", re.IGNORECASE)
_PLAIN_NUMBER = re.compile(
    r"remov\w*|without|strip\w*|plain|numeric|number only|digits|去掉|去除|删除|纯数字|数字|不含|除去",
    re.IGNORECASE,
)
# a clause of a field's note saying it holds a number: "total (a number)", "price (number, no
# currency sign)", "金额（元，数字）" — not one naming a kind of number ("the model number")
_NUMBER_NOTE = re.compile(
    r"(?:^|[,;，；]\s*)(?:as\s+)?(?:an?\s+)?(?:plain\s+)?(?:number|numeric|integer|decimal)\b"
    r"|(?:^|[,;，；]|的)(?:数字|数值|整数)\s*(?:$|[,;，；])",
    re.IGNORECASE,
)
NUMERIC_FIELDS = re.compile(
    r"price|amount|cost|total|fee|quantity|qty|count|salary|revenue|价|金额|数量|费用|総額|価格|金額",
    re.IGNORECASE,
)
# a field named "skill list" or "技能列表" holds several values
_LIST_WORDS = re.compile(r"列表|清单|一览|\blist\b", re.IGNORECASE)
# "所有产品的…", "列出全部员工…": what a Chinese instruction lists
_CJK_LISTED = re.compile(
    r"(?:所有|全部|每个|每一个|每一|各)(?:的)?(?P<words>[\u4e00-\u9fff]{1,6}?)(?:的|[，,：:])"
)
NESTED_LIST_ITEMS = 32  # the most elements one part gives for a list inside an item
# A number as a part writes it: up to 40 characters before it ("US$ ", "ca. ", a label the model
# copies), a digit, digits and separators, up to 24 after it (a unit, "元", " kg"). Constrained
# decoding enforces it; a tighter prefix made the model start a number mid-word ("18" for 2018).
NUMBER_AS_WRITTEN = r"""^[^0-9"\\\n]{0,40}[0-9][0-9 .,'’]{0,24}[^"\\\n]{0,24}$"""
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class TargetSchema:
    """What an extraction answers with: the final schema, and how its parts are read."""

    schema: dict[str, Any]
    derived: bool  # True: read from the instruction, not given by the caller
    plain_numbers: frozenset[str] = field(default_factory=frozenset)  # string fields to write as digits
    wrapper: str | None = None  # the answer is {wrapper: [...]}: an array the caller wrapped in an object

    @classmethod
    def given(cls, schema: dict[str, Any], plain_numbers: frozenset[str]) -> TargetSchema:
        """A caller's schema. ``{"type": "object", "properties": {"items": {"type": "array", …}}}``
        (how callers wrap a list where a top-level object is required) is read as that list."""
        schema = inline_refs(schema)
        properties = schema.get("properties") or {}
        if schema.get("type") == "object" and len(properties) == 1:
            ((name, inner),) = properties.items()
            if (
                isinstance(inner, dict)
                and inner.get("type") == "array"
                and isinstance(inner.get("items"), dict)
            ):
                return cls(inner, derived=False, plain_numbers=plain_numbers, wrapper=name)
        return cls(schema, derived=False, plain_numbers=plain_numbers)

    def wrap(self, value: Any) -> Any:
        return {self.wrapper: value} if self.wrapper is not None else value

    @property
    def is_array(self) -> bool:
        return self.schema.get("type") == "array"

    @property
    def item_schema(self) -> dict[str, Any]:
        """The object schema of one item (the root itself for an object answer)."""
        return self.schema.get("items", {}) if self.is_array else self.schema

    @property
    def fields(self) -> list[str]:
        return list(self.item_schema.get("properties", {}))


def descriptions(schema: Any) -> Iterator[str]:
    """Every ``description`` in ``schema``, at any depth."""
    if isinstance(schema, dict):
        if isinstance(schema.get("description"), str):
            yield schema["description"]
        for value in schema.values():
            yield from descriptions(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from descriptions(value)


def asks_for_json(instruction: str) -> bool:
    return _ASKS_JSON.search(instruction) is not None


def asks_for_array(instruction: str) -> bool:
    """Whether the instruction names an array as the answer's shape ("as a JSON array", "数组")."""
    return _ARRAY.search(instruction) is not None


def derive_schema(instruction: str) -> TargetSchema:
    """The schema an instruction describes; ``{"type": "object"}`` when it names nothing."""
    labels = classification_labels(instruction)
    if labels:
        schema = _object({"label": {"type": "string", "enum": labels}})
        return TargetSchema(schema, derived=True)
    fields = described_fields(instruction)
    if not fields:
        if _SUMMARY.search(instruction):
            return TargetSchema(_object({"summary": {"type": "string"}}), derived=True)
        return TargetSchema({"type": "object"}, derived=True)
    plain = _PLAIN_NUMBER.search(instruction) is not None
    iso_dates = "YYYY-MM-DD" in _NOTE.sub("", instruction).upper()
    properties = {name: _field(name, note, plain, iso_dates) for name, note in fields}
    item = _object(properties)
    told = _NOTE.sub("", instruction)  # "parties (list of names)" lists a field's values, not the answer
    for name in properties:  # "技能列表" names a field that lists, not the answer
        told = told.replace(name, "")
    if _MANY.search(told):
        return TargetSchema({"type": "array", "items": item}, derived=True)
    return TargetSchema(item, derived=True)


def _field(name: str, note: str, plain: bool, iso_dates: bool) -> dict[str, Any]:
    """The schema of a field an instruction names, from its name and the note after it: labels
    to choose from, fields of its own, a list, a number (said, or an amount the instruction asks
    for as plain digits, or a quantity its name gives the unit of), else a string."""
    labels = _ENUM_NOTE.match(note)
    members = _members(note)
    if labels is not None:
        schema: dict[str, Any] = {"type": ["string", "null"], "enum": _labels(labels.group(1))}
    elif members:
        item = _object({member: _field(member, "", plain, iso_dates) for member in members})
        many = name.endswith("s") or _LIST_WORDS.search(name) is not None
        return {"type": "array", "items": item} if many else item
    elif _LIST_NOTE.search(note) or _LIST_WORDS.search(name):
        schema = {"type": "array", "items": {"type": "string"}}
    elif (
        _NUMBER_NOTE.search(note)
        or (plain and NUMERIC_FIELDS.search(name))
        or field_unit(name, note) is not None
    ):
        schema = {"type": ["number", "null"]}
    else:
        schema = {"type": ["string", "null"]}
    if not note and iso_dates and _DATE_KEY.search(name) and "string" in kinds_of(schema):
        note = "YYYY-MM-DD"
    return {**schema, "description": note} if note and labels is None else schema


def _members(note: str) -> list[str]:
    """The fields a note names for an item of its own ("description, quantity, unit_price");
    none when it is a remark ("number, incl. tax", "ISO code")."""
    parts = [part.strip() for part in _FIELD_SPLIT.split(note) if part.strip()]
    if len(parts) < 2 or not all(_MEMBER.fullmatch(part) for part in parts):
        return []
    return [] if _NUMBER_NOTE.search(note) else parts


def _labels(listed: str) -> list[str]:
    labels = [_label(part) for part in _FIELD_SPLIT.split(listed)]
    return [label for label in dict.fromkeys(labels) if label]


def list_name(instruction: str) -> str:
    """What an instruction asks to list, as a key: "Extract all products …" → ``products``,
    "every invoice line" → ``invoice_lines``, "所有产品的…" → ``产品``; ``items`` when it names
    nothing."""
    found = _LISTED.search(instruction)
    if found is None:
        listed = _CJK_LISTED.search(instruction)
        return listed.group("words") if listed else "items"
    words = found.group("words").lower().split()
    if found.group("each") and not words[-1].endswith("s"):
        words[-1] += "s"
    return "_".join(words)


def plain_number_fields(schema: dict[str, Any], instruction: str) -> frozenset[str]:
    """String fields of a given schema that hold amounts the instruction asks to write as digits."""
    if _PLAIN_NUMBER.search(instruction) is None:
        return frozenset()
    item = schema.get("items", {}) if schema.get("type") == "array" else schema
    return frozenset(
        name
        for name, sub in item.get("properties", {}).items()
        if NUMERIC_FIELDS.search(name) and "string" in str(sub.get("type"))
    )


def described_fields(instruction: str) -> list[tuple[str, str]]:
    """The fields an instruction names, in order, as JSON keys (snake_case; CJK kept as written;
    a key written as an identifier kept as it is), each with the note in brackets after it as its
    description ("model (the product model)"). A list after a plain colon ("return: a, b, c") is
    read when no words introduce one."""
    for intro in [*_FIELDS_INTRO.finditer(instruction), *re.finditer(r":\s*", instruction)]:
        fields = _listed(instruction[intro.end() :])
        # one field is a list when the words say so: "fields: party"
        if len(fields) >= 2 or (fields and intro.group(0).strip().lower().startswith(("field", "key"))):
            return list(fields.items())
    return []


def _listed(rest: str) -> dict[str, str]:
    """The fields listed at the start of ``rest``, each with its note."""
    # notes in brackets neither end the list nor split it ("(symbols and commas removed)")
    masked = _NOTE.sub(lambda note: MASK * len(note.group(0)), rest)
    stop = _END_OF_LIST.search(masked)
    end = stop.start() if stop else len(rest)
    fields: dict[str, str] = {}
    start = 0
    for cut in [*_FIELD_SPLIT.finditer(masked[:end]), None]:
        stop_at = cut.start() if cut else end
        # "…整理出来：双方全称" — the list starts after a colon; "输出 JSON" asks, it names no field
        name = _key(re.split(r"[:：]", masked[start:stop_at].replace(MASK, ""))[-1])
        if name and name not in fields and not _ASKS_JSON.search(name) and name.lower() not in _LITERALS:
            fields[name] = " ".join(n.group(1).strip() for n in _NOTE.finditer(rest[start:stop_at]))
        start = cut.end() if cut else end
    return fields


def classification_labels(instruction: str) -> list[str]:
    """The labels of a classification or moderation instruction ("classify … as one of: a, b, c")."""
    if not _CLASSIFY.search(instruction):
        return []
    for found in _LABELS.finditer(instruction):
        listed = re.sub(r"[(（][^)）]*[)）]", "", found.group(1) or found.group(2) or "")
        listed = _LABELS_LEAD.sub("", listed)
        labels = [_label(p) for p in _FIELD_SPLIT.split(listed)]
        labels = [label for label in dict.fromkeys(labels) if label and not _ASKS_JSON.search(label)]
        if 2 <= len(labels) <= 20 and all(len(label) <= 40 for label in labels):
            return labels
    return []


def part_schema(target: TargetSchema) -> dict[str, Any]:
    """What one part is extracted under: strings at the leaves (as written), every field nullable,
    and lists inside an item at most ``NESTED_LIST_ITEMS`` long (a small model can repeat one
    element until it runs out of tokens). A number is a string holding a digit
    (``NUMBER_AS_WRITTEN``: a currency or word before it, separators, a unit after)."""
    return _loosen(target.schema, nested=False)


def without_null(loose: dict[str, Any]) -> dict[str, Any]:
    """A leaf of the part schema (``part_schema``) that must be given: null no longer allowed."""
    if "enum" in loose:
        return {"enum": [v for v in loose["enum"] if v is not None]}
    if "anyOf" in loose:
        kept = [k for k in loose["anyOf"] if k.get("type") != "null"]
        return kept[0] if len(kept) == 1 else {"anyOf": kept}
    kinds = [k for k in kinds_of(loose) if k != "null"]
    return {**loose, "type": kinds[0] if len(kinds) == 1 else kinds}


def kinds_of(schema: dict[str, Any]) -> set[str]:
    """The JSON types ``schema`` names in its ``type`` (one, a list, or none)."""
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _loosen(schema: dict[str, Any], nested: bool = True) -> dict[str, Any]:
    kinds = kinds_of(schema)
    if "enum" in schema:  # no "type" beside it: llama.cpp's grammar would follow the type list, not the enum
        return {"enum": [*(v for v in schema["enum"] if v is not None), None]}
    if "array" in kinds:
        loose: dict[str, Any] = {"type": "array", "items": _loosen(schema.get("items", {"type": "string"}))}
        if nested:
            loose["maxItems"] = min(int(schema.get("maxItems", NESTED_LIST_ITEMS)), NESTED_LIST_ITEMS)
        return loose
    if "object" in kinds or "properties" in schema:
        properties = schema.get("properties", {})
        if not properties:
            return {"type": "object"}
        return {
            "type": "object",
            "properties": {name: _loosen(sub) for name, sub in properties.items()},
            "required": list(properties),
        }
    if kinds & {"number", "integer"}:  # as written, but with a digit: a small model may write "," alone
        return {"anyOf": [{"type": "string", "pattern": NUMBER_AS_WRITTEN}, {"type": "null"}]}
    return {"type": ["string", "null"]}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties)}


def _key(phrase: str) -> str:
    phrase = _ARTICLES.sub("", phrase.strip(" \"'`“”‘’:：*-"))
    phrase = re.sub(r"^(?:the|a|an)\s+", "", phrase, flags=re.IGNORECASE)
    if not phrase or len(phrase) > 40:
        return ""
    if _CJK.search(phrase):
        return re.sub(r"\s+", "", phrase)
    if re.fullmatch(r"[A-Za-z]+(?:_[A-Za-z0-9]+)+|[a-z]+(?:[A-Z][a-z0-9]*)+", phrase):
        return phrase  # written as a key: "notice_period_to_terminate_renewal", "invoiceNumber"
    words = re.findall(r"[A-Za-z0-9]+", phrase)
    return "_".join(w.lower() for w in words[:4])


def _label(phrase: str) -> str:
    return phrase.strip(" \"'`“”‘’:：*-").strip()
