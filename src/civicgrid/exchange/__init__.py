"""12345 work-order exchange: import a hotline platform's Excel/CSV export into appeals through a
column mapping, and export appeals in the same layout (GB/T 33358 work-order fields)."""
