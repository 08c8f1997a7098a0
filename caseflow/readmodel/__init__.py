"""The PostgreSQL read model: cases, their audit trail and the outbox (written by activities
and by the API's intake), and the queries over them."""
