"""caseflow: telecom customer-service cases as durable Temporal workflows."""
