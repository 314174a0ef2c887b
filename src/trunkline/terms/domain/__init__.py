"""Pure Python of the terms context: objection deadlines and text diffs. No Django imports."""
