"""Personal data kept no longer than needed: the retention sweep (a daily ticker), the sanctioned
redaction of audit-trail events, and one person's data exported or erased (`gridwhistle person`)."""
