"""Demo content for `manage.py seed_demo`: accounts, styles and generative pictures."""
