"""SLA clocks and escalation."""
