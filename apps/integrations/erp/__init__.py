"""ERP sync (budget checks, requisitions, reconciliation) and signed inbound callbacks."""
