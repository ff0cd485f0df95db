"""Importing OPML: the question asked before any outline that runs a command is added (default: no),
and the note of what a file's import skipped and why."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.feeds.opml import OPMLReport, printable, shown_command
from app.i18n import _, ngettext
from app.models import Outline


class ScriptOutlinesDialog(QDialog):
    """Lists every command an OPML file would run on refresh and asks whether to add them.

    Rejecting (the default button, Escape, closing the window) imports the file without them.
    """

    def __init__(self, commands: Sequence[Outline], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Add feeds that run commands?"))
        self.setModal(True)
        layout = QVBoxLayout(self)
        count = len(commands)
        warning = QLabel(
            ngettext(
                "This OPML file has {n} script feed. Each refresh would run the command below on this "
                "computer, with your permissions. Add it only if you wrote it or trust whoever did. The rest "
                "of the file is imported either way.",
                "This OPML file has {n} script feeds. Each refresh would run the commands below on this "
                "computer, with your permissions. Add them only if you wrote them or trust whoever did. The "
                "rest of the file is imported either way.",
                count,
            ).format(n=count)
        )
        warning.setTextFormat(Qt.TextFormat.PlainText)  # nothing from the file is ever read as markup
        warning.setWordWrap(True)
        layout.addWidget(warning)
        self.commands = QListWidget()
        for outline in commands:
            self.commands.addItem(f"{printable(outline.title)}:  {shown_command(outline)}")
        self.commands.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        layout.addWidget(self.commands)
        buttons = QDialogButtonBox()
        self.add_button: QPushButton = buttons.addButton(
            ngettext("Add this command", "Add these commands", count),
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.skip_button: QPushButton = buttons.addButton(
            _("Don't add"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.add_button.setAutoDefault(False)
        self.skip_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.skip_button.setFocus()


def import_notes(report: OPMLReport, declined: Sequence[Outline]) -> list[str]:
    """One line per thing the user should know about the file: lenient reading, skips, declined commands."""
    notes: list[str] = []
    if report.repaired:
        notes.append(
            _("The file is not well-formed XML ({problem}); it was read leniently.").format(
                problem=report.repaired
            )
        )
    notes += [_("Skipped {what}").format(what=skipped) for skipped in report.skipped]
    notes += [
        _("Not added (runs a command): {title}: {command}").format(
            title=printable(o.title), command=shown_command(o)
        )
        for o in declined
    ]
    return notes


def show_import_notes(parent: QWidget, summary: str, notes: Sequence[str]) -> QMessageBox:
    """A non-blocking note with the summary and the full list of what was skipped."""
    box = QMessageBox(
        QMessageBox.Icon.Information, _("OPML import"), summary, QMessageBox.StandardButton.Ok, parent
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText(
        notes[0]
        if len(notes) == 1
        else ngettext("{n} note; see the details.", "{n} notes; see the details.", len(notes)).format(
            n=len(notes)
        )
    )
    box.setDetailedText("\n".join(notes))
    box.open()
    return box
