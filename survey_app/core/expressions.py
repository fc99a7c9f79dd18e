"""The `relevant` skip-logic language: tokenizer, parser and evaluator.

The grammar and the value rules are in docs/instrument-format.md; the browser
runs the same language from static/js/relevant.js. Both are held to one
corpus, tests/relevant_cases.json, so a rule shows or hides an item the same
way online, offline and when the server scores. Nothing here calls `eval`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# ASCII only, spelled out: Python's \s and \d would also take Unicode spaces and
# digits, which the browser's regular expressions do not.
_TOKEN = re.compile(
    r"""[ \t\n\r\f\v]*(?:
        (?P<number>-?[0-9]+(?:\.[0-9]+)?)
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<op><=|>=|!=|=|<|>)
      | (?P<paren>[()])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_BLANK = " \t\n\r\f\v"
# The only strings that count as numbers: plain decimals. float() would also
# take '1_000', 'nan' and 'inf', and the browser's Number() '0x10' and '1e3'.
_DECIMAL = re.compile(r"[ \t\n\r\f\v]*(-?[0-9]+(?:\.[0-9]+)?)[ \t\n\r\f\v]*")
_KEYWORDS = {"and", "or", "not", "answered", "true", "false", "has"}
# Bounds the parser's and evaluator's recursion well inside Python's limit, so
# a runaway rule is an ExpressionError here and in the browser alike.
MAX_TOKENS = 200


class ExpressionError(ValueError):
    """A `relevant` rule that does not parse."""


@dataclass(frozen=True)
class Token:
    kind: str
    value: Any
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split a rule into tokens, refusing any character outside the grammar."""
    tokens, pos = [], 0
    text = text.rstrip(_BLANK)
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"unexpected character at position {pos + 1}")
        kind = match.lastgroup
        start = match.start(kind)
        raw = match.group(kind)
        if kind == "number":
            value = float(raw)
        elif kind == "string":
            value = raw[1:-1]
        elif kind == "name" and raw in _KEYWORDS:
            kind, value = ("op" if raw == "has" else "keyword"), raw
        else:
            value = raw
        tokens.append(Token(kind, value, start))
        if len(tokens) > MAX_TOKENS:
            raise ExpressionError(f"rule longer than {MAX_TOKENS} tokens")
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str):
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, kind=None, value=None):
        tok = self.tokens[self.i] if self.i < len(self.tokens) else None
        if tok and (kind is None or tok.kind == kind) and (value in (None, tok.value)):
            return tok
        return None

    def take(self, kind, value=None):
        tok = self.peek(kind, value)
        if tok is None:
            where = self.tokens[self.i].pos + 1 if self.peek() else "end"
            expected = value or kind
            raise ExpressionError(f"expected {expected} at position {where}")
        self.i += 1
        return tok

    def parse(self):
        if not self.tokens:
            raise ExpressionError("empty rule")
        node = self.binary("or", self.binary_and)
        if self.peek():
            raise ExpressionError(f"unexpected '{self.peek().value}'")
        return node

    def binary(self, word, operand):
        node = operand()
        while self.peek("keyword", word):
            self.i += 1
            node = (word, node, operand())
        return node

    def binary_and(self):
        return self.binary("and", self.unary)

    def unary(self):
        if self.peek("keyword", "not"):
            self.i += 1
            return ("not", self.unary())
        return self.primary()

    def primary(self):
        if self.peek("paren", "("):
            self.i += 1
            node = self.binary("or", self.binary_and)
            self.take("paren", ")")
            return node
        if self.peek("keyword", "answered"):
            self.i += 1
            self.take("paren", "(")
            name = self.take("name").value
            self.take("paren", ")")
            return ("answered", name)
        left = self.operand()
        if self.peek("op"):
            op = self.take("op").value
            return ("cmp", op, left, self.operand())
        return ("truthy", left)

    def operand(self):
        tok = self.peek()
        if tok is None:
            raise ExpressionError("rule ends too early")
        if tok.kind == "name":
            self.i += 1
            return ("name", tok.value)
        if tok.kind in ("number", "string"):
            self.i += 1
            return ("lit", tok.value)
        if tok.kind == "keyword" and tok.value in ("true", "false"):
            self.i += 1
            return ("lit", tok.value == "true")
        raise ExpressionError(f"unexpected '{tok.value}' at position {tok.pos + 1}")


def parse(text: str) -> tuple:
    """Parse a rule into a small tuple tree."""
    return _Parser(text).parse()


def names(node: tuple) -> set[str]:
    """Item ids a parsed rule refers to."""
    kind = node[0]
    if kind in ("name", "answered"):
        return {node[1]}
    if kind == "lit":
        return set()
    return set().union(*(names(child) for child in node[1:] if isinstance(child, tuple)))


def is_answered(value: Any) -> bool:
    """True when a stored answer holds something (not None, '' or [])."""
    return value is not None and value != "" and value != []


def evaluate(node: tuple, answers: Mapping[str, Any]) -> bool:
    """Evaluate a parsed rule against answers keyed by item id."""
    kind = node[0]
    if kind == "or":
        return evaluate(node[1], answers) or evaluate(node[2], answers)
    if kind == "and":
        return evaluate(node[1], answers) and evaluate(node[2], answers)
    if kind == "not":
        return not evaluate(node[1], answers)
    if kind == "answered":
        return is_answered(answers.get(node[1]))
    if kind == "truthy":
        value = _value(node[1], answers)
        return is_answered(value) and value not in ("no", False, 0)
    return _compare(node[1], _value(node[2], answers), _value(node[3], answers))


def _value(operand: tuple, answers: Mapping[str, Any]) -> Any:
    if operand[0] == "lit":
        return operand[1]
    value = answers.get(operand[1])
    return value if is_answered(value) else None


def _compare(op: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if op == "has":
        return isinstance(left, list) and any(_equal(item, right) for item in left)
    left, right = _scalar(left), _scalar(right)
    if left is None or right is None:  # a list is tested only with `has`
        return False
    if op == "=":
        return _same(left, right)
    if op == "!=":
        return not _same(left, right)
    if left[0] != right[0] or left[0] == "bool":
        return False
    return {
        "<": left[1] < right[1],
        "<=": left[1] <= right[1],
        ">": left[1] > right[1],
        ">=": left[1] >= right[1],
    }[op]


def _equal(left: Any, right: Any) -> bool:
    left, right = _scalar(left), _scalar(right)
    return left is not None and right is not None and _same(left, right)


def _same(left: tuple[str, Any], right: tuple[str, Any]) -> bool:
    # Kind and value apart: tuple == would call a NaN equal to itself.
    return left[0] == right[0] and left[1] == right[1]


def _scalar(value: Any) -> tuple[str, Any] | None:
    """(kind, value) with kind number, string or bool; None for a list or null.

    Numbers compare as floats, so 2 = 2.0, and a decimal string from a form
    equals the number: '5' = 5. A boolean is never a number: true = 1 is false.
    """
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        try:
            return ("number", float(value))
        except OverflowError:  # beyond a double; JSON.parse in the browser gives Infinity
            return ("number", math.copysign(math.inf, value))
    if isinstance(value, float):
        return ("number", value)
    if isinstance(value, str):
        match = _DECIMAL.fullmatch(value)
        return ("number", float(match.group(1))) if match else ("string", value)
    return None
