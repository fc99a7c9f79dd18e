"""Load and validate instrument files into frozen dataclasses (no Flask)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from survey_app.core import expressions

ITEM_TYPES = (
    "yesno",
    "scale4",
    "choice",
    "multi",
    "integer",
    "decimal",
    "time",
    "duration",
    "text",
    "photo",
)
LOCALES = ("id", "en")
DIMENSIONS = ("akses_informasi", "akses_layanan", "kesesuaian_harapan", "pengaduan")
COMPONENTS = (
    "dasar_hukum",
    "persyaratan",
    "prosedur",
    "jangka_waktu",
    "biaya",
    "produk",
    "sarana",
    "kompetensi",
    "pengawasan",
    "pengaduan",
    "jumlah_pelaksana",
    "jaminan_pelayanan",
    "jaminan_keamanan",
    "evaluasi_kinerja",
    "maklumat",
)
UNSUR = tuple(f"U{n}" for n in range(1, 10))
# The four dimensions of the Ombudsman's opinion (2022-2024 and Penilaian Maladministrasi
# from 2025): every scored item says which one it feeds, as the tag `ombudsman`.
OMBUDSMAN = ("input", "proses", "output", "pengaduan")
SCHEMES = ("ombudsman-2015", "ombudsman-2022", "skm-2017")
ROLES = ("arrival", "ticket", "service_start", "service_end", "fee_asked", "narrative")
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


class InstrumentInvalid(Exception):
    """An instrument file with one or more problems; `errors` lists them all."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Label:
    """A text in both locales."""

    id: str
    en: str

    def get(self, locale: str) -> str:
        """The text in `locale`, Indonesian when that locale is unknown."""
        return self.en if locale == "en" else self.id


@dataclass(frozen=True)
class Option:
    value: str
    label: Label


@dataclass(frozen=True)
class Item:
    id: str
    type: str
    label: Label
    section: str
    hint: Label | None = None
    required: bool = False
    weight: float = 1.0
    relevant: str | None = None
    relevant_tree: tuple | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    finding: Label | None = None
    recommendation: Label | None = None
    photo: bool = False
    na: bool = False
    points: tuple[Label, ...] = ()
    options: tuple[Option, ...] = ()
    passes: tuple[str, ...] = ()
    unit: Label | None = None
    min: float | None = None
    max: float | None = None
    multiline: bool = False
    role: str | None = None
    fails_on: str = "no"

    @property
    def checkable(self) -> bool:
        """Whether the item passes or fails (and so counts in compliance)."""
        return self.type in ("yesno", "kept") or (self.type == "choice" and bool(self.passes))

    def passed(self, value: Any) -> bool | None:
        """True/False for a checkable answer; None when it leaves the denominator."""
        if not self.checkable or value in (None, "", "na"):
            return None
        if self.type == "yesno":
            return value != self.fails_on
        return value in self.passes

    @property
    def scored(self) -> bool:
        """Whether the item counts in a score: checkable, or an SKM unsur on the 1-4 scale."""
        return self.checkable or (self.type == "scale4" and "unsur" in self.tags)

    @property
    def takes_photos(self) -> bool:
        """Whether evidence photos may be attached: always, or to explain a failing answer."""
        return self.photo or self.type == "photo" or self.checkable

    def is_relevant(self, answers: Mapping[str, Any]) -> bool:
        """Whether the item is shown given the answers so far."""
        if self.relevant_tree is None:
            return True
        return expressions.evaluate(self.relevant_tree, answers)


@dataclass(frozen=True)
class Section:
    id: str
    title: Label
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Instrument:
    id: str
    version: int
    title: Label
    description: Label
    scheme: str
    sections: tuple[Section, ...]
    unsur_weights: Mapping[str, float] | None
    definition: Mapping[str, Any]
    source: str = ""
    order: int = 100

    @cached_property
    def items(self) -> tuple[Item, ...]:
        """Every item in the order asked."""
        return tuple(item for section in self.sections for item in section.items)

    @cached_property
    def _by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items}

    def item(self, item_id: str) -> Item:
        """The item with this id; KeyError when there is none."""
        return self._by_id[item_id]

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the definition, to notice a changed file under one version."""
        return content_hash(self.definition)

    def relevant_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Answers with those of hidden items dropped, in the order asked."""
        if isinstance(answers, Kept):
            return answers
        kept: dict[str, Any] = Kept()
        for item in self.items:
            if item.id in answers and item.is_relevant(kept):
                kept[item.id] = answers[item.id]
        return kept


