"""Moved to marketplace.core.testing.imagefiles; kept only for e2e/test_generation.py and e2e/test_training.py.

Delete once those import marketplace.core.testing.imagefiles (their owners' files).
"""

from marketplace.core.testing.imagefiles import *  # noqa: F401,F403
