"""Builds the compiled parts (see pyproject.toml): the walk of classify.render
(classify/_walk.pyx), the word, character n-gram and shape counting of classify.features
(classify/_features.pyx), the sequence marginals of classify.model (classify/_decode.pyx) and
the result records of classify.scorer (classify/_records.pyx).

All are optional: without a C compiler the package installs and gives the same results in
pure Python, slower (``COMPILED`` in each of those four modules tells).
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
            Extension(f"classify.{name}", [f"classify/{name}.pyx"], optional=True, **kw)
            for name, kw in (
                ("_walk", {"include_dirs": lxml.get_include()}),  # lxml's C API and headers
                ("_features", {}),
                ("_records", {}),
                ("_decode", {}),
            )
        ],
        quiet=True,
    )

setup(ext_modules=ext_modules)