class Kept(dict):
    """Answers already filtered by relevant_answers: filtering them again is a no-op."""


def content_hash(definition: Mapping[str, Any]) -> str:
    """Stable hash of a parsed definition (key order and formatting ignored).

    The items' `ombudsman` tags are left out: they say which Ombudsman dimension
    an item feeds in the readiness report (rapor) and change nothing a visit was
    asked, answered or scored on, so tagging (or re-tagging) a version that has
    visits needs no new version, and a definition without them hashes as before.
    """
    canonical = json.dumps(_without_ombudsman(definition), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _without_ombudsman(definition: Mapping[str, Any]) -> Any:
    """A copy of the definition with each item's tags.ombudsman dropped (an empty tags kept out)."""
    sections = definition.get("sections")
    if not isinstance(sections, list):
        return definition
    copied = []
    for section in sections:
        items = section.get("items") if isinstance(section, dict) else None
        if not isinstance(items, list):
            copied.append(section)
            continue
        kept = []
        for item in items:
            tags = item.get("tags") if isinstance(item, dict) else None
            if isinstance(tags, dict) and "ombudsman" in tags:
                rest = {k: v for k, v in tags.items() if k != "ombudsman"}
                item = {k: v for k, v in item.items() if k != "tags"} | (
                    {"tags": rest} if rest else {}
                )
            kept.append(item)
        copied.append({**section, "items": kept})
    return {**definition, "sections": copied}


# --- YAML with line numbers -------------------------------------------------


class _LineDict(dict):
    line: int = 0
    key_lines: dict


class _LineList(list):
    line: int = 0
    item_lines: list


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line of every mapping, key and item."""

    def construct_mapping(self, node, deep=False):
        mapping = _LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {self.construct_object(k): k.start_mark.line + 1 for k, _ in node.value}
        return mapping

    def construct_sequence(self, node, deep=False):
        seq = _LineList(super().construct_sequence(node, deep=True))
        seq.line = node.start_mark.line + 1
        seq.item_lines = [child.start_mark.line + 1 for child in node.value]
        return seq


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_mapping)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_sequence)


def _plain(value: Any) -> Any:
    """Strip the line bookkeeping, leaving JSON-able dicts and lists."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def load_file(path: str | Path) -> Instrument:
    """Read, validate and build one instrument file.

    :raises InstrumentInvalid: listing every problem with file, line and item.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise InstrumentInvalid([f"{path}:{line}: malformed YAML: {problem}"]) from exc
    return build(raw, source=str(path))


def build(raw: Any, source: str = "<definition>", stored: bool = False) -> Instrument:
    """Validate a parsed definition and build the Instrument.

    `stored` is for a version read back from the database: one stored before
    the `ombudsman` tag was required is still built (its visits still score
    and print); a file is always held to it.

    :raises InstrumentInvalid: listing every problem found.
    """
    checker = _Checker(source, require_ombudsman=not stored)
    instrument = checker.instrument(raw)
    if checker.errors:
        raise InstrumentInvalid(checker.errors)
    return instrument


def load_directory(directory: str | Path) -> tuple[list[Instrument], list[str]]:
    """Load every *.yaml in a directory: the valid instruments and all errors."""
    instruments, errors = [], []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            instruments.append(load_file(path))
        except InstrumentInvalid as exc:
            errors.extend(exc.errors)
    errors.extend(_duplicate_ids(instruments))
    return instruments, errors


def _duplicate_ids(instruments: Iterable[Instrument]) -> list[str]:
    seen: dict[str, str] = {}
    errors = []
    for inst in instruments:
        if inst.id in seen:
            errors.append(
                f"{inst.source}:1: id: instrument id '{inst.id}' is already used by {seen[inst.id]}"
            )
        seen.setdefault(inst.id, inst.source)
    return errors


# --- validation ---------------------------------------------------------------


class _Checker:
    """Walks a parsed definition, collecting every error instead of stopping."""

    def __init__(self, source: str, require_ombudsman: bool = True):
        self.source = source
        self.require_ombudsman = require_ombudsman
        self.errors: list[str] = []

    def error(self, container: Any, key: Any, path: str, message: str) -> None:
        line = _line_of(container, key)
        self.errors.append(f"{self.source}:{line}: {path}: {message}")

    def instrument(self, raw: Any) -> Instrument | None:
        if not isinstance(raw, dict):
            self.error(raw, None, "(top)", "an instrument must be a mapping")
            return None
        inst_id = raw.get("id")
        if not isinstance(inst_id, str) or not _ID.match(inst_id):
            self.error(raw, "id", "id", "missing or invalid id (use a-z, 0-9, _)")
        version = raw.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            self.error(raw, "version", "version", "version must be a whole number >= 1")
        scheme = raw.get("scheme")
        if scheme not in SCHEMES:
            self.error(
                raw,
                "scheme",
                "scheme",
                f"unknown rating scheme {scheme!r} (one of {', '.join(SCHEMES)})",
            )
        title = self.label(raw, "title", "title", required=True)
        description = self.label(raw, "description", "description", required=True)
        weights = self.unsur_weights(raw)
        order = raw.get("order", 100)
        if not isinstance(order, int) or isinstance(order, bool):
            self.error(raw, "order", "order", "order must be a whole number")
        sections = self.sections(raw)
        if self.errors:
            return None
        return Instrument(
            inst_id,
            version,
            title,
            description,
            scheme,
            sections,
            weights,
            _plain(raw),
            self.source,
            order,
        )

    def label(self, parent: Any, key: str, path: str, required=False) -> Label | None:
        value = parent.get(key) if isinstance(parent, dict) else None
        if value is None:
            if required:
                self.error(parent, key, path, f"missing {key}")
            return None
        if not isinstance(value, dict):
            self.error(parent, key, path, f"{key} must have 'id' and 'en' texts")
            return None
        for locale in LOCALES:
            if not isinstance(value.get(locale), str) or not value[locale].strip():
                self.error(value, locale, path, f"{key} is missing its '{locale}' text")
        if any(not isinstance(value.get(loc), str) for loc in LOCALES):
            return None
        return Label(value["id"], value["en"])

    def unsur_weights(self, raw: dict) -> dict[str, float] | None:
        weights = raw.get("unsur_weights")
        if weights is None:
            return None
        if not isinstance(weights, dict) or not weights:
            self.error(raw, "unsur_weights", "unsur_weights", "must map U1..U9 to weights")
            return None
        bad = [
            k
            for k, v in weights.items()
            if k not in UNSUR or not isinstance(v, int | float) or v <= 0
        ]
        if bad:
            self.error(
                raw,
                "unsur_weights",
                "unsur_weights",
                f"unknown unsur or non-positive weight: {', '.join(map(str, bad))}",
            )
        elif abs(sum(weights.values()) - 1) > 1e-9:
            self.error(raw, "unsur_weights", "unsur_weights", "weights must sum to 1")
        return dict(weights)

    def sections(self, raw: dict) -> tuple[Section, ...]:
        sections_raw = raw.get("sections")
        if not isinstance(sections_raw, list) or not sections_raw:
            self.error(raw, "sections", "sections", "an instrument needs sections")
            return ()
        seen_items: dict[str, str] = {}
        seen_sections: set[str] = set()
        sections = []
        for s_index, s_raw in enumerate(sections_raw):
            path = f"sections[{s_index}]"
            if not isinstance(s_raw, dict):
                self.error(sections_raw, s_index, path, "a section must be a mapping")
                continue
            s_id = s_raw.get("id")
            if not isinstance(s_id, str) or not _ID.match(s_id):
                self.error(s_raw, "id", path, "missing or invalid section id")
            elif s_id in seen_sections:
                self.error(s_raw, "id", path, f"duplicate section id '{s_id}'")
            seen_sections.add(s_id)
            title = self.label(s_raw, "title", path, required=True)
            items = self.items(s_raw, path, str(s_id), seen_items)
            sections.append(Section(str(s_id), title, items))
        return tuple(sections)

    def items(self, s_raw: dict, s_path: str, s_id: str, seen: dict) -> tuple[Item, ...]:
        items_raw = s_raw.get("items")
        if not isinstance(items_raw, list) or not items_raw:
            self.error(s_raw, "items", s_path, "a section needs items")
            return ()
        items = []
        for i_index, i_raw in enumerate(items_raw):
            path = f"{s_path}.items[{i_index}]"
            if not isinstance(i_raw, dict):
                self.error(items_raw, i_index, path, "an item must be a mapping")
                continue
            item = self.item(i_raw, path, s_id, seen)
            if item is not None:
                items.append(item)
        return tuple(items)

    def item(self, raw: dict, path: str, section: str, seen: dict) -> Item | None:
        item_id = raw.get("id")
        if not isinstance(item_id, str) or not _ID.match(item_id):
            self.error(raw, "id", path, "missing or invalid item id (use a-z, 0-9, _)")
            item_id = None
        else:
            path = f"{path} ({item_id})"
            if item_id in seen:
                self.error(
                    raw, "id", path, f"duplicate item id '{item_id}' (first at {seen[item_id]})"
                )
        kind = raw.get("type")
        if kind not in ITEM_TYPES:
            self.error(raw, "type", path, f"unknown type {kind!r}")
        label = self.label(raw, "label", path, required=True)
        hint = self.label(raw, "hint", path)
        weight = self.weight(raw, path)
        tree = self.relevant(raw, path, seen)
        tags = self.tags(raw, path)
        extra = self.type_keys(raw, path, kind)
        if item_id:
            seen.setdefault(item_id, path)
        if item_id is None or kind not in ITEM_TYPES or label is None:
            return None
        item = Item(
            id=item_id,
            type=kind,
            label=label,
            section=section,
            hint=hint,
            required=bool(raw.get("required", False)),
            weight=weight,
            relevant=raw.get("relevant"),
            relevant_tree=tree,
            tags=tags,
            finding=self.label(raw, "finding", path),
            recommendation=self.label(raw, "recommendation", path),
            photo=bool(raw.get("photo", False)),
            na=bool(raw.get("na", False)),
            multiline=bool(raw.get("multiline", False)),
            role=raw.get("role"),
            fails_on=self.fails_on(raw, path, kind),
            **extra,
        )
        self.checkable_keys(raw, path, item)
        return item

    def fails_on(self, raw: dict, path: str, kind: str) -> str:
        # A question asked positively may fail on "yes" (a bribe was asked).
        if "fails_on" not in raw:
            return "no"
        # Unquoted yes/no are YAML 1.1 booleans: read them as the answers they spell,
        # and write the answer back so the tablet's copy of the definition says it too.
        value = {True: "yes", False: "no"}.get(raw["fails_on"], raw["fails_on"])
        raw["fails_on"] = value
        if kind != "yesno":
            self.error(raw, "fails_on", path, "fails_on is only for yesno items")
        elif value not in ("yes", "no"):
            self.error(raw, "fails_on", path, f"fails_on must be 'yes' or 'no', not {value!r}")
        else:
            return value
        return "no"

    def weight(self, raw: dict, path: str) -> float:
        weight = raw.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            self.error(raw, "weight", path, f"weight must be a positive number, not {weight!r}")
            return 1.0
        return float(weight)

    def relevant(self, raw: dict, path: str, seen: dict) -> tuple | None:
        rule = raw.get("relevant")
        if rule is None:
            return None
        if not isinstance(rule, str):
            self.error(raw, "relevant", path, "relevant must be a text rule")
            return None
        try:
            tree = expressions.parse(rule)
        except expressions.ExpressionError as exc:
            self.error(raw, "relevant", path, f"relevant rule {rule!r}: {exc}")
            return None
        for name in sorted(expressions.names(tree)):
            if name not in seen:
                self.error(
                    raw, "relevant", path, f"relevant refers to unknown or later item '{name}'"
                )
        return tree

    def tags(self, raw: dict, path: str) -> dict[str, str]:
        tags = raw.get("tags") or {}
        if not isinstance(tags, dict):
            self.error(raw, "tags", path, "tags must be a mapping")
            return {}
        allowed = {
            "dimension": DIMENSIONS,
            "component": COMPONENTS,
            "unsur": UNSUR,
            "ombudsman": OMBUDSMAN,
        }
        for key, value in tags.items():
            if key not in allowed:
                self.error(tags, key, path, f"unknown tag '{key}'")
            elif value not in allowed[key]:
                self.error(tags, key, path, f"unknown {key} {value!r}")
        return dict(tags)

    def type_keys(self, raw: dict, path: str, kind: str) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if kind == "scale4":
            points = raw.get("points")
            if not isinstance(points, list) or len(points) != 4:
                self.error(raw, "points", path, "a scale4 item needs exactly four point labels")
            else:
                labels = [
                    self.label({"point": p}, "point", f"{path}.points[{n}]", True)
                    for n, p in enumerate(points)
                ]
                extra["points"] = tuple(labels) if all(labels) else ()
        if kind in ("choice", "multi"):
            extra["options"] = self.options(raw, path)
            passes = raw.get("pass") or []
            values = {o.value for o in extra["options"]}
            if any(p not in values for p in passes):
                self.error(raw, "pass", path, "pass lists a value that is not an option")
            extra["passes"] = tuple(passes)
        if kind in ("integer", "decimal", "duration"):
            extra.update(self.bounds(raw, path))
            extra["unit"] = self.label(raw, "unit", path)
        role = raw.get("role")
        if role is not None and role not in ROLES:
            self.error(raw, "role", path, f"unknown role {role!r}")
        return extra

    def options(self, raw: dict, path: str) -> tuple[Option, ...]:
        options_raw = raw.get("options")
        if not isinstance(options_raw, list) or len(options_raw) < 2:
            self.error(raw, "options", path, "a choice item needs at least two options")
            return ()
        options = []
        for n, o_raw in enumerate(options_raw):
            value = o_raw.get("value") if isinstance(o_raw, dict) else None
            label = self.label(o_raw, "label", f"{path}.options[{n}]", True)
            if not isinstance(value, str) or not value:
                self.error(options_raw, n, f"{path}.options[{n}]", "option needs a value")
            elif label:
                options.append(Option(value, label))
        if len({o.value for o in options}) != len(options):
            self.error(raw, "options", path, "option values must be unique")
        return tuple(options)

    def bounds(self, raw: dict, path: str) -> dict[str, float | None]:
        low, high = raw.get("min"), raw.get("max")
        for key, value in (("min", low), ("max", high)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                self.error(raw, key, path, f"{key} must be a number")
                return {}
        if low is not None and high is not None and low > high:
            self.error(raw, "min", path, "min is greater than max")
        return {"min": low, "max": high}

    def checkable_keys(self, raw: dict, path: str, item: Item) -> None:
        if item.scored and self.require_ombudsman and "ombudsman" not in item.tags:
            self.error(
                raw,
                "tags",
                path,
                "a scored item needs tags.ombudsman (one of " + ", ".join(OMBUDSMAN) + ")",
            )
        if item.checkable:
            for key in ("finding", "recommendation"):
                if key not in raw:
                    self.error(raw, None, path, f"a checkable item needs a {key}")


def _line_of(container: Any, key: Any) -> int:
    if isinstance(container, _LineDict):
        return container.key_lines.get(key, container.line)
    if isinstance(container, _LineList) and isinstance(key, int):
        if 0 <= key < len(container.item_lines):
            return container.item_lines[key]
        return container.line
    return 1
