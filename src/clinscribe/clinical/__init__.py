"""The patient's clinical record: services over the record tables, the summary, the hand-over
from a signed note and from documents, interaction alerts and consent checks."""
