"""Medication safety checks: drug-drug interactions, drug-allergy and duplicate therapy.

The checks run against an ``InteractionSource`` chosen by settings, so a site can plug a
commercial knowledge base in place of the open curated table shipped here.
"""
