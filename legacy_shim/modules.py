"""`courses.models` and `tasks.models`, importable although no such packages exist.

An import finder answers for the old module names with modules whose classes are the proxies
in legacy_shim.models, and warns (DeprecationWarning) that the old path is going away.
"""

import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType

# Old module -> {old class name: (proxy in legacy_shim.models, the name to use instead)}.
LEGACY_MODULES = {
    "courses": {},
    "tasks": {},
    "courses.models": {"Course": ("LegacyCourse", "learningplatform.models.Course")},
    "tasks.models": {
        "LearningTask": ("LearningTask", "learningplatform.models.Task (task_type LEARNING)"),
        "QuizTask": ("QuizTask", "learningplatform.models.Task (task_type QUIZ)"),
        "AssessmentTask": ("AssessmentTask", "learningplatform.models.Task (task_type ASSESSMENT)"),
    },
}


class LegacyModuleFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path=None, target=None):
        if fullname not in LEGACY_MODULES:
            return None
        return importlib.util.spec_from_loader(fullname, self, is_package="." not in fullname)

    def create_module(self, spec):
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        classes = LEGACY_MODULES[module.__name__]
        if not classes:
            return
        from legacy_shim import models

        replacements = "; ".join(f"{old} → {new}" for old, (_, new) in classes.items())
        warnings.warn(
            f"{module.__name__} is deprecated and will be removed: use {replacements}.",
            DeprecationWarning,
            stacklevel=2,
        )
        for old_name, (proxy, _) in classes.items():
            setattr(module, old_name, getattr(models, proxy))
        from legacy_shim.usage import python_client, record_use

        record_use([f"import {module.__name__}"], python_client())


def install() -> None:
    if not any(isinstance(finder, LegacyModuleFinder) for finder in sys.meta_path):
        # First: an unrelated installed package called `tasks` must not answer instead.
        sys.meta_path.insert(0, LegacyModuleFinder())
