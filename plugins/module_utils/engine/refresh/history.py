"""Jam.py's history item records changes as ``"0" + JSON [[field ID, new value], ...]``;
a refresh masks the recorded values of masked fields too."""
import json

from ..errors import MaskingError


class HistoryChanges:
    """A masker of Jam.py's history ``changes`` ("0" + JSON ``[[field ID, new value], ...]``):
    the values of masked fields go through their rules; a text in another form, which
    could hide anything, becomes NULL."""
    rule = "history"
    unique = False

    def __init__(self, by_field):
        self.by_field = by_field

    @staticmethod
    def parse(value):
        """The list of changes, or None for a text in another form."""
        try:
            changes = json.loads(value[1:]) if value.startswith("0") else None
        except ValueError:
            return None
        return changes if isinstance(changes, list) else None

    @classmethod
    def pairs(cls, value):
        """(field ID, value) of each recorded change (values that are lists skipped)."""
        return [(c[0], c[1]) for c in cls.parse(value) or ()
                if isinstance(c, list) and len(c) == 2 and not isinstance(c[1], (list, dict))]

    def mask(self, value):
        """The recorded changes with masked values; None for a text in another form."""
        if not value:
            return value
        changes = self.parse(value)
        if changes is None:
            return None
        for change in changes:
            if isinstance(change, list) and len(change) == 2 and change[0] in self.by_field:
                try:
                    change[1] = self.by_field[change[0]].mask(change[1])
                except MaskingError:
                    change[1] = None
        return "0" + json.dumps(changes, separators=(",", ":"))
