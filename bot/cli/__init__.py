"""`storybot`, the command line: `app.py` assembles the commands the other modules define."""
