"""ECG waveforms in the patient record: intake (DICOM ECG, WFDB), measurements, strips."""
