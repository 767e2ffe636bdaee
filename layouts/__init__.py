"""Page layouts: functions that build component trees; no callbacks here."""
