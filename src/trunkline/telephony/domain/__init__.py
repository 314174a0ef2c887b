"""Pure Python parts of the PBX: hunt plans, statistics maths, bandwidth planning, unsolicited-call patterns,
working-day deadlines. No Django imports (checked by import-linter)."""
