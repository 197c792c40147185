"""Operations on a whole installation (backup, restore), above the platform apps.

They read every app's tables, the vault's keys and the audit log, so they sit
above ``accounts``, ``vault`` and ``audit`` and none of those imports them.
"""
