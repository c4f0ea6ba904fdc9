"""gilmap's bytecode JIT, Python side.

Stage 1 ("read") lives here: :mod:`gilmap.jit.normalize` turns CPython 3.12/3.13 bytecode into
version-neutral instructions, and :mod:`gilmap.jit.reader` resolves names and writes the text
form described in ``docs/JIT_TEXT_FORMAT.md``. Neither module needs the native extension.
"""
