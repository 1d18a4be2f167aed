"""Invataxi dispatch (issue 15): door-to-door estimates, ETA matrices, assignment
and shift plans for accessible vehicles on the drive graph."""
