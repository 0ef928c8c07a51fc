"""The docs build's own Sphinx extension: generated pages, strict docstrings, public references.

- Before reading the sources, writes the pages generated from data in the repository
  (``generate_pages.py``) into ``_generated/``.
- A public object that autodoc documents without a docstring is a warning (an error under
  ``-W``), so a new public name cannot land undocumented.
- A dataclass field with a ``default_factory`` shows its default as ``<factory>``, which is not
  Python, so Sphinx would split the signature at every comma (``dict[str`` as a type); it is
  shown as ``...`` instead: the docstring says what the default is.
- A signature names a class by where it is defined (``tansaku.study._study.Study``); that
  reference is resolved to the public name under which the same object is documented.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import generate_pages
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def _write_generated_pages(app: Sphinx) -> None:
    generate_pages.write_all(Path(app.srcdir) / "_generated")


def _require_docstring(
    app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]
) -> None:
    if any(line.strip() for line in lines):
        return
    if what == "module" or any(part.startswith("_") for part in name.split(".")):
        return
    # Enum members and plain data (constants, type aliases) are described by their owner.
    if what in {"attribute", "data"}:
        return
    logger.warning("public %s %s has no docstring", what, name, type="tansaku", subtype="doc")


def _factory_defaults(
    app: Sphinx,
    what: str,
    name: str,
    obj: Any,
    options: Any,
    signature: str | None,
    return_annotation: str | None,
) -> tuple[str | None, str | None] | None:
    if signature is None or "<factory>" not in signature:
        return None
    return signature.replace("<factory>", "..."), return_annotation


def _resolve(dotted: str) -> Any:
    """Import the object that ``dotted`` names, or None."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attribute in parts[cut:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return None
        return obj
    return None


def _public_names(env: Any) -> dict[int, str]:
    """Map each documented object (by identity) to the first public name it is documented as."""
    cached = getattr(env, "_tansaku_public_names", None)
    if cached is None:
        cached = {}
        for name, entry in env.get_domain("py").objects.items():
            if entry.aliased or entry.objtype == "module":
                continue
            obj = _resolve(name)
            if obj is not None:
                cached.setdefault(id(obj), name)
        env._tansaku_public_names = cached
    return cached


def _public_reference(
    app: Sphinx, env: Any, node: Any, contnode: nodes.Element
) -> nodes.Element | None:
    """Resolve a reference that names a public object by another path, or by its bare name.

    ``tansaku.study._study.Study`` (a signature's annotation) and ``Study.stop`` (a docstring's
    short form) both find ``tansaku.Study``. A private class that exists but is not documented
    (a base class in "Bases: ...") is shown as text. Anything else stays a broken reference.
    """
    if node.get("refdomain") != "py":
        return None
    target_name = node["reftarget"]
    domain = env.get_domain("py")
    name = None
    if target_name.startswith("tansaku."):
        target = _resolve(target_name)
        if target is None:
            return None
        name = _public_names(env).get(id(target))
        if name is None:
            private = any(part.startswith("_") for part in target_name.split("."))
            return contnode if private else None
    else:
        suffix = "." + target_name
        candidates = [n for n in domain.objects if n.startswith("tansaku.") and n.endswith(suffix)]
        if candidates:
            name = min(candidates, key=len)
    if name is None or name == target_name:
        return None
    found = domain.resolve_any_xref(env, node["refdoc"], app.builder, name, node, contnode)
    return found[0][1] if found else None


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _write_generated_pages)
    app.connect("autodoc-process-docstring", _require_docstring)
    app.connect("autodoc-process-signature", _factory_defaults)
    app.connect("missing-reference", _public_reference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
