"""The notify context's adapters: its tables, the SQL store, message providers (NHN Cloud 알림톡,
SOLAPI SMS, SMTP, the print batch) and a fake for each port."""
