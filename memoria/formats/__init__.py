"""Date and time formats that differ from Django's (settings.FORMAT_MODULE_PATH).

Spanish keeps Django's es_MX formats; its month names are lower case through
the core app's catalogue (memoria.core.dates).
"""
