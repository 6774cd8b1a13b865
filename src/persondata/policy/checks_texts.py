"""Checks of texts: every per-language text in every notice language; things declared but unused."""

from __future__ import annotations

import typing
from typing import Any

from pydantic import BaseModel

from persondata.policy.checks import Ctx, suggest
from persondata.policy.model import LocalText
from persondata.policy.source import PathKey


def check_translations(ctx: Ctx) -> None:
    """Texts given per language should exist in every notice language."""
    if ctx.is_broken("controller") or ctx.is_broken("controller", "languages"):
        return
    languages = ctx.policy.controller.languages

    def need(keys: PathKey, value: LocalText | None) -> None:
        if isinstance(value, dict):
            missing = [lang for lang in languages
                       if lang not in value and not (lang == "nb" and "no" in value)]
            if missing:
                ctx.warn(keys, f"no {', '.join(missing)} text (the notice in {missing[0]} falls back to "
                               "another language)")

    def visit(value: Any, keys: PathKey) -> None:
        if isinstance(value, BaseModel):
            for name, info in type(value).model_fields.items():
                if keys[:1] == ("systems",) and name == "fields":
                    continue
                item = getattr(value, name)
                if _is_local_text(info.annotation):
                    if (*keys, name) in ctx.loc.lines:  # given in the file, not a default
                        need((*keys, name), item)
                elif _is_local_text_list(info.annotation):
                    for i, text in enumerate(item):
                        need((*keys, name, i), text)
                elif _is_local_text_dict(info.annotation):
                    for key, text in item.items():
                        need((*keys, name, key), text)
                else:
                    visit(item, (*keys, name))
        elif isinstance(value, dict):
            for key, item in value.items():
                visit(item, (*keys, key))

    visit(ctx.policy, ())


def _is_local_text(annotation: Any) -> bool:
    args = set(typing.get_args(annotation))
    return str in args and dict[str, str] in args


def _is_local_text_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list and _is_local_text(typing.get_args(annotation)[0])


def _is_local_text_dict(annotation: Any) -> bool:
    return typing.get_origin(annotation) is dict and _is_local_text(typing.get_args(annotation)[1])


def check_unused(ctx: Ctx) -> None:
    """Declared subjects that no purpose names; anchor words that no retention rule uses."""
    if ctx.defined("purposes") is None:
        return
    named = {s for p in ctx.policy.purposes.values() for s in p.subjects}
    for key in ctx.policy.subjects:
        if key not in named:
            ctx.warn(("subjects", key), "subject not named by any purpose: the notice would list it "
                                        "with nothing")
    if any(ctx.is_broken("purposes", k, "retention") for k in ctx.policy.purposes):
        return
    used = {rule.anchor for k in ctx.policy.purposes if (rule := ctx.rule(k)) is not None}
    for anchor in ctx.policy.anchors:
        if anchor not in used:
            ctx.warn(("anchors", anchor), f"no retention rule uses the anchor '{anchor}'"
                                          f"{suggest(anchor, used)}")
