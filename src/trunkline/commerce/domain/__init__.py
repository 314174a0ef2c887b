"""Pure-Python commerce maths (no Django): volume price tiers, VAT and reverse charge, BGN to EUR conversion."""
