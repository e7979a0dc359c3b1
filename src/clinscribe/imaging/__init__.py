"""DICOM imaging: studies, series and instances of a patient; previews; de-identified export."""
