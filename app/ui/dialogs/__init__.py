"""Dialogs: one module each (add feed, edit feed, settings, shortcut sheet, mark all read)."""
