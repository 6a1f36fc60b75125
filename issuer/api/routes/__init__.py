"""One router per concern: issuers, catalog, awards (admin API) and public documents."""
