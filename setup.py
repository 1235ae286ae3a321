"""Builds the compiled parts (see pyproject.toml): the walk of classify.render
(classify/_walk.pyx), the word, character n-gram and shape counting of classify.features
(classify/_features.pyx), the sequence decoding of classify.model (classify/_viterbi.pyx) and
the result records of classify.scorer (classify/_records.pyx).

All are optional: without a C compiler the package installs and gives the same results in
pure Python, slower (``COMPILED`` in each of those four modules tells).
"""

from setuptools import Extension, setup

try:
    import lxml
    import numpy
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
            ),
            Extension("classify._features", ["classify/_features.pyx"], optional=True),
            Extension(
                "classify._records",
                ["classify/_records.pyx"],
                include_dirs=[numpy.get_include()],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                optional=True,
            ),
            Extension(
                "classify._viterbi",
                ["classify/_viterbi.pyx"],
                include_dirs=[numpy.get_include()],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                optional=True,
            ),
        ],
        quiet=True,
    )

setup(ext_modules=ext_modules)
