# Makes `commands` importable from the tests (the sample app has no package of its own).
