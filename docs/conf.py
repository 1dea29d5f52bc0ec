"""Sphinx configuration for chinchilla_laws (build with ``sphinx-build -W``)."""

from __future__ import annotations

import chinchilla_laws

project = "chinchilla_laws"
author = "chinchilla_laws developers"
copyright = "2025, chinchilla_laws developers"
version = release = chinchilla_laws.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "numpydoc",
]

exclude_patterns = ["_build"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_theme = "alabaster"
html_theme_options = {"description": "Compute-optimal scaling laws (Hoffmann et al. 2022)"}

# autodoc: members in source order, type hints in the signature only
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True}

# numpydoc: the Attributes section documents dataclass fields; do not also list
# every member (that would document each field twice and warn on duplicates)
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
