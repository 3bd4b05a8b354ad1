"""YAML as editors write it (article front matter, `config/synonyms.yaml`): a SafeLoader bounded whatever the file.

- Dates stay text: YAML would crash on 2025-02-30 and has no date-time rules of ours, so each caller checks
  its dates with its own messages.
- No aliases: a 600-byte file of nested `*a` references expands to gigabytes (a "billion laughs").
- No explicit tags (`!!int abc`, `!!timestamp 2025-02-30` crash their constructors), and at most
  MAX_DEPTH levels of nesting (a deep `[[[[` would exhaust the stack).
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 16
YAML_HINT = "if a value contains ': ' or ' #', or starts with a quote, [, {, &, *, !, | or >, put it all in quotes"


class EditorYamlLoader(yaml.SafeLoader):
    _depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            raise Refused(f"aliases (*{event.anchor}) are not allowed", event.start_mark)
        tag = getattr(event, "tag", None)
        if tag not in (None, "!"):
            raise Refused(f"YAML tags ({tag}) are not allowed", event.start_mark)
        if self._depth >= MAX_DEPTH:
            raise Refused(f"values nest more than {MAX_DEPTH} levels deep", event.start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class Refused(yaml.MarkedYAMLError):
    def __init__(self, problem: str, mark: Any) -> None:  # a pure-Python or libyaml mark
        super().__init__(problem=problem, problem_mark=mark)


def _bounded_int(loader: EditorYamlLoader, node: yaml.ScalarNode) -> int:
    try:
        return loader.construct_yaml_int(node)
    except ValueError:  # more digits than Python converts (4,300)
        raise Refused(f"a number of {len(node.value):,} digits cannot be read", node.start_mark) from None


EditorYamlLoader.add_constructor("tag:yaml.org,2002:int", _bounded_int)
EditorYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def kind_of(value: object) -> str:
    """What a YAML value is, in an editor's words."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "yes/no"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a group of 'key: value' pairs"
    return "text" if isinstance(value, str) else type(value).__name__
