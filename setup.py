"""Builds the compiled walk of classify.render (classify/_walk.pyx); see pyproject.toml.

The extension is optional: without a C compiler the package installs and renders HTML
with the same rules in pure Python, slower (``classify.render.COMPILED`` tells which).
"""

from setuptools import Extension, setup

try:
    import lxml
    from Cython.Build import cythonize
except ImportError:  # pragma: no cover - build requirements missing: pure Python
    ext_modules = []
else:
    ext_modules = cythonize(
        [
            Extension(
                "classify._walk",
                ["classify/_walk.pyx"],
                include_dirs=lxml.get_include(),
                optional=True,
            )
        ],
        quiet=True,
    )

setup(ext_modules=ext_modules)
