"""Sphinx configuration for tansaku's documentation (``make docs`` builds it; see README.md).

The build is strict: ``make docs`` runs Sphinx with ``-W --keep-going -n``, so a broken cross
reference, a public name without a docstring, or an autodoc import failure fails it.
"""

from __future__ import annotations

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# The checkout's tansaku wins over any installed copy; _ext holds the build's own extensions.
sys.path[:0] = [str(ROOT), str(DOCS / "_ext")]

import tansaku  # noqa: E402

project = "tansaku"
author = "tansaku developers"
copyright = "tansaku developers"  # noqa: A001
release = tansaku.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "tansaku_docs",
]

# Google-style docstrings (STYLE.md); NumPy style is not used anywhere.
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
napoleon_attr_annotations = True
# An "Attributes:" section becomes fields of its class, not a second description of each
# attribute beside the one undoc-members adds.
napoleon_use_ivar = True

# undoc-members: a public member without a docstring is shown, so tansaku_docs can flag it.
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
# Signatures show the hints; descriptions stay the docstring's own words.
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
# Frameworks that an integration adapter subclasses but the docs extra does not install (Ray is
# large and in the cluster extra; Keras also needs its backend chosen before import): autodoc
# imports the adapter against a stand-in, Sphinx's standard way, so the reference builds
# without them.
autodoc_mock_imports = ["ray", "mlflow", "wandb", "tensorboard", "lightning", "keras"]

# Broken references are errors. The build runs offline, so there is no intersphinx: names
# from the standard library and third-party packages in signatures cannot resolve and are
# ignored here, by module prefix, rather than one by one.
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|pandas|pd|plotly|go|matplotlib|sqlalchemy|redis|grpc|boto3)(\..*)?"),
    (r"py:.*", r"ray(\..*)?"),
    (r"py:.*", r"(_?lgb|lightgbm|xgboost|catboost|sklearn|BaseCrossValidator)(\..*)?"),
    (r"py:.*", r"(sklearn|skopt|distributed|dask|numbers)(\..*)?"),
    (r"py:.*", r"(lightning|pytorch_lightning|keras|torch|mlflow|wandb|tensorboard)(\..*)?"),
    (r"py:.*", r"(collections\.abc|typing|typing_extensions|types|os|pathlib|datetime)\..*"),
    (r"py:.*", r"(enum|logging|argparse|threading|concurrent\.futures|contextlib)\..*"),
    # Built-in and typing names that appear bare in signatures.
    (r"py:.*", r"(Any|Callable|Sequence|Mapping|Iterable|Iterator|Container|Collection)"),
    (r"py:.*", r"(Literal|Optional|Union|TypeAlias|Self|ParamSpec|TypeVar|Generator)"),
    (r"py:.*", r"(Path|PathLike|BinaryIO|IO|Enum|IntEnum|Logger|datetime|timedelta)"),
    (r"py:.*", r"(ndarray|DataFrame|Figure|Axes|Engine|Session|Redis|Lock|Event|Thread)"),
    (r"py:.*", r"(None|NoneType|ellipsis|builtins\..*|abc\..*)"),
    # Private type aliases, type variables and protocols that signatures show by name: the
    # argument's docstring says what it accepts.
    (r"py:.*", r"(ChoiceT|HeartbeatStaleTrialCallback|EliteStrategy|ChildStrategy)"),
    (r"py:.*", r"(AfterTrialStrategy|ConstraintsFunc|ArtifactStore|S3Client)"),
    (r"py:.*", r"(Callback|WorkerEnv)"),
    # Raised by Study methods when another process deleted the study; a KeyError subclass
    # that tansaku does not export (yet), so it has no page to link to.
    (r"py:exc", r"DeletedStudyError"),
]

templates_path: list[str] = []
exclude_patterns = ["_build", "README.md", "tutorials/*.py"]

html_theme = "furo"
html_title = f"tansaku {release}"
html_static_path: list[str] = []
# Every page names its source file on disk; nothing is fetched from the network.
html_show_sourcelink = False
html_copy_source = False
