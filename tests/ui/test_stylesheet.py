"""The widget stylesheet (app/resources/qss/base.qss) styles real widgets: each `Class#name` selector names
the class of the window's widget with that object name (a class that no longer matches, as when the
article list became a table view, drops its rules without a word)."""

from __future__ import annotations

import re

from PySide6 import QtWidgets

from app.ui.theme import LIGHT, widget_stylesheet

SELECTOR = re.compile(r"\b(Q[A-Za-z]+)#([A-Za-z]+)")


def test_every_named_selector_matches_the_widget_of_that_name(qtbot, controller) -> None:
    window = controller.window
    qtbot.waitUntil(lambda: window.side_panels is not None)  # the AI panel too (built after the paint)
    pairs = set(SELECTOR.findall(widget_stylesheet(LIGHT)))
    assert ("QTableView", "articleList") in pairs and len(pairs) >= 5
    for cls, name in sorted(pairs):
        found = window.findChild(QtWidgets.QWidget, name)
        assert found is not None, f"no widget named {name!r} for the rule {cls}#{name}"
        assert isinstance(found, getattr(QtWidgets, cls)), (
            f"{cls}#{name} but {name} is a {type(found).__mro__[1].__name__}"
        )
