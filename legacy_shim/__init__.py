"""Old names kept working while clients move to the consolidated models (temporary).

Deleting this folder and its line in config/settings.py removes every legacy name. Nothing
outside it imports it (a test checks), except the settings.
"""
