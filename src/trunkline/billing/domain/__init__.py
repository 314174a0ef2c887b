"""The pure billing core: bank statement parsing and payment matching. No Django, no database, no I/O.

The Django side (models, services, the import review screen) lives elsewhere in ``trunkline.billing`` and calls in
here with bytes and plain values; everything here is testable in milliseconds.
"""
