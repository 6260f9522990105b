"""Never imported: its bytecode file's name is where `spec_cache` keeps the bundled descriptions.

pip's uninstall removes, for each `.py` file it installed, the bytecode file Python would
write for it (`importlib.util.cache_from_source`), and nothing else it did not install. The
descriptions' cache, written at run time, takes the name this module's bytecode would have,
so that uninstalling the package removes it with the package instead of leaving a file of
about 140 KB (and the folders that hold it) in site-packages.
"""
