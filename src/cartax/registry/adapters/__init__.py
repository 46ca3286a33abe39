"""The registry's database side: its tables and the bulk store the ingest writes through."""
